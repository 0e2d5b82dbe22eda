#!/bin/sh
# The command-line program as a user meets it: argument order, "--",
# filters, replays, escaping, exit codes, interruption.  TAP.
# Usage: cli.sh SPAWNFAULT
set -u
prog=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spf-cli-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    [ -f "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
    [ -f "$tmp/out" ] && sed 's/^/# /' "$tmp/out"
}
# check DESCRIPTION EXPECTED-STATUS COMMAND...: the command's exit status
check() {
    desc=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$desc"; else
        not_ok "$desc (exit $got, expected $want)"; fi
}
# has DESCRIPTION FILE TEXT: FILE holds the fixed string TEXT
has() {
    if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1"; fi
}

cat >"$tmp/pass.yaml" <<'YAML'
name: passes
spawn:
  argv: [/bin/true]
expect:
  returncode: 0
---
name: also-passes
spawn:
  argv: [/bin/sh, -c, "exit 3"]
expect:
  returncode: 3
YAML
cat >"$tmp/-dash.yaml" <<'YAML'
name: fails
spawn:
  argv: [/bin/sh, -c, "exit 4"]
expect:
  returncode: 5
YAML

echo "TAP version 13"

check "options may follow the paths" 0 "$prog" run "$tmp/pass.yaml" --verbose
has "--verbose after the path took effect" "$tmp/err" "PASS passes"
check "the exit status says a scenario failed" 1 \
    sh -c 'cd "$1" && "$2" run -- -dash.yaml' sh "$tmp" "$prog"
has "the failure is reported" "$tmp/out" "FAIL fails (-dash.yaml:1)"
replay=$(sed -n 's/^  replay: //p' "$tmp/out")
case $replay in
*" -- '-dash.yaml'") ok "the replay ends the options before the path" ;;
*) not_ok "the replay ends the options before the path: $replay" ;;
esac
replay=$(printf '%s' "$replay" | sed "s|^[^ ]*|'$prog'|")
check "the replay runs the one scenario again, and it fails again" 1 \
    sh -c "cd '$tmp' && $replay"
has "the replay ran exactly that scenario" "$tmp/out" \
    "1 scenario: 0 passed, 1 failed"
check "a path that starts with a dash is an option without --" 2 \
    sh -c 'cd "$1" && "$2" run -dash.yaml' sh "$tmp" "$prog"

check "several filters select what any matches" 0 "$prog" list "$tmp" \
    --filter passes --filter 'also-*'
has "both filtered scenarios are listed" "$tmp/out" "2 scenarios"
check "a skipped tag leaves its scenarios out" 0 "$prog" list "$tmp" \
    --skip-tag nothing-has-it
has "no tag, nothing left out" "$tmp/out" "3 scenarios"
printf 'name: tagged\ntags: [slow, x]\nspawn:\n  argv: [/bin/true]\nexpect:\n  returncode: 0\n' \
    >"$tmp/tagged.yaml"
check "a run without the tagged scenario" 0 "$prog" run "$tmp/pass.yaml" \
    "$tmp/tagged.yaml" --skip-tag slow
has "it ran the other two" "$tmp/out" "2 scenarios: 2 passed"
rm "$tmp/tagged.yaml"
check "a filter that matches nothing is bad input" 2 "$prog" run "$tmp" \
    --filter nothing-like-this
has "it says so" "$tmp/err" "no scenario matches nothing-like-this"

esc=$(printf '\033')
mkdir "$tmp/x${esc}[31m"
printf 'name: ctl\nsummary: "red \\e[31mALERT"\nspawn:\n  argv: [/bin/true]\nexpect:\n  returncode: 0\n' \
    >"$tmp/x${esc}[31m/ctl.yaml"
check "list accepts a summary with control bytes" 0 "$prog" list \
    "$tmp/x${esc}[31m"
if grep -q "$esc" "$tmp/out"; then not_ok "list prints no raw escape byte"
else ok "list prints no raw escape byte"; fi
has "list shows it escaped" "$tmp/out" 'red \x1b[31mALERT'
printf 'name: ctl2\nspawn:\n  argv: [/bin/true]\n"\\e[1mkey": 1\nexpect:\n  returncode: 0\n' \
    >"$tmp/x${esc}[31m/bad.yaml"
check "a bad file is bad input" 2 "$prog" run "$tmp/x${esc}[31m/bad.yaml"
if grep -q "$esc" "$tmp/err"; then not_ok "errors print no raw escape byte"
else ok "errors print no raw escape byte"; fi
has "the error names file, line and key" "$tmp/err" \
    'bad.yaml:4:1: "\x1b[1mkey": unknown key'
