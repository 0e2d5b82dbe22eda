#!/bin/sh
# Run the bundled scenario suite as one TAP test per scenario, then check
# the JUnit report it wrote against the schema Jenkins' xUnit plugin uses
# (one more test point).  Usage: run-suite.sh SPAWNFAULT SUITE SCHEMA
set -u
prog=$1 suite=$2 schema=$3
out=$(mktemp -d "${TMPDIR:-/tmp}/spf-suite-XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

"$prog" run --tap --jobs 2 --junit "$out/junit.xml" --json "$out/report.json" \
    "$suite" >"$out/tap" 2>"$out/text"
status=$?
plan=$(grep -m1 -E '^1\.\.[0-9]+' "$out/tap" | cut -d. -f3)
if [ -z "$plan" ]; then
    echo "1..1"
    echo "not ok 1 - spawnfault run produced no TAP (exit $status)"
    sed 's/^/# /' "$out/text"
    exit 1
fi
echo "TAP version 13"
echo "1..$((plan + 1))"
grep -v -E '^(1\.\.[0-9]+|TAP version)' "$out/tap"
sed 's/^/# /' "$out/text"
n=$((plan + 1))
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
