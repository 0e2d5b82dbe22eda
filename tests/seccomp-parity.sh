#!/bin/sh
# The preload's fault scenarios (scenarios/suite/faults.yaml) again, with
# every rule given to the seccomp backend instead: the agent arms both
# backends around the API path alone, so a rule's call numbers mean the
# same under either, and each scenario must pass as it is (TAP, one point
# per scenario).  One is left out, for the one documented difference: in
# scope exec, seccomp also counts the dynamic loader's own reads
# (seccomp-exec-scope-counts-the-loader in seccomp.yaml shows it).
# Usage: seccomp-parity.sh SPAWNFAULT SUITE
set -u
prog=$1 suite=$2
out=$(mktemp -d "${TMPDIR:-/tmp}/spf-parity-XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

if [ -n "${SPF_UNDER_VALGRIND:-}" ]; then
    echo "1..0 # SKIP valgrind implements no seccomp(2)"
    exit 0
fi

# Documents are separated by "---" lines; each "- call:" item gains a
# "backend: seccomp" key at the same indentation as its other keys.
awk -v skip='fault-exec-scope-read-eio-close-fds-false' '
    function flush() { if (doc != "" && !drop) printf "%s", doc; doc = ""; drop = 0 }
    /^---$/ { flush(); doc = $0 "\n"; next }
    /^name: / { if ($2 == skip) drop = 1 }
    /^ *- call: / {
        doc = doc $0 "\n"
        match($0, /^ *- /)
        pad = sprintf("%" RLENGTH "s", "")
        doc = doc pad "backend: seccomp\n"
        next
    }
    { doc = doc $0 "\n" }
    END { flush() }' "$suite/faults.yaml" >"$out/faults-seccomp.yaml"

n=$(grep -c '^name: ' "$out/faults-seccomp.yaml")
m=$(grep -c 'backend: seccomp' "$out/faults-seccomp.yaml")
if [ "$n" -lt 20 ] || [ "$m" -lt "$n" ]; then
    echo "1..1"
    echo "not ok 1 - the rewritten file holds $n scenarios and $m seccomp rules"
    exit 1
fi
"$prog" run --tap --jobs 2 "$out/faults-seccomp.yaml"