check "a missing path is bad input" 2 "$prog" run "$tmp/missing.yaml"
has "and is named" "$tmp/err" "missing.yaml: cannot open"
check "an unknown option is bad input" 2 "$prog" run --frobnicate
check "--jobs 0 is refused" 2 "$prog" run --jobs 0 "$tmp/pass.yaml"
check "a seed with a blank and a sign is refused" 2 "$prog" run \
    --seed ' -1' "$tmp/pass.yaml"
check "a hex seed is refused" 2 "$prog" run --seed 0x10 "$tmp/pass.yaml"
check "a seed is decimal, leading zeros included" 0 "$prog" run \
    --seed 010 "$tmp/pass.yaml"
has "010 is ten" "$tmp/out" "seed 10"
if [ -w /dev/full ]; then
    check "a report lost to a full disk is an error" 2 \
        sh -c '"$1" run "$2" >/dev/full' sh "$prog" "$tmp/pass.yaml"
    check "a TAP report lost to a full disk is an error" 2 \
        sh -c '"$1" run --tap "$2" >/dev/full' sh "$prog" "$tmp/pass.yaml"
    check "a listing lost to a full disk is an error" 2 \
        sh -c '"$1" list "$2" >/dev/full' sh "$prog" "$tmp/pass.yaml"
fi

# requires: [root] is not applicable for anyone else, and a scenario
# judged without running never stops the run (with one job, the next
# scenario still runs).
cat >"$tmp/requires.yaml" <<'YAML'
name: needs-root
requires: [root]
spawn:
  argv: [/usr/bin/id, -u]
  stdout: pipe
expect:
  stdout: "0\n"
---
name: anyone
spawn:
  argv: ["true"]
expect:
  returncode: 0
YAML
if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null &&
    id nobody >/dev/null 2>&1 && [ -z "${SPF_UNDER_VALGRIND:-}" ]; then
    chmod 755 "$tmp"
    chmod 644 "$tmp/requires.yaml"
    check "requires root: not applicable as another user" 0 \
        runuser -u nobody -- "$prog" run --jobs 1 "$tmp/requires.yaml"
    has "the summary counts it, and the next scenario ran" "$tmp/out" \
        "2 scenarios: 1 passed, 0 failed, 1 not applicable on core"
    has "the reason names the uid" "$tmp/out" \
        "requires root, and runs as uid $(id -u nobody)"
    chmod 700 "$tmp"
else
    for what in "requires root: not applicable as another user" \
        "the summary counts it, and the next scenario ran" \
        "the reason names the uid"; do
        n=$((n + 1)); echo "ok $n - $what # SKIP not root, no runuser or nobody, or under valgrind"
    done
fi
check "requires root: runs as root" 0 "$prog" run "$tmp/requires.yaml"

# The seed reaches the fault plans: probabilities draw from it, the same
# seed replays the same schedule, another gives another.  The input fits
# in the pipe, so how many writes there are depends on the draws alone,
# never on timing.
cat >"$tmp/prob.yaml" <<'YAML'
name: prob
spawn:
  argv: ["{helper}", count]
  stdout: pipe
input: {repeat: "x", count: 300}
faults:
  - call: write
    scope: parent
    probability: 0.9
    short: 1
expect:
  stdout: "300\n"
---
name: seed-env
spawn:
  argv: [/bin/sh, -c, "echo $SPF_FAULT_SEED"]
  stdout: pipe
faults:
  - {call: read, scope: exec, when: 1000, errno: EIO}
expect:
  returncode: 0
YAML
fired() {
    "$prog" run --seed "$1" --json "$tmp/seed-$1.json" "$tmp/prob.yaml" \
        >/dev/null 2>&1
    grep -o '"n": [0-9]*' "$tmp/seed-$1.json" | tr '\n' ' '
}
a=$(fired 1) b=$(fired 1) c=$(fired 2) d=$(fired 3)
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "the same seed fires the same faults"
else not_ok "the same seed fires the same faults: '$a' / '$b'"; fi
if [ "$a" != "$c" ] || [ "$a" != "$d" ]; then
    ok "other seeds fire other faults"
else not_ok "other seeds fire other faults: all '$a'"; fi
# The caller's own fault variables (as under spawnfault itself) are not
# the case's: the same seed still fires the same faults.
e=$(SPF_FAULTS="call=write,errno=EIO" SPF_FAULT_SEED=ff:ff SPF_FAULT_ROOT=1 \
    SPF_FAULT_LOG_FD=99 fired 1)
