#!/usr/bin/env bash
# Renders the built book in headless Chromium at 1280 px, as a reader would see it, and checks
# every chapter: no image missing or wider than its column, and chapter 1 holds the code its
# includes pull from src/ (an empty include renders as an empty listing), and no Rust listing is
# wider than its column (long lines hidden behind a scroll bar: the code is formatted at 100
# columns, rustfmt.toml, which fits). Transcripts and byte strings wrap (book/layout.css). The measuring is book/layout-check.js, which
# acts on a page opened with `?layout-check`. Chapter 1's screenshot must be a real, non-trivial
# PNG (a broken theme renders a near-empty page).
# Usage: tests/book_screenshot.sh   (after `mdbook build book`; writes target/book-ch01.png)
set -euo pipefail
cd "$(dirname "$0")/.."

out="$PWD/book/book"
page="$out/ch01-network.html"
[ -f "$page" ] || { echo "book not built: run 'mdbook build book' first" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is not installed" >&2; exit 1; }

mkdir -p target
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --window-size=1280,1600)

# The DOM after highlight.js has run, with the markup stripped: the text a reader sees.
dom=$(timeout 60 "$browser" "${flags[@]}" --dump-dom "file://$page" 2>/dev/null | sed 's/<[^>]*>//g')
for needle in "pub fn accept_loop" "pub const CLIENT_STACK_SIZE" "fn serve"; do
    if ! grep -q "$needle" <<<"$dom"; then
        echo "rendered chapter 1 lacks '$needle': an include is empty or the page is broken" >&2
        exit 1
    fi
done

# Every page SUMMARY.md lists, measured by layout-check.js once its images have loaded.
failed=0
pages=0
images=0
for md in $(grep -o '([a-z0-9_/-]*\.md)' book/src/SUMMARY.md | tr -d '()'); do
    html="$out/${md%.md}.html"
    [ -f "$html" ] || { echo "$md: not rendered" >&2; failed=1; continue; }
    report=$(timeout 60 "$browser" "${flags[@]}" --virtual-time-budget=5000 \
        --dump-dom "file://$html?layout-check" 2>/dev/null |
        sed -n '/<pre id="layout-check">/,/<\/pre>/p' | sed 's/<[^>]*>//g; s/&gt;/>/g; s/&lt;/</g; s/&amp;/\&/g')
    if [ -z "$report" ]; then
        echo "$md: the layout check did not run" >&2
        failed=1
        continue
    fi
    pages=$((pages + 1))
    images=$((images + $(head -1 <<<"$report" | grep -o '[0-9]* images' | cut -d' ' -f1)))
    problems=$(tail -n +2 <<<"$report" | grep -v '^$' || true)
    if [ -n "$problems" ]; then
        sed "s|^|$md: |" <<<"$problems" >&2
        failed=1
    fi
done
[ "$failed" = 0 ] || { echo "book: some pages render broken at 1280 px (above)" >&2; exit 1; }

timeout 60 "$browser" "${flags[@]}" --screenshot="$PWD/target/book-ch01.png" "file://$page" >/dev/null 2>&1
size=$(stat -c %s target/book-ch01.png)
magic=$(head -c 8 target/book-ch01.png | od -An -tx1 | tr -d ' \n')
if [ "$magic" != "89504e470d0a1a0a" ] || [ "$size" -lt 20000 ]; then
    echo "screenshot of chapter 1 is missing or nearly empty ($size bytes)" >&2
    exit 1
fi
echo "book: $pages pages render at 1280 px with their $images images and no listing cut off;"
echo "      chapter 1 renders with its code ($size-byte screenshot in target/book-ch01.png)"
