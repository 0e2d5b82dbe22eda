#!/bin/sh
# Run the bundled scenario suite as one TAP test per scenario, then check
# the JUnit report it wrote against the schema Jenkins' xUnit plugin uses
# (one more test point).  Usage: run-suite.sh SPAWNFAULT SUITE SCHEMA
# [TARGET]: with a target (cpython), the suite runs through that peer
# instead of the core, its documented differences excused.
set -u
prog=$1 suite=$2 schema=$3 target=${4:-}
out=$(mktemp -d "${TMPDIR:-/tmp}/spf-suite-XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

# Under memcheck (meson test --setup valgrind) a few scenarios cannot hold,
# for reasons of valgrind's, not ours: they are tagged valgrind-differs
# (docs/suite.md says why for each) and reported as skipped.
skip=
skipped=
if [ -n "${SPF_UNDER_VALGRIND:-}" ]; then
    skip="--skip-tag valgrind-differs"
    skipped=$("$prog" list "$suite" |
        awk '!/^ / && /[ ,]valgrind-differs(,|$)/ { print $1 }')
fi
n_skipped=$(printf '%s' "$skipped" | grep -c . || true)

targeted=
if [ -n "$target" ]; then
    # The peers are the reference, not code of ours: memcheck has nothing
    # to say about them, and their run under it would take hours.
    if [ -n "${SPF_UNDER_VALGRIND:-}" ]; then
        echo "1..0 # SKIP the $target target is not run under valgrind"
        exit 0
    fi
    if ! why=$("$prog" run --target "$target" --filter '' "$suite" 2>&1 >/dev/null) &&
        echo "$why" | grep -q -e "no CPython" -e "no python" -e "no node"; then
        echo "1..0 # SKIP $why"
        exit 0
    fi
    targeted="--target $target"
fi

# shellcheck disable=SC2086 # $skip and $targeted are empty or two words
"$prog" run --tap --jobs 2 --junit "$out/junit.xml" --json "$out/report.json" \
    $skip $targeted "$suite" >"$out/tap" 2>"$out/text"
status=$?
plan=$(grep -m1 -E '^1\.\.[0-9]+' "$out/tap" | cut -d. -f3)
if [ -z "$plan" ]; then
    echo "1..1"
    echo "not ok 1 - spawnfault run produced no TAP (exit $status)"
    sed 's/^/# /' "$out/text"
    exit 1
fi
echo "TAP version 13"
echo "1..$((plan + n_skipped + 1))"
grep -v -E '^(1\.\.[0-9]+|TAP version)' "$out/tap"
n=$plan
for name in $skipped; do
    n=$((n + 1))
    echo "ok $n - $name # SKIP under valgrind (tag valgrind-differs)"
done
sed 's/^/# /' "$out/text"
n=$((n + 1))
if ! command -v xmllint >/dev/null 2>&1; then
    echo "ok $n - junit.xml schema check # SKIP xmllint is not installed"
elif [ ! -f "$schema" ]; then
    echo "ok $n - junit.xml schema check # SKIP $schema is absent"
elif xmllint --noout --schema "$schema" "$out/junit.xml" >"$out/xmllint" 2>&1
then
    echo "ok $n - junit.xml is valid against $(basename "$schema")"
else
    echo "not ok $n - junit.xml is not valid against $(basename "$schema")"
    sed 's/^/# /' "$out/xmllint"
    status=1
fi
exit $status