if [ "$a" = "$e" ]; then ok "stale SPF_FAULT* variables of the caller are ignored"
else not_ok "stale SPF_FAULT* variables of the caller are ignored: '$a' / '$e'"; fi
has "the plan draws from the run's seed (SPF_FAULT_SEED=3:...)" \
    "$tmp/seed-3.json" '"data": "3:'

# Interrupted: exit 130, the stopped case said so, nothing left behind.
marker="spf-cli-$$-marker"
cat >"$tmp/slow.yaml" <<YAML
name: slow-1
spawn:
  argv: [/bin/sh, -c, "sleep 60 & exec sleep 61", $marker]
expect:
  returncode: 0
---
name: slow-2
spawn:
  argv: [/bin/sh, -c, "exec sleep 62", $marker]
expect:
  returncode: 0
YAML
mkdir "$tmp/cases"
TMPDIR="$tmp/cases" "$prog" run --jobs 1 --tap --junit "$tmp/int.xml" \
    "$tmp/slow.yaml" >"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
while ! pgrep -f "$marker" >/dev/null && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
kill -INT $pid
wait $pid
status=$?
if [ $status -eq 130 ]; then ok "an interrupted run exits 130"
else not_ok "an interrupted run exits 130 (got $status)"; fi
has "the stopped case is skipped, not failed" "$tmp/out" \
    "ok 1 - slow-1 # SKIP interrupted"
has "the count says what ran and what did not" "$tmp/out" \
    "# 0 passed, 0 failed, 1 interrupted, 1 not run"
has "the program says it was interrupted" "$tmp/err" \
    "interrupted: 1 scenario stopped, 1 not run"
has "the JUnit report was written, the case skipped" "$tmp/int.xml" \
    "<skipped message="
sleep 0.2
if pgrep -f "$marker" >/dev/null; then
    not_ok "no process of the case is left"
    pkill -KILL -f "$marker"
else ok "no process of the case is left"; fi
# (valgrind, when it wraps the program, keeps its own pipes there)
left=$(cd "$tmp/cases" && ls -d spf-case-* 2>/dev/null | tr '\n' ' ')
if [ -z "$left" ]; then ok "no case folder is left"
else not_ok "no case folder is left: $left"; fi

# Targets.
check "an unknown target is bad input" 2 "$prog" run --target cpyton \
    "$tmp/pass.yaml"
has "the error lists the known targets" "$tmp/err" \
    'unknown target "cpyton" (known: core, cpython, cpython:3.N, node)'
check "a CPython version out of range is bad input" 2 "$prog" run \
    --target cpython:3.9 "$tmp/pass.yaml"
has "the error says which versions" "$tmp/err" "N from 10 to 13"
check "--compare needs two targets" 2 "$prog" run --compare core \
    "$tmp/pass.yaml"
has "the error says how to name them" "$tmp/err" \
    "name at least two targets, separated by commas (core,cpython)"
cp "$tmp/pass.yaml" "$tmp/keep.yaml"
check "a report never overwrites a scenario file" 2 "$prog" run \
    "$tmp/keep.yaml" --junit "$tmp/keep.yaml"
if cmp -s "$tmp/pass.yaml" "$tmp/keep.yaml"; then ok "the scenario file is intact"
else not_ok "the scenario file is intact"; fi
check "--junit and --json naming one file is bad input" 2 "$prog" run \
    "$tmp/pass.yaml" --junit "$tmp/same" --json "$tmp/same"
check "--compare with no scenario selected is bad input" 2 "$prog" run \
    --compare core,cpython --filter nomatch "$tmp/pass.yaml"
if [ -x /usr/bin/node ] || [ -x /usr/local/bin/node ]; then
    check "a missing adapter named by its variable" 2 \
        env SPF_TARGET_NODE=/nonexistent/node.js "$prog" run --target node \
        "$tmp/pass.yaml"
    has "the error names the variable" "$tmp/err" \
        "SPF_TARGET_NODE=/nonexistent/node.js: No such file or directory"
else
    for what in "a missing adapter named by its variable" \
        "the error names the variable"; do
        n=$((n + 1)); echo "ok $n - $what # SKIP no node"
    done
fi
check "a relative TMPDIR is bad input" 2 env TMPDIR=rel "$prog" run \
    "$tmp/pass.yaml"
has "it says so" "$tmp/err" "TMPDIR=rel: cases need an absolute path"
check "a missing TMPDIR is bad input" 2 env TMPDIR=/nonexistent "$prog" run \
    "$tmp/pass.yaml"
check "list refuses an option of run" 2 "$prog" list --target cpython \
    "$tmp/pass.yaml"
has "and names it" "$tmp/err" "--target is an option of run, not of list"
check "--compare refuses an empty name in its list" 2 "$prog" run \
    --compare core,,cpython "$tmp/pass.yaml"
