#!/usr/bin/env bash
# Proves the course's reference solutions, stage by stage, as the book's part "Build it
# yourself" says: starting from book/course/start (what `cargo new my-redis` makes), the patches
# book/course/stages/NN-*.patch applied in order build stage N's solution, which passes
# `course test N`, while stage N-1's solution fails stage N itself (every stage asks for
# something new). tests/course.rs proves the other half: this server and real Redis pass every
# stage.
#
#   tests/check_course.sh                  the check (CI calls it from .ci/run)
#   tests/check_course.sh --checkout DIR   DIR becomes a git repository with one commit per stage
#                                          (the start, then each patch): to edit a stage, rebase
#   tests/check_course.sh --export DIR     rewrites book/course/ from such a repository: its first
#                                          commit is the start, each later one a stage, in order,
#                                          keeping the patches' names
#
# The solutions build in a scratch directory with a target directory of their own, inside this
# checkout's target directory; the checkout itself is never modified (except by --export).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
course_dir="$root/book/course"
export CARGO_TERM_COLOR=never

quiet_git() {
    GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent \
        GIT_AUTHOR_NAME=course GIT_AUTHOR_EMAIL=course@localhost \
        GIT_COMMITTER_NAME=course GIT_COMMITTER_EMAIL=course@localhost \
        git -c core.abbrev=7 "$@"
}

patches=("$course_dir"/stages/[0-9][0-9]-*.patch)

# checkout DIR: the start and every stage, one commit each.
checkout() {
    local dir=$1 p
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -r "$course_dir/start/." "$dir/"
    printf '/target\nCargo.lock\n' > "$dir/.gitignore"
    quiet_git -C "$dir" init -q
    quiet_git -C "$dir" add -A
    quiet_git -C "$dir" commit -q -m "cargo new my-redis"
    for p in "${patches[@]}"; do
        quiet_git -C "$dir" apply "$p"
        quiet_git -C "$dir" add -A
        quiet_git -C "$dir" commit -q -m "$(basename "$p" .patch)"
    done
}

case "${1:-}" in
--checkout)
    checkout "${2:?--checkout needs a directory}"
    echo "$2: $((${#patches[@]} + 1)) commits, the start and ${#patches[@]} stages"
    exit 0
    ;;
--export)
    dir="${2:?--export needs a directory}"
    commits=($(quiet_git -C "$dir" rev-list --reverse HEAD))
    [[ ${#commits[@]} -eq $((${#patches[@]} + 1)) ]] ||
        { echo "$dir has ${#commits[@]} commits; expected the start and ${#patches[@]} stages" >&2; exit 1; }
    rm -rf "$course_dir/start"
    mkdir -p "$course_dir/start"
    quiet_git -C "$dir" archive "${commits[0]}" -- . ':!.gitignore' | tar -x -C "$course_dir/start"
    for i in "${!patches[@]}"; do
        quiet_git -C "$dir" diff -U3 --no-color --no-ext-diff "${commits[i]}" "${commits[i + 1]}" \
            -- . ':!.gitignore' > "${patches[i]}"
    done
    echo "wrote book/course/start and ${#patches[@]} patches"
    exit 0
    ;;
"") ;;
*)
    sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

work="${CARGO_TARGET_DIR:-$root/target}/course-check"
rm -rf "$work"
mkdir -p "$work/bin"
echo "== building the tester"
(cd "$root" && cargo build --release --quiet --bin course)
tester="${CARGO_TARGET_DIR:-$root/target}/release/course"

build_stage() {
    local n=$1
    (cd "$work/crate" && CARGO_TARGET_DIR="$work/target" cargo build --release --quiet)
    cp "$work/target/release/my-redis" "$work/bin/stage$n"
}

checkout "$work/crate" >/dev/null
# Back to the start, then forward one stage at a time.
quiet_git -C "$work/crate" checkout -q "$(quiet_git -C "$work/crate" rev-list --max-parents=0 HEAD)"
build_stage 00
stages=($(quiet_git -C "$work/crate" rev-list --reverse master 2>/dev/null || quiet_git -C "$work/crate" rev-list --reverse main))
echo "== each stage's solution passes stages 1..N; the one before it fails stage N"
failed=0
for i in "${!patches[@]}"; do
    n=$(printf '%02d' $((i + 1)))
    quiet_git -C "$work/crate" checkout -q "${stages[i + 1]}"
    build_stage "$n"
    prev=$(printf '%02d' "$i")
    name=$(basename "${patches[i]}" .patch)
    lines=$(quiet_git -C "$work/crate" diff --numstat "${stages[i]}" "${stages[i + 1]}" | awk '{s += $1} END {print s}')
    if ! out=$("$tester" test "$((i + 1))" --server "$work/bin/stage$n --port {PORT}" 2>/dev/null); then
        echo "$name: its solution FAILS its own stages:"; echo "$out" | tail -8; failed=1; continue
    fi
    out=$("$tester" test "$((i + 1))" --server "$work/bin/stage$prev --port {PORT}" 2>/dev/null) && status=0 || status=$?
    if [[ $status -eq 0 ]] || ! grep -q "^stage $(printf '%2d' $((i + 1))) FAILED" <<< "$out"; then
        echo "$name: stage $prev's solution does not fail stage $((i + 1)) (it must ask for something new):"
        echo "$out" | grep -E "passed|FAILED" | tail -3
        failed=1
        continue
    fi
    echo "$name: passes stages 1..$((i + 1)) (+$lines lines); stage $prev's solution fails it"
done
[[ $failed -eq 0 ]] || { echo "== the course's reference solutions do NOT behave" >&2; exit 1; }
echo "== all ${#patches[@]} stages behave"
