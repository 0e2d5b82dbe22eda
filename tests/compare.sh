#!/bin/sh
# The bundled suite on the core and on a peer (CPython unless TARGET says
# otherwise), compared field by field: one TAP test point per scenario,
# failing on any difference the scenario does not document, skipped where
# the peer cannot express the case (docs/targets.md).
# Usage: compare.sh SPAWNFAULT SUITE [TARGET]
set -u
prog=$1 suite=$2 target=${3:-cpython}
out=$(mktemp -d "${TMPDIR:-/tmp}/spf-compare-XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

if [ -n "${SPF_UNDER_VALGRIND:-}" ]; then
    echo "1..0 # SKIP peers are not run under valgrind"
    exit 0
fi
# node, built without the sanitizers, dies before its first line with a
# sanitized preload in LD_PRELOAD, as every case with fault rules has.
if [ "$target" = node ] && [ -n "${SPF_UNDER_SANITIZERS:-}" ]; then
    echo "1..0 # SKIP node cannot start with the preload of a build" \
        "sanitized with $SPF_UNDER_SANITIZERS"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 is not installed (it reads the JSON report)"
    exit 0
fi
"$prog" run --compare "core,$target" --jobs 2 --json "$out/compare.json" \
    "$suite" >"$out/text" 2>&1
status=$?
if [ ! -s "$out/compare.json" ]; then
    if grep -q -e "no CPython" -e "no node found" "$out/text"; then
        echo "1..0 # SKIP $(head -n1 "$out/text")"
        exit 0
    fi
    echo "1..1"
    echo "not ok 1 - spawnfault run --compare wrote no report (exit $status)"
    sed 's/^/# /' "$out/text"
    exit 1
fi
python3 - "$out/compare.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
a, b = rep["targets"][0], rep["targets"][1]
rows = {d["name"]: d for d in rep["differences"] if d["b"] == b}
names = [s["name"] for s in rep["runs"][0]["scenarios"]]
print("TAP version 13")
print("1..%d" % len(names))
bad = 0
na = {s["name"]: s["not_applicable"] for s in rep["runs"][1]["scenarios"]
      if s.get("not_applicable")}
for i, name in enumerate(names, 1):
    row = rows.get(name)
    if name in na:
        print("ok %d - %s # SKIP not applicable on %s: %s" % (
            i, name, b, na[name].replace("#", "\\x23").replace("\n", " ")))
        continue
    if row is None:
        print("ok %d - %s: %s and %s agree" % (i, name, a, b))
        continue
    undocumented = [f for f in row["fields"] if not f["documented"]]
    word = "not ok" if undocumented else "ok"
    bad += bool(undocumented)
    print("%s %d - %s: %d field%s differ%s (%d undocumented)" % (
        word, i, name, len(row["fields"]),
        "" if len(row["fields"]) == 1 else "s",
        "s" if len(row["fields"]) == 1 else "", len(undocumented)))
    for f in row["fields"]:
        print("#   %s: %s %s, %s %s%s" % (f["field"], a, f["a"], b, f["b"],
              " (documented: %s)" % f["why"] if f["documented"] else ""))
sys.exit(1 if bad else 0)
PY
py=$?
sed 's/^/# /' "$out/text"
exit $py
