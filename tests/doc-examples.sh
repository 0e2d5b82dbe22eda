#!/bin/sh
# Every scenario the documentation shows must load and pass as written: a
# reader copies them.  Each ```yaml block of docs/*.md and README.md is
# one test point; a block with a line "..." is an excerpt and is only
# named as such.  TAP.  Usage: doc-examples.sh SPAWNFAULT SOURCE-ROOT
set -u
prog=$1 root=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spf-docex-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
echo "TAP version 13"
for doc in "$root"/README.md "$root"/docs/*.md; do
    rm -f "$tmp"/block-*
    awk -v dir="$tmp" '
        /^```yaml[ \t]*$/ { b++; f = sprintf("%s/block-%03d-%d", dir, b, NR + 1); on = 1; next }
        /^```/ { on = 0 }
        on { print > f }' "$doc"
    for f in "$tmp"/block-*; do
        [ -e "$f" ] || continue
        line=${f##*-}
        where="${doc#"$root"/}:$line"
        n=$((n + 1))
        if grep -qx '[ \t]*\.\.\.' "$f"; then
            echo "ok $n - $where # SKIP an excerpt"
            continue
        fi
        cp "$f" "$tmp/example.yaml"
        if "$prog" run "$tmp/example.yaml" >"$tmp/out" 2>&1; then
            echo "ok $n - $where"
        else
            echo "not ok $n - $where"
            sed 's/^/# /' "$tmp/out"
        fi
    done
done
echo "1..$n"