check "--compare refuses a trailing comma" 2 "$prog" run \
    --compare core,cpython, "$tmp/pass.yaml"
check "--compare refuses a target named twice" 2 "$prog" run \
    --compare core,core "$tmp/pass.yaml"
check "--compare with --junit is bad input" 2 "$prog" run \
    --compare core,cpython --junit "$tmp/c.xml" "$tmp/pass.yaml"
if [ -z "${SPF_UNDER_VALGRIND:-}" ] &&
    "$prog" run --target cpython --filter '' "$tmp/pass.yaml" 2>&1 |
    grep -q "no scenario matches"; then
    check "the scenarios pass on CPython" 0 "$prog" run --target cpython \
        "$tmp/pass.yaml"
    has "the report names the target" "$tmp/out" "; target cpython:3."
    check "a failure on CPython replays on CPython" 1 "$prog" run \
        --target cpython "$tmp/-dash.yaml"
    has "the replay names the target" "$tmp/out" "--target 'cpython:3."
    check "core and CPython agree on these scenarios" 0 "$prog" run \
        --compare core,cpython --json "$tmp/c.json" "$tmp/pass.yaml"
    has "the comparison counts them" "$tmp/out" \
        "compared 2: 0 differ (0 documented field differences, 0 undocumented)"
    has "the JSON report holds the targets" "$tmp/c.json" '"targets": ['
else
    for what in "the scenarios pass on CPython" "the report names the target" \
        "a failure on CPython replays on CPython" "the replay names the target" \
        "core and CPython agree on these scenarios" "the comparison counts them" \
        "the JSON report holds the targets"; do
        n=$((n + 1)); echo "ok $n - $what # SKIP no CPython, or under valgrind"
    done
fi

# Not applicable: a case a target cannot express is neither passed nor
# failed, and says why.  CPython 3.10 has no process_group.
cat >"$tmp/na.yaml" <<'YAML'
name: group-zero
spawn:
  argv: [/bin/true]
  process_group: 0
expect:
  returncode: 0
---
name: plain
spawn:
  argv: [/bin/true]
expect:
  returncode: 0
YAML
why=$("$prog" run --target cpython:3.10 --filter '' "$tmp/na.yaml" 2>&1 |
    sed -n '1s/^spawnfault: error: //p')
if [ -n "${SPF_UNDER_VALGRIND:-}" ]; then
    why="the cpython:3.10 target is not run under valgrind"
elif [ "$why" = "no scenario matches " ]; then
    why=
fi
if [ -z "$why" ]; then
    check "a case CPython 3.10 cannot express fails nothing" 0 "$prog" run \
        --target cpython:3.10 --tap --junit "$tmp/na.xml" "$tmp/na.yaml"
    has "it is listed not applicable, with the reason" "$tmp/err" \
        "N/A group-zero ($tmp/na.yaml:1): CPython 3.10 has no process_group (3.11+)"
    has "the count says how many, on which target" "$tmp/err" \
        "2 scenarios: 1 passed, 0 failed, 1 not applicable on cpython:3.10 in"
    has "TAP skips it with the reason" "$tmp/out" \
        "ok 1 - group-zero # SKIP not applicable: CPython 3.10 has no process_group (3.11+)"
    has "JUnit skips it with the target and the reason" "$tmp/na.xml" \
        '<skipped message="not applicable on cpython:3.10: CPython 3.10 has no process_group (3.11+)"/>'
    check "a comparison with 3.10 leaves it out, and says so" 0 "$prog" run \
        --compare core,cpython:3.10 "$tmp/na.yaml"
    has "the scenario is no difference" "$tmp/out" \
        "compared 1: 0 differ (0 documented field differences, 0 undocumented), 1 not compared (not applicable on cpython:3.10)"
else
    for what in "a case CPython 3.10 cannot express fails nothing" \
        "it is listed not applicable, with the reason" \
        "the count says how many, on which target" \
        "TAP skips it with the reason" \
        "JUnit skips it with the target and the reason" \
        "a comparison with 3.10 leaves it out, and says so" \
        "the scenario is no difference"; do
        n=$((n + 1)); echo "ok $n - $what # SKIP $why"
    done
fi

