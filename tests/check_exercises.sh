#!/usr/bin/env bash
# Proves that the classroom exercises work as the book's chapter "Exercises" says: the server
# holds every reference solution and passes every exercise test; taking one solution out
# (tests/exercises/start.sh exNN, which is `git apply -R book/solutions/exNN-name.patch`) leaves
# a tree that still builds and fails every test of that exercise; putting it back
# (`git apply`) restores the tree exactly.
#
#   tests/check_exercises.sh                 the check (CI calls it from .ci/run)
#   tests/check_exercises.sh --regenerate    rewrite book/solutions/*.patch from the tree
#
# Where an exercise lives: its reference solution is one file, src/commands/handlers/<module>.rs,
# and two lines of src/commands/handlers/mod.rs: `pub mod <module>;` right below a comment
# `// exNN: ...`, and `    <module>::register(r);` right below `    // exNN`. Each such line sits
# between two comment lines that no exercise removes, and the patches carry one line of context
# (`git diff -U1`), so every patch applies and reverses whichever others are applied.
#
# How the patches are made (what --regenerate does, and what the check compares them with):
#   1. copy the tracked files as they are in the working tree (git add a new exercise's file
#      first) into a scratch directory and commit them there, in a fresh repository with no
#      user or system git configuration;
#   2. for each `// exNN:` comment in mod.rs, with <module> the `pub mod` below it: delete
#      src/commands/handlers/<module>.rs and the two lines `pub mod <module>;` and
#      `    <module>::register(r);` from mod.rs, commit that, and write
#      `git diff -U1 --no-color --no-ext-diff HEAD HEAD~1` (the change that puts them back) to
#      book/solutions/exNN-<name>.patch, keeping the <name> of the patch already there (for a
#      new exercise, create an empty book/solutions/exNN-<name>.patch first, to name it);
#      then go back to the whole tree (`git reset --hard HEAD~1`) for the next exercise.
# After a refactor that touches an exercise's file or mod.rs, run --regenerate and commit the
# patches with it; the check fails on a patch that is not what the procedure makes.
#
# Works on a scratch copy of the tracked files, so the checkout itself is never modified, and
# builds in a directory of its own inside the target directory, so each step costs one
# incremental build: one with everything in, then one per exercise taken out. (Putting a solution
# back needs no build: the tree is then byte for byte the one already tested.) Not in the
# checkout's own build directory: cargo knows the crate by its relative paths and its files'
# dates, so the checkout's build would look up to date while holding a tree with a solution out.
# The scratch copy lives at a fixed path, and its build directory stays between runs.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/exercise-check"
export CARGO_TERM_COLOR=never
scratch="${TMPDIR:-/tmp}/rust-redis-exercise-check-$(id -u)"
mods=src/commands/handlers/mod.rs

mode=check
case "${1:-}" in
"") ;;
--regenerate) mode=regenerate ;;
*)
    sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

# Git for the scripted parts: no user or system configuration (diff settings, hooks, signing),
# a fixed author, 7-digit abbreviated hashes, as every maintainer's machine will produce.
quiet_git() {
    GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent \
        GIT_AUTHOR_NAME=exercises GIT_AUTHOR_EMAIL=exercises@localhost \
        GIT_COMMITTER_NAME=exercises GIT_COMMITTER_EMAIL=exercises@localhost \
        git -c core.abbrev=7 -c diff.algorithm=myers "$@"
}

# A copy of the tracked files of the checkout in "$1", outside any git repository: `git apply`
# then patches plain files, as in a student's unpacked tarball. The files are dated now (`tar
# -m`): cargo tells a changed source by its date, and the build left from the last run may be
# of a tree with a solution out, newer than the checkout's files.
copy_tree() {
    rm -rf "$1"
    mkdir -p "$1"
    (cd "$root" && git ls-files -z | tar --null -T - -cf -) | (cd "$1" && tar -xmf -)
}

# "exNN module" for every exercise registered in mod.rs of the current directory.
exercises() {
    awk '/^\/\/ ex[0-9]+:/ { nn = substr($2, 1, length($2) - 1); next }
         nn != "" && /^pub mod [a-z0-9_]+;$/ { print nn, substr($3, 1, length($3) - 1) }
         { nn = "" }' "$mods"
}

# Writes every exercise's patch into "$1", from the tree in the current directory (a fresh
# repository is made in it), named after the patches in book/solutions.
make_patches() {
    local out="$1" nn module old name
    quiet_git init -q .
    quiet_git add -A
    quiet_git commit -q -m tree
    while read -r nn module; do
        old=("$root"/book/solutions/"$nn"-*.patch)
        if [ ! -e "${old[0]}" ]; then
            echo "no book/solutions/$nn-<name>.patch names exercise $nn ($module): create an empty one" >&2
            return 1
        fi
        name="$(basename "${old[0]}")"
        rm "src/commands/handlers/$module.rs"
        grep -v -x -F -e "pub mod $module;" -e "    $module::register(r);" "$mods" >"$mods.tmp" || true
        mv "$mods.tmp" "$mods"
        if [ "$(quiet_git diff --numstat -- "$mods" | cut -f2)" != 2 ]; then
            echo "$nn: mod.rs must have exactly the lines 'pub mod $module;' and '    $module::register(r);'" >&2
            return 1
        fi
        quiet_git commit -q -a -m "without $nn"
        quiet_git diff -U1 --no-color --no-ext-diff HEAD HEAD~1 >"$out/$name"
        quiet_git reset -q --hard HEAD~1
    done < <(exercises)
}

