#!/usr/bin/env bash
# Starts a classroom exercise by digging its hole: takes the exercise's reference solution out of
# the tree, so that its tests (tests/exercises/exNN_*.rs) fail until you write it again.
#
#   tests/exercises/start.sh ex03              take ex03's solution out: the exercise begins
#   tests/exercises/start.sh --solution ex03   put the reference solution back (your own file,
#                                              if any, is kept beside it as <name>.rs.mine)
#   tests/exercises/start.sh --list            the exercises and whether each is started
#
# Each exercise's solution is one file under src/commands/handlers/ plus two lines in
# src/commands/handlers/mod.rs (its `pub mod` and its `register` call, each under a comment that
# names the exercise). book/solutions/exNN-name.patch is exactly that: starting an exercise is
# `git apply -R` of its patch, the way back is `git apply`. The patches are kept apart from one
# another, so exercises can be started and finished in any order. tests/check_exercises.sh
# proves all of this in CI and (with --regenerate) rebuilds the patches from the tree.
#
# Works in a git checkout or in a plain unpacked copy of the tree; needs git (for `git apply`).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

usage() {
    sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
    exit 2
}

# `git apply` run inside a git repository reads the patch's paths from the repository's top and
# silently skips paths outside the current directory: when this tree is a subdirectory of a
# larger repository, prefix them with where the tree sits in it.
prefix="$(git rev-parse --show-prefix 2>/dev/null || true)"
apply() {
    git apply ${prefix:+--directory="$prefix"} "$@"
}

# The patch of exercise $1 (ex03, or just 03 or 3).
patch_of() {
    local n="${1#ex}"
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "not an exercise: $1 (try --list)" >&2; exit 2; }
    local found=(book/solutions/ex"$(printf '%02d' "$((10#$n))")"-*.patch)
    if [ ! -e "${found[0]}" ]; then
        echo "no exercise $1: there is no book/solutions/ex$(printf '%02d' "$((10#$n))")-*.patch (try --list)" >&2
        exit 2
    fi
    echo "${found[0]}"
}

# The handler file a patch adds: its `+++ b/...` other than mod.rs.
file_of() {
    sed -n 's|^+++ b/\(src/commands/handlers/[^/]*\.rs\)$|\1|p' "$1" | grep -v '/mod\.rs$' | head -1
}

# Where the tree stands for one patch: "not started" (the reference solution is in), "started"
# (it is out, and nothing is in its place) or "changed" (something else is in its place).
state_of() {
    if apply --check -R "$1" 2>/dev/null; then
        echo "not started"
    elif apply --check "$1" 2>/dev/null; then
        echo "started"
    else
        echo "changed"
    fi
}

start() {
    local patch nn file
    patch="$(patch_of "$1")"
    nn="$(basename "$patch" .patch)"
    nn="${nn%%-*}"
    file="$(file_of "$patch")"
    case "$(state_of "$patch")" in
    "not started")
        apply -R "$patch"
        echo "$nn started: $file is gone, and so are its two lines in"
        echo "src/commands/handlers/mod.rs (below the comments '// $nn'). Write them again; the"
        echo "specification is tests/exercises/${nn}_*.rs and the book's chapter \"Exercises\":"
        echo
        echo "    cargo test --test exercises ${nn}_"
        echo
        echo "The reference solution is $patch;"
        echo "'$0 --solution $nn' puts it back."
        ;;
    started)
        echo "$nn is already started: its reference solution is not in the tree." >&2
        echo "('$0 --solution $nn' puts it back.)" >&2
        exit 1
        ;;
    *)
        echo "$nn cannot be started: the tree does not hold exactly the reference solution" >&2
        echo "($file or its lines in src/commands/handlers/mod.rs differ from $patch):" >&2
        apply --check -R "$patch" 2>&1 | sed 's/^/    /' >&2 || true
        echo "If this is your own work on $nn, it is already started." >&2
        exit 1
        ;;
    esac
}

solution() {
    local patch nn file module
    patch="$(patch_of "$1")"
    nn="$(basename "$patch" .patch)"
    nn="${nn%%-*}"
    file="$(file_of "$patch")"
    module="$(basename "$file" .rs)"
    case "$(state_of "$patch")" in
    started)
        apply "$patch"
        echo "$nn: the reference solution is back ($file)."
        return
        ;;
    "not started")
        echo "$nn: the reference solution is already in the tree."
        return
        ;;
    esac
    # Your own solution is in the way: keep it beside the reference, take your two lines out of
    # mod.rs (keeping a copy), and try again; put everything back if that still does not apply.
    local mods=src/commands/handlers/mod.rs
    if [ -e "$file.mine" ] || [ -e "$mods.mine" ]; then
        echo "$nn: $file.mine or $mods.mine exists already; move it away first." >&2
        exit 1
    fi
    cp "$mods" "$mods.mine"
    [ ! -e "$file" ] || mv "$file" "$file.mine"
    grep -v -x -F -e "pub mod $module;" -e "    $module::register(r);" "$mods.mine" >"$mods" || true
    if apply --check "$patch" 2>/dev/null; then
        apply "$patch"
        rm "$mods.mine"
        echo "$nn: the reference solution is in $file;"
        [ ! -e "$file.mine" ] || echo "yours is kept in $file.mine."
    else
        mv "$mods.mine" "$mods"
        [ ! -e "$file.mine" ] || mv "$file.mine" "$file"
        echo "$nn: the reference solution does not fit the tree as it is; nothing was changed:" >&2
        apply --check "$patch" 2>&1 | sed 's/^/    /' >&2 || true
        exit 1
    fi
}

list() {
    local patch nn state
    for patch in book/solutions/ex*.patch; do
        nn="$(basename "$patch" .patch)"
        case "$(state_of "$patch")" in
        started) state="started" ;;
        "not started") state="not started (the reference solution is in)" ;;
        *) state="started, your own work in place" ;;
        esac
        printf '%-22s %s\n' "$nn" "$state"
    done
}

case "${1:-}" in
--list) list ;;
--solution)
    [ $# -eq 2 ] || usage
    solution "$2"
    ;;
-h | --help | "") usage ;;
-*) usage ;;
*)
    [ $# -eq 1 ] || usage
    start "$1"
    ;;
esac