# A case not applicable is still held to its census: an adapter of our
# own, as a peer's (SPF_TARGET_CPYTHON names it), that says so but leaves
# a process running fails it.
cat >"$tmp/leaves.py" <<'PY'
import json, os, subprocess, sys
subprocess.Popen(["/bin/sleep", "30"], stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.write(int(sys.argv[2]), json.dumps({
    "result": "not_applicable", "stage": "none", "errno": 0,
    "not_applicable": "this fake adapter cannot"}).encode())
PY
if [ -z "${SPF_UNDER_VALGRIND:-}" ] &&
    "$prog" run --target cpython --filter '' "$tmp/pass.yaml" 2>&1 |
    grep -q "no scenario matches"; then
    check "a stray left by a case not applicable fails it" 1 env \
        SPF_TARGET_CPYTHON="$tmp/leaves.py" "$prog" run --target cpython \
        --filter plain "$tmp/na.yaml"
    has "the failure says it was not applicable" "$tmp/out" \
        "not applicable on cpython:3."
    has "and names the stray" "$tmp/out" "  stray: pid "
    has "it counts as failed, not as not applicable" "$tmp/out" \
        "1 scenario: 0 passed, 1 failed in"
else
    for what in "a stray left by a case not applicable fails it" \
        "the failure says it was not applicable" "and names the stray" \
        "it counts as failed, not as not applicable"; do
        n=$((n + 1)); echo "ok $n - $what # SKIP no CPython, or under valgrind"
    done
fi

# Seccomp rules.  Where seccomp user notification is missing (valgrind
# implements no seccomp(2)) the case is not run, and says why: it never
# passes unseen.  Where it works, a seccomp supervisor that fails ends the
# case at once as a harness error.  Here its own polls fail from the 50th
# on (inject's preload, in the runner's children before exec, counting
# the supervisor's thread alone), while the case's shell loops on execs
# that then fail with ENOSYS: left running, it would loop until its
# watchdog, 20 s later.
cat >"$tmp/sc-probe.yaml" <<'YAML'
name: seccomp-probe
spawn:
  argv: [/bin/true]
faults:
  - call: proc/setsid
    scope: exec
    backend: seccomp
    errno: EPERM
expect:
  returncode: 0
YAML
cat >"$tmp/sc.yaml" <<'YAML'
name: seccomp-loops
watchdog: 20
spawn:
  argv: [/bin/sh, -c, "while :; do /bin/true; done; : spf-cli-seccomp-loop"]
faults:
  - call: proc/setsid
    scope: exec
    backend: seccomp
    errno: EPERM
expect:
  returncode: 0
YAML
"$prog" run "$tmp/sc-probe.yaml" >"$tmp/sc.out" 2>&1
if grep -q "^N/A seccomp-probe" "$tmp/sc.out"; then
    # Under valgrind: "seccomp user notification is unavailable here";
    # in a build without libseccomp: "this build has no seccomp supervisor".
    check "a seccomp case where seccomp is missing fails nothing" 0 \
        "$prog" run --tap "$tmp/sc-probe.yaml"
    has "it is not applicable, with the reason" "$tmp/out" \
        "ok 1 - seccomp-probe # SKIP not applicable: the case has seccomp rules, and "
    has "the count says so" "$tmp/err" "0 passed, 0 failed, 1 not applicable"
    for what in "a failing seccomp supervisor fails the case" \
        "as a harness error that says so" "at once" \
        "and leaves no process behind"; do
        n=$((n + 1)); echo "ok $n - $what # SKIP no seccomp supervisor here"
    done
elif [ -n "${SPF_UNDER_SANITIZERS:-}" ]; then
    for what in "a seccomp case where seccomp is missing fails nothing" \
        "it is not applicable, with the reason" "the count says so" \
        "a failing seccomp supervisor fails the case" \
        "as a harness error that says so" "at once" \
        "and leaves no process behind"; do
        n=$((n + 1)); echo "ok $n - $what # SKIP a sanitized runner cannot take inject's preload"
    done
else
    for what in "a seccomp case where seccomp is missing fails nothing" \
        "it is not applicable, with the reason" "the count says so"; do
        n=$((n + 1)); echo "ok $n - $what # SKIP seccomp user notification works here"
    done
    t0=$(date +%s)
    check "a failing seccomp supervisor fails the case" 1 "$prog" inject \
        --fault 'io/poll@child#thread:50..=ENOMEM' -- "$prog" run "$tmp/sc.yaml"
    t1=$(date +%s)
    has "as a harness error that says so" "$tmp/out" \
        "harness error: the seccomp supervisor failed: Cannot allocate memory"
    if [ $((t1 - t0)) -lt 10 ]; then ok "at once"; else
        not_ok "at once (took $((t1 - t0)) s)"; fi
    if pgrep -f 'spf-cli-seccomp-loop' >/dev/null; then
        not_ok "and leaves no process behind"
    else ok "and leaves no process behind"; fi
fi

echo "1..$n"
[ "$failed" -eq 0 ]