if [ "$mode" = regenerate ]; then
    gen="$scratch-regenerate"
    copy_tree "$gen"
    cd "$gen"
    mkdir -p patches
    make_patches "$gen/patches"
    rm -f "$root"/book/solutions/ex*.patch
    cp patches/*.patch "$root/book/solutions/"
    cd "$root"
    rm -rf "$gen"
    echo "wrote $(ls book/solutions/ex*.patch | wc -l | tr -d ' ') patches in book/solutions"
    exit 0
fi

copy_tree "$scratch"
cd "$scratch"
pristine="$scratch-pristine"
copy_tree "$pristine"

patches=(book/solutions/ex*.patch)
if [ ! -e "${patches[0]}" ]; then
    echo "no patches in book/solutions" >&2
    exit 1
fi

surprises=0
surprise() {
    echo "$*"
    surprises=$((surprises + 1))
}

# Builds the exercise tests; on a compile error shows it and fails.
build() {
    if ! cargo test --no-run --test exercises >"$scratch.build.log" 2>&1; then
        grep -E '^(error|warning)' -A12 "$scratch.build.log" | head -60
        return 1
    fi
}

# Runs the exercise tests matching $1 and prints "name result" lines.
run_tests() {
    cargo test --test exercises -- --test-threads=4 "$1" 2>/dev/null |
        sed -n 's/^test \([a-z0-9_:]*\) \.\.\. \(ok\|FAILED\)$/\1 \2/p' || true
}

echo "== the patches are what tests/check_exercises.sh --regenerate makes from the tree"
gen="$scratch-regenerate"
copy_tree "$gen"
mkdir -p "$gen.patches"
rm -f "$gen.patches"/*
if (cd "$gen" && make_patches "$gen.patches"); then
    for patch in "${patches[@]}"; do
        if ! cmp -s "$patch" "$gen.patches/$(basename "$patch")"; then
            surprise "$(basename "$patch" .patch): SURPRISE, the patch is stale: run tests/check_exercises.sh --regenerate"
        fi
    done
    for made in "$gen.patches"/*.patch; do
        [ -e "book/solutions/$(basename "$made")" ] ||
            surprise "$(basename "$made" .patch): SURPRISE, mod.rs registers it but book/solutions has no such patch"
    done
else
    surprise "SURPRISE: the patches cannot be made from the tree"
fi
rm -rf "$gen" "$gen.patches"

echo "== with every solution in: every exercise test must pass"
if ! build; then
    echo "the exercise tests do not build" >&2
    exit 1
fi
baseline="$(run_tests ex)"
if [ -z "$baseline" ]; then
    echo "no exercise tests ran" >&2
    exit 1
fi
failing="$(grep -v ' ok$' <<<"$baseline" || true)"
if [ -n "$failing" ]; then
    surprise "SURPRISE: exercise tests fail with every solution in:"
    sed 's/^/    /' <<<"$failing"
fi

echo "== each solution taken out alone: the tree builds, and every test of its exercise fails"
for patch in "${patches[@]}"; do
    file="$(basename "$patch" .patch)" # ex01-object-encoding
    nn="${file%%-*}"                   # ex01
    name="${file#*-}"                  # object-encoding
    total="$(grep -c "::${nn}_" <<<"$baseline" || true)"
    if [ "$total" -eq 0 ]; then
        surprise "$nn $name: SURPRISE, no tests named ${nn}_*"
        continue
    fi
    if ! git apply -R "$patch"; then
        surprise "$nn $name: SURPRISE, the patch does not reverse-apply to the tree"
        continue
    fi
    if ! build; then
        surprise "$nn $name: SURPRISE, the tree does not build without the solution"
    else
        without="$(run_tests "${nn}_")"
        ran="$(grep -c . <<<"$without" || true)"
        passed="$(grep -c ' ok$' <<<"$without" || true)"
        if [ "$ran" -ne "$total" ] || [ "$passed" -ne 0 ]; then
            surprise "$nn $name: SURPRISE, without the solution $passed of $ran tests pass (expected $total failing):"
            grep ' ok$' <<<"$without" | sed 's/^/    /' || true
        fi
    fi
    if ! git apply "$patch"; then
        surprise "$nn $name: SURPRISE, the patch does not apply again"
        copy_tree "$scratch"
        continue
    fi
    if ! diff -r -q "$pristine" "$scratch" >/dev/null; then
        surprise "$nn $name: SURPRISE, taking the solution out and putting it back changed the tree:"
        diff -r -q "$pristine" "$scratch" | sed 's/^/    /' | head -10
        copy_tree "$scratch"
        continue
    fi
    echo "$nn $name: $total tests fail without it, pass with it"
done

echo "== all solutions taken out together, then put back in the other order"
reversed_ok=1
for patch in "${patches[@]}"; do
    git apply -R "$patch" || { surprise "SURPRISE: $(basename "$patch") does not reverse with the others out"; reversed_ok=0; }
done
if [ "$reversed_ok" -eq 1 ]; then
    for ((i = ${#patches[@]} - 1; i >= 0; i--)); do
        git apply "${patches[i]}" || surprise "SURPRISE: $(basename "${patches[i]}") does not apply with the others out"
    done
    diff -r -q "$pristine" "$scratch" >/dev/null || surprise "SURPRISE: the tree is not restored"
fi

# Every test belongs to an exercise that has a patch.
orphans="$(sed 's/^[a-z0-9_]*::\(ex[0-9]*\)_.*/\1/' <<<"$baseline" | sort -u | while read -r nn; do
    compgen -G "book/solutions/${nn}-*.patch" >/dev/null || echo "$nn"
done)"
if [ -n "$orphans" ]; then
    surprise "SURPRISE: exercises without a solution patch: $orphans"
fi

cd "$root"
rm -rf "$scratch" "$pristine" "$scratch.build.log"
if [ "$surprises" -ne 0 ]; then
    echo "== $surprises surprise(s)"
    exit 1
fi
echo "== all ${#patches[@]} exercises behave"
