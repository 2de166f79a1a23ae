#!/usr/bin/env bash
# Proves that the classroom exercises specify something: on the plain tree every exercise's
# tests fail, and with its reference solution (book/solutions/exNN-name.patch) applied they pass.
#
# Works on a scratch copy of the tracked files, so the checkout itself is never modified, and
# shares the target directory with the normal build, so each patch costs one incremental build.
# The scratch copy lives at a fixed path: a stable path keeps cargo's fingerprints reusable
# from one run to the next.
#
# Usage: tests/check_exercises.sh            (CI calls it from .ci/run)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR=never
scratch="${TMPDIR:-/tmp}/rust-redis-exercise-check-$(id -u)"

# A copy outside any git repository: `git apply` then patches plain files, as in a student's
# unpacked tarball, and never touches the real checkout's index.
rm -rf "$scratch"
mkdir -p "$scratch"
(cd "$root" && git ls-files -z | tar --null -T - -cf -) | (cd "$scratch" && tar -xf -)
cd "$scratch"

patches=(book/solutions/ex*.patch)
if [ ! -e "${patches[0]}" ]; then
    echo "no patches in book/solutions" >&2
    exit 1
fi

# Builds the exercise tests; on a compile error shows it and fails.
build() {
    if ! cargo test --no-run --test exercises >"$scratch/build.log" 2>&1; then
        grep -E '^(error|warning)' -A12 "$scratch/build.log" | head -60
        echo "the exercise tests do not build${1:+ with $1}" >&2
        return 1
    fi
}

# Runs the ignored tests matching $1 and prints "name result" lines.
run_tests() {
    cargo test --test exercises -- --ignored --test-threads=4 "$1" 2>/dev/null \
        | sed -n 's/^test \([a-z0-9_:]*\) \.\.\. \(ok\|FAILED\)$/\1 \2/p' || true
}

surprises=0
echo "== without any solution: every exercise test must fail"
build
baseline="$(run_tests ex)"
if [ -z "$baseline" ]; then
    echo "no exercise tests ran" >&2
    exit 1
fi

for patch in "${patches[@]}"; do
    file="$(basename "$patch" .patch)"     # ex01-object-encoding
    nn="${file%%-*}"                        # ex01
    name="${file#*-}"                       # object-encoding
    without="$(grep "::${nn}_" <<<"$baseline" || true)"
    total="$(grep -c . <<<"$without" || true)"
    passed_without="$(grep -c ' ok$' <<<"$without" || true)"
    if [ "$total" -eq 0 ]; then
        echo "$nn $name: SURPRISE, no tests named ${nn}_*"
        surprises=$((surprises + 1))
        continue
    fi
    if [ "$passed_without" -ne 0 ]; then
        echo "$nn $name: SURPRISE, $passed_without of $total tests pass without the solution:"
        grep ' ok$' <<<"$without" | sed 's/^/    /'
        surprises=$((surprises + 1))
        continue
    fi
    if ! git apply "$patch"; then
        echo "$nn $name: SURPRISE, the patch does not apply"
        surprises=$((surprises + 1))
        continue
    fi
    if ! build "$file.patch"; then
        surprises=$((surprises + 1))
        git apply -R "$patch"
        continue
    fi
    with="$(run_tests "${nn}_")"
    failed_with="$(grep -c ' FAILED$' <<<"$with" || true)"
    ran_with="$(grep -c . <<<"$with" || true)"
    if [ "$ran_with" -ne "$total" ] || [ "$failed_with" -ne 0 ]; then
        echo "$nn $name: SURPRISE, with the solution $failed_with of $ran_with tests fail (expected $total passing):"
        grep -v ' ok$' <<<"$with" | sed 's/^/    /' || true
        surprises=$((surprises + 1))
    else
        echo "$nn $name: fails without ($total tests), passes with"
    fi
    git apply -R "$patch"
done

# Every test belongs to an exercise that has a patch.
orphans="$(sed 's/^[a-z0-9_]*::\(ex[0-9]*\)_.*/\1/' <<<"$baseline" | sort -u | while read -r nn; do
    compgen -G "book/solutions/${nn}-*.patch" >/dev/null || echo "$nn"
done)"
if [ -n "$orphans" ]; then
    echo "SURPRISE: exercises without a solution patch: $orphans"
    surprises=$((surprises + 1))
fi

rm -rf "$scratch"
if [ "$surprises" -ne 0 ]; then
    echo "== $surprises surprise(s)"
    exit 1
fi
echo "== all ${#patches[@]} exercises behave"
