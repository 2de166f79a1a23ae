#!/usr/bin/env bash
# Renders chapter 1 of the built book in headless Chromium, as a reader would see it, and checks
# that it is not broken: the page must contain the code its includes pull from src/ (an empty
# include renders as an empty listing), and the screenshot must be a real, non-trivial PNG
# (a broken theme renders a near-empty page).
# Usage: tests/book_screenshot.sh   (after `mdbook build book`; writes target/book-ch01.png)
set -euo pipefail
cd "$(dirname "$0")/.."

page="$PWD/book/book/ch01-network.html"
[ -f "$page" ] || { echo "book not built: run 'mdbook build book' first" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is not installed" >&2; exit 1; }

mkdir -p target
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile")

# The DOM after highlight.js has run, with the markup stripped: the text a reader sees.
dom=$(timeout 60 "$browser" "${flags[@]}" --dump-dom "file://$page" 2>/dev/null | sed 's/<[^>]*>//g')
for needle in "pub fn accept_loop" "pub const CLIENT_STACK_SIZE" "fn serve"; do
    if ! grep -q "$needle" <<<"$dom"; then
        echo "rendered chapter 1 lacks '$needle': an include is empty or the page is broken" >&2
        exit 1
    fi
done

timeout 60 "$browser" "${flags[@]}" --window-size=1280,1600 \
    --screenshot="$PWD/target/book-ch01.png" "file://$page" >/dev/null 2>&1
size=$(stat -c %s target/book-ch01.png)
magic=$(head -c 8 target/book-ch01.png | od -An -tx1 | tr -d ' \n')
if [ "$magic" != "89504e470d0a1a0a" ] || [ "$size" -lt 20000 ]; then
    echo "screenshot of chapter 1 is missing or nearly empty ($size bytes)" >&2
    exit 1
fi
echo "book: chapter 1 renders with its code ($size-byte screenshot in target/book-ch01.png)"
