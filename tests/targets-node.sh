#!/bin/sh
# The node target (harness/targets/node.js, docs/targets-node.md): cases
# run through node's child_process, what node cannot express is not
# applicable there and says why (neither passed nor failed), and the
# census sees no fd of node's own.  TAP; skipped without node.
# Usage: targets-node.sh SPAWNFAULT
set -u
prog=$1
if ! [ -x /usr/local/bin/node ] && ! [ -x /usr/bin/node ]; then
    echo "1..0 # SKIP no node in /usr/local/bin or /usr/bin"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spf-node-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    sed 's/^/# /' "$tmp/out"
}
# run DESCRIPTION EXPECTED-STATUS FILE: run FILE's scenarios on node
run() {
    "$prog" run --target node --verbose "$3" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" -eq "$2" ]; then ok "$1"; else
        not_ok "$1 (exit $got, expected $2)"; fi
}
has() {
    if grep -qF -- "$2" "$tmp/out"; then ok "$1"; else not_ok "$1"; fi
}
# not_applicable DESCRIPTION NAME REASON: the scenario NAME was reported
# not applicable, with REASON, and counted as such
not_applicable() {
    if grep -F -- "N/A $2 (" "$tmp/out" | grep -qF -- "$3" &&
        grep -qF -- "1 scenario: 0 passed, 0 failed, 1 not applicable on node" \
            "$tmp/out"; then
        ok "$1"
    else not_ok "$1"; fi
}

echo "TAP version 13"

cat >"$tmp/runs.yaml" <<'YAML'
name: run-pipes
spawn:
  argv: ["{helper}", out, apple, err, orange, exit, "3"]
  stdout: pipe
  stderr: pipe
expect:
  returncode: 3
  stdout: apple
  stderr: orange
---
name: communicate-input
spawn:
  argv: ["{helper}", cat]
  stdin: pipe
  stdout: pipe
api: communicate
input: banana
expect:
  stdout: banana
---
name: communicate-timeout-resume
spawn:
  argv: [/bin/sh, -c, "echo a; sleep 0.3; echo b"]
  stdout: pipe
api: communicate
timeout: 0.1
resume: 5
expect:
  result: timeout
  partial_stdout: "a\n"
  stdout: "a\nb\n"
  returncode: 0
---
name: wait-timeout-kills
spawn:
  argv: ["{helper}", sleep, "30"]
  stdout: pipe
api: wait
timeout: 0.1
expect:
  result: timeout
  signal: SIGKILL
---
name: pass-fds-keeps-stdio
spawn:
  argv: ["{helper}", fds]
  stdout: pipe
  pass_fds: [1]
expect:
  stdout: "0 1 2\n"
---
name: close-fds-false-sees-only-std
spawn:
  argv: ["{helper}", fds]
  stdout: pipe
  close_fds: false
expect:
  stdout: "0 1 2\n"
---
name: repeat-inherited
spawn:
  argv: [/bin/sh, -c, "echo hi"]
api: wait
repeat: 3
expect:
  returncode: 0
  inherited_stdout: "hi\n"
YAML
run "run, communicate and wait pass on node, with no fd left behind" 0 \
    "$tmp/runs.yaml"

cat >"$tmp/chdir.yaml" <<'YAML'
name: chdir-missing
spawn:
  argv: [/bin/true]
  cwd: /nonexistent/dir
expect:
  spawn_error: {stage: exec, errno: ENOENT, filename: /bin/true}
YAML
run "a missing cwd is node's ENOENT for the program" 0 "$tmp/chdir.yaml"

for c in "umask: 0o022|node has no umask" \
         "process_group: 0|node has no process_group" \
         "restore_signals: false|node has no restore_signals=false" \
         "stderr: stdout|node cannot merge stderr into a stdout pipe" \
         "cwd: {hex: ff}|its bytes ff are not UTF-8"; do
    key=${c%%|*} want=${c#*|}
    cat >"$tmp/no.yaml" <<YAML
name: inexpressible
spawn:
  argv: [/bin/true]
  stdout: pipe
  $key
expect:
  returncode: 0
YAML
    run "$key: not applicable, which fails nothing" 0 "$tmp/no.yaml"
    not_applicable "$key: reported not applicable, with the reason" \
        inexpressible "$want"
done

cat >"$tmp/faults.yaml" <<'YAML'
name: with-a-rule
spawn:
  argv: [/bin/true]
faults:
  - call: execve
    scope: child
    errno: ENOENT
expect:
  returncode: 0
YAML
# With a case's fault rules, node starts with the preload in LD_PRELOAD.
# In a sanitized build the preload needs the sanitizers' runtime, which
# node, built without it, cannot start with (it dies before its first
# line, SEGV at address 0): nothing the adapter could report.
if [ -n "${SPF_UNDER_SANITIZERS:-}" ]; then
    for what in "fault rules: not applicable, which fails nothing" \
        "fault rules: reported not applicable, with the reason"; do
        n=$((n + 1))
        echo "ok $n - $what # SKIP node cannot start with the preload" \
            "of a build sanitized with $SPF_UNDER_SANITIZERS"
    done
else
    run "fault rules: not applicable, which fails nothing" 0 "$tmp/faults.yaml"
    not_applicable "fault rules: reported not applicable, with the reason" \
        with-a-rule "fault rules are not applicable on the node target yet"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
