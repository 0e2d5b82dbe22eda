#!/bin/sh
# spawnfault inject on real programs: which process is the root and which
# calls it counts, faults that must change what a program does, exit
# statuses (a signal included), bad specs, the log, the seed, signals sent
# to the launcher.  TAP.
# Usage: inject.sh SPAWNFAULT
set -u
prog=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spf-inject-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); echo "not ok $n - $1"
    [ -f "$tmp/err" ] && sed 's/^/# err: /' "$tmp/err"
    [ -f "$tmp/out" ] && sed 's/^/# out: /' "$tmp/out"
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
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
# is DESCRIPTION GOT WANT
is() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}

echo "TAP version 13"

if [ -n "${SPF_UNDER_SANITIZERS:-}" ]; then
    echo "1..0 # SKIP a sanitized preload cannot load into /bin/sh"
    exit 0
fi

# Exit statuses pass through, with or without faults; "--" is optional
# and everything after the command is the command's.
check "an exit code passes through" 3 "$prog" inject -- sh -c 'exit 3'
check "without --, the command's own options stay its own" 4 \
    "$prog" inject sh -c 'exit 4'
check "with a rule that never fires, the code still passes" 5 \
    "$prog" inject --fault 'write#1000=EIO' -- sh -c 'exit 5'
has "and the launcher warns that no rule fired" "$tmp/err" "no rule fired"
check "a rule that fires draws no such warning" 1 \
    "$prog" inject --fault 'write=EIO' -- sh -c 'echo hi'
if grep -qF "no rule fired" "$tmp/err"; then
    not_ok "and no idle warning"; else ok "and no idle warning"; fi

# Our variables never pass from the caller, rules or none: a stale plan
# in the environment would be the one the program's preload obeys.
got=$(SPF_FAULTS=junk SPF_FAULT_SEED=1 "$prog" inject -- env | grep -c '^SPF_FAULT')
is "the caller's SPF_FAULT variables are stripped without rules" "$got" 0

# The program is the root and is armed from its load, so its first exec
# is call 1 of the parent scope: a POSIX shell whose exec finds no
# command exits 127.  The launcher's own exec of sh is never counted.
check "the root's first exec fails" 127 \
    "$prog" inject --fault 'execve#1=ENOENT' -- sh -c 'exec /bin/true'
has "and the shell says the command is not found" "$tmp/err" "not found"

# A child of the root counts its own calls from 1: its exec is its first.
check "a child's first exec fails, the root goes on" 0 \
    "$prog" inject --fault 'execve@child#1=ENOENT' -- \
    sh -c '/bin/true; echo "child: $?"'
is "the child exits 127" "$(cat "$tmp/out")" "child: 127"

# echo is a builtin: its write is the root's.  A write that fails makes
# echo fail, whatever else the shell does after.
check "echo fails when write fails" 1 \
    "$prog" inject --fault 'write=EIO' -- sh -c 'echo hi'
is "and wrote nothing" "$(cat "$tmp/out")" ""

# Killed by a signal: the launcher dies of the same signal.
if command -v python3 >/dev/null; then
    got=$(python3 -c 'import subprocess, sys
print(subprocess.run(sys.argv[1:]).returncode)' \
        "$prog" inject -- sh -c 'kill -USR1 $$' 2>/dev/null)
    is "a program killed by SIGUSR1 kills the launcher with SIGUSR1" "$got" -10
    got=$(python3 -c 'import subprocess, sys
print(subprocess.run(sys.argv[1:]).returncode)' \
        "$prog" inject -- sh -c 'exit 138' 2>/dev/null)
    is "an exit code of 138 stays an exit code" "$got" 138
else
    skip "a program killed by SIGUSR1 kills the launcher with SIGUSR1" \
        "no python3 to tell a signal from an exit code"
    skip "an exit code of 138 stays an exit code" "no python3"
fi
check "as a shell sees it: 128+9" 137 "$prog" inject -- sh -c 'kill -KILL $$'

# Bad input: exit 2, a message naming the --fault and the field, and
# nothing run.
check "an unknown errno is bad input" 2 "$prog" inject \
    --fault 'write=EIO' --fault 'write:error=EFOO' -- sh -c 'touch "$1"' sh \
    "$tmp/ran"
has "the message names the second --fault and the field" "$tmp/err" \
    'spawnfault: error: --fault 2 ("write:error=EFOO"): error "EFOO": unknown errno'
if [ -e "$tmp/ran" ]; then not_ok "nothing ran"; else ok "nothing ran"; fi
check "what only strace has is refused" 2 "$prog" inject \
    --fault 'read:error=EIO:delay_exit=10' -- true
has "saying so" "$tmp/err" \
    '--fault 1 ("read:error=EIO:delay_exit=10"): delay_exit: strace has it'
check "an errno the call cannot return is refused" 2 "$prog" inject \
    --fault 'write=ENOEXEC' -- true
has "by the native parser, naming the action" "$tmp/err" \
    '--fault 1 ("write=ENOEXEC"): rule 1 ("write=ENOEXEC"): action "ENOEXEC"'
# The seccomp backend needs the kernel's user notification, which memcheck
# does not emulate (nor do old kernels): probed once; its checks are
# skipped, with the launcher's own reason, only where it cannot start.
no_seccomp=
if ! "$prog" inject --fault 'execve:error=ENOENT:when=99:backend=seccomp' \
    -- true >/dev/null 2>"$tmp/probe" &&
    grep -q "seccomp supervisor cannot start" "$tmp/probe"; then
    no_seccomp=$(sed -n 's/^spawnfault: error: //p' "$tmp/probe" | head -n 1)
fi
# The seccomp backend sees the fork and exec a shell makes, and a write
# of a program that no preload is in.
if [ -n "$no_seccomp" ]; then
    for d in "a seccomp rule fails a child's exec" \
        "which the shell reports as not found" \
        "seccomp and preload rules together" "the preload's rule fired" \
        "seccomp rules alone hand the program no fd" \
        "SIGTERM ends a seccomp launcher whose program is gone"; do
        skip "$d" "$no_seccomp"
    done
else
    check "a seccomp rule fails a child's exec" 0 "$prog" inject \
        --fault 'execve:error=ENOENT:when=1:scope=child:backend=seccomp' -- \
        sh -c '/bin/true; echo "status $?"'
    has "which the shell reports as not found" "$tmp/out" "status 127"
    check "seccomp and preload rules together" 1 "$prog" inject --log - \
        --fault 'fork:error=EAGAIN:when=99:backend=seccomp' \
        --fault 'write#1=EIO' -- sh -c 'echo hi'
    has "the preload's rule fired" "$tmp/err" "call=io/write n=1 action=errno"
    # The supervisor writes the log itself: no preload, no fd to inherit.
    got=$("$prog" inject --fault 'execve:error=ENOENT:when=99:backend=seccomp' \
        -- sh -c 'ls /proc/$$/fd' 2>/dev/null | tr '\n' ' ')
    is "seccomp rules alone hand the program no fd" "$got" "0 1 2 "
    # A signal once the program has ended, while its background job
    # keeps the supervisor busy: the launcher ends as the signal says.
    "$prog" inject --fault 'execve:error=ENOENT:when=99:backend=seccomp' \
        -- sh -c 'exec >/dev/null 2>&1; sleep 30 & echo $! >'"$tmp/bg" \
        2>/dev/null &
    launcher=$!
    sleep 0.5
    kill -TERM $launcher
    wait $launcher
    is "SIGTERM ends a seccomp launcher whose program is gone" $? 143
    [ -s "$tmp/bg" ] && kill "$(cat "$tmp/bg")" 2>/dev/null
fi
check "an option given twice is bad input" 2 "$prog" inject --seed 1 \
    --seed 2 -- true
has "naming it" "$tmp/err" "--seed given twice"
check "an empty command is bad input" 2 "$prog" inject ''
has "saying so" "$tmp/err" "the command is an empty string"
check "no command is bad input" 2 "$prog" inject --fault 'write=EIO'
check "an unknown option is bad input" 2 "$prog" inject --frob -- true
check "a seed with a sign is bad input" 2 "$prog" inject --seed -1 -- true
check "a seed may be hexadecimal" 0 "$prog" inject --seed 0xff -- true
check "a missing command exits 127" 127 "$prog" inject -- "$tmp/nonexist"
has "and says why" "$tmp/err" "cannot run $tmp/nonexist"
check "a log that cannot be opened is bad input" 2 "$prog" inject \
    --log "$tmp/no/such/dir" --fault 'write=EIO' -- sh -c 'touch "$1"' sh \
    "$tmp/ran"
if [ -e "$tmp/ran" ]; then not_ok "nothing ran"; else ok "nothing ran"; fi

# The log holds one line per fired fault; its fields may grow, so only
# what the rule fixes is checked.
check "the log is written" 1 "$prog" inject --log "$tmp/log" \
    --fault 'write#1=EIO' -- sh -c 'echo hi'
is "one line per fired fault" "$(wc -l <"$tmp/log" | tr -d ' ')" 1
line=$(cat "$tmp/log")
case $line in
"spf-fault "*" n=1 "*"errno=EIO"*) ok "the line is the first write's EIO" ;;
*) not_ok "the line is the first write's EIO: $line" ;;
esac
check "--log - writes to stderr" 1 "$prog" inject --log - \
    --fault 'write#1=EIO' -- sh -c 'echo hi'
has "the record is on stderr" "$tmp/err" "spf-fault "
check "--count counts the points reached and the faults fired" 0 \
    "$prog" inject --count \
    --fault 'write#2..3=EIO' -- sh -c 'echo a; echo b; echo c; echo d; true'
# Reached: the four echoes and the shell's own messages about the two
# that failed.
if grep -Eq '^spawnfault: count: io/write reached [0-9]+ \(parent [0-9]+, child 0, exec 0\), fired 2$' "$tmp/err"; then
    ok "the writes reached, two of them fired"
else not_ok "the writes reached, two of them fired"; fi
# A program stopped by the stop action: the launcher says so and waits;
# here a child of the shell continues it.
check "a stopped program is waited for until it is continued" 0 \
    timeout 20 "$prog" inject --fault 'write#1=stop' -- \
    sh -c '(sleep 0.3; kill -CONT $$) & echo hi; wait'
has "the launcher says it is stopped" "$tmp/err" "is stopped by SIGSTOP"
is "and the write went through once continued" "$(cat "$tmp/out")" hi

# --inherit: which exec'd programs carry the preload.  grep reads with
# read(2) (cat may use copy_file_range, which is no point).
check "an exec-scope rule reaches an exec'd program" 0 "$prog" inject \
    --fault 'read@exec=EIO' -- sh -c 'grep . /etc/hostname; echo $?'
is "whose read fails" "$(cat "$tmp/out")" 2
check "--inherit libc: a glibc program still carries it" 0 "$prog" inject \
    --inherit libc --fault 'read@exec=EIO' -- sh -c 'grep . /etc/hostname; echo $?'
is "and its read fails" "$(cat "$tmp/out")" 2
check "--inherit none with an exec-scope rule is refused" 2 "$prog" inject \
    --inherit none --fault 'read@exec=EIO' -- true
has "naming the conflict" "$tmp/err" "--inherit none: 1 rule has the exec scope"
check "by default, counting goes on past exec" 0 "$prog" inject \
    --count -- sh -c 'grep -q . /etc/hostname'
if grep -q 'io/read reached [0-9]* (parent 0, child 0, exec [1-9]' "$tmp/err"; then
    ok "grep's reads counted in the exec scope"
else not_ok "grep's reads counted in the exec scope"; fi
check "--inherit none: counting stops at exec" 0 "$prog" inject \
    --inherit none --count -- sh -c 'grep -q . /etc/hostname'
if grep -q 'exec [1-9]' "$tmp/err"; then
    not_ok "nothing counted in the exec scope"
else ok "nothing counted in the exec scope"; fi
check "--inherit takes all, libc or none only" 2 "$prog" inject \
    --inherit some -- true
has "and says so" "$tmp/err" 'expected all, libc or none, got "some"'
check "--count alone faults nothing" 0 "$prog" inject --count -- \
    sh -c 'echo a; /bin/true'
has "and counts the shell's fork and its child's exec" "$tmp/err" \
    "spawnfault: count: spawn/exec reached 1 (parent 0, child 1, exec 0)"
if [ "$(head -n 1 "$tmp/out")" = a ] && ! grep -qx b "$tmp/out"; then
    ok "the first write went through, the second did not"
else not_ok "the first write went through, the second did not"; fi

# The program's children see none of our variables, stale ones included.
check "the fault variables stop at the root" 0 env SPF_FAULT_ROOT=1 \
    SPF_FAULT_ARM=1 "$prog" inject --fault 'write#1000=EIO' -- sh -c env
if grep -q '^SPF_FAULT\|libspawnfault-preload' "$tmp/out"; then
    not_ok "no SPF_FAULT variable nor the preload below the root"
else ok "no SPF_FAULT variable nor the preload below the root"; fi

# The same seed makes the same draws.  Each record names the process and
# thread that fired it, whose ids differ from run to run, and may carry a
# time: ids are replaced by their order of first appearance in the log
# (the same processes must fire, in the same order), times are dropped,
# and everything else (which calls, which numbers, what fault) must be
# equal.  A run where all or none fired would compare equal for any seed,
# so it must not be one.
seq_prog='for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24; do echo $i; done; true'
draws() {
    "$prog" inject --seed "$1" --log "$tmp/log-$2" --fault 'write%0.5=EIO' \
        -- sh -c "$seq_prog" >"$tmp/out-$2" 2>/dev/null
    awk '{
        for (i = 1; i <= NF; i++) {
            split($i, kv, "=")
            if (kv[1] == "pid" || kv[1] == "tid") {
                if (!(kv[2] in id)) id[kv[2]] = ++ids
                $i = kv[1] "=#" id[kv[2]]
            } else if (kv[1] == "t" || kv[1] == "time") {
                $i = kv[1] "=*"
            }
        }
        print
    }' "$tmp/log-$2" >"$tmp/norm-$2"
}
draws 7 a; draws 7 b; draws 8 c
fired=$(wc -l <"$tmp/norm-a" | tr -d ' ')
if [ "$fired" -gt 0 ] && [ "$fired" -lt 24 ]; then
    ok "some writes failed and some did not ($fired of 24)"
else not_ok "some writes failed and some did not ($fired of 24)"; fi
if cmp -s "$tmp/norm-a" "$tmp/norm-b" && cmp -s "$tmp/out-a" "$tmp/out-b"
then ok "the same seed gives the same log and output"
else not_ok "the same seed gives the same log and output"; fi
if cmp -s "$tmp/norm-a" "$tmp/norm-c"; then
    not_ok "another seed gives another log"
else ok "another seed gives another log"; fi

# A signal sent to the launcher goes to the program; the launcher waits
# for it, writes the log, and dies of the same signal.  No process is
# left.  (A background job of a script ignores SIGINT, so SIGTERM and
# SIGHUP stand for the three.)
for sig in TERM:15 HUP:1; do
    num=${sig#*:} sig=${sig%:*}
    rm -f "$tmp/pid" "$tmp/siglog"
    "$prog" inject --log "$tmp/siglog" --fault 'read#1000=EIO' -- \
        sh -c 'echo $$ >"$1.tmp"; mv "$1.tmp" "$1"; exec sleep 30' sh \
        "$tmp/pid" 2>/dev/null &
    launcher=$!
    tries=0
    while [ ! -s "$tmp/pid" ] && [ $tries -lt 100 ]; do
        sleep 0.05; tries=$((tries + 1))
    done
    child=$(cat "$tmp/pid" 2>/dev/null)
    sleep 0.2
    kill -$sig $launcher
    { wait $launcher; } 2>/dev/null
    status=$?
    is "SIG$sig: the launcher dies of it" "$status" $((128 + num))
    if [ -n "$child" ] && ! kill -0 "$child" 2>/dev/null; then
        ok "SIG$sig: the program is gone"
    else
        not_ok "SIG$sig: the program is gone (pid '$child')"
        [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
    fi
    if [ -f "$tmp/siglog" ]; then ok "SIG$sig: the log was written"
    else not_ok "SIG$sig: the log was written"; fi
done

# bash defines getenv, setenv and unsetenv of its own: the preload must
# not depend on them to pass the fault variables on.
check "--count counts bash's children" 0 "$prog" inject --count -- \
    bash -c '/bin/true; /bin/true; :'
has "both execs, in the child scope" "$tmp/err" \
    "spawnfault: count: spawn/exec reached 2 (parent 0, child 2, exec 0)"
# Like env, the launcher hands on the fds it inherited (make's jobserver).
check "an inherited fd reaches the program" 0 "$prog" inject \
    --fault 'write#99=EIO' -- sh -c 'echo through >&5' 5>"$tmp/fd5"
is "and what it wrote" "$(cat "$tmp/fd5")" "through"

# Call 1 of each child is not the same call: a probability spreads over
# the children, the same way for a seed in every run.
pattern() {
    "$prog" inject --seed 3 --fault 'execve@child%0.5=ENOENT' -- \
        sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
            /bin/true 2>/dev/null; printf %s $?; done'
}
first=$(pattern); second=$(pattern)
is "a seed gives the same children their faults twice" "$first" "$second"
case $first in
*127*0* | *0*127*) ok "some children failed, some did not: $first" ;;
*) not_ok "some children failed, some did not: $first" ;;
esac

# strace's syntax, on real programs.
check "strace syntax: execve:error=ENOENT:when=1" 127 \
    "$prog" inject --fault 'execve:error=ENOENT:when=1' -- \
    sh -c 'exec /bin/true'
check "strace syntax: write:error=EIO makes echo fail" 1 \
    "$prog" inject --fault 'write:error=EIO' -- sh -c 'echo hi'
is "and it wrote nothing" "$(cat "$tmp/out")" ""
check "strace syntax: a child's exec, with our scope key" 0 \
    "$prog" inject --fault 'execve:error=ENOENT:when=1:scope=child' -- \
    sh -c '/bin/true; echo "child: $?"'
is "the child exits 127" "$(cat "$tmp/out")" "child: 127"
check "strace syntax: when=2+ lets the first write through" 0 \
    "$prog" inject --count --fault 'write:error=EIO:when=2+' -- \
    sh -c 'echo a; echo b; echo c; true'
is "only the first line came out" "$(cat "$tmp/out")" "a"
has "the count names the point" "$tmp/err" "spawnfault: count: io/write "

# libfiu's control commands, as fiu-run -c takes them.  failinfo is the
# errno: 5 is EIO, which dash reports by its strerror text.
check "libfiu syntax: failinfo=5 makes echo fail" 1 \
    "$prog" inject --fault 'enable name=posix/io/rw/write,failinfo=5' -- \
    sh -c 'echo hi'
is "and it wrote nothing" "$(cat "$tmp/out")" ""
check "libfiu syntax: onetime fails the first write only" 0 \
    "$prog" inject --fault 'enable name=posix/io/rw/write,onetime,failinfo=5' \
    -- sh -c 'echo hi; echo "status $?"'
is "the second echo reports the first's failure" "$(cat "$tmp/out")" \
    "status 1"
has "which was EIO" "$tmp/err" "I/O error"
check "libfiu syntax: a point we have not is bad input" 2 \
    "$prog" inject --fault 'enable name=posix/io/oc/open' -- true
has "saying so by name" "$tmp/err" \
    'spawnfault: error: --fault 1 ("enable name=posix/io/oc/open"): name "posix/io/oc/open": spawnfault has no point for it'
check "libfiu syntax: an errno write cannot return is bad input" 2 \
    "$prog" inject --fault 'enable name=posix/io/rw/write,failinfo=2' -- true
has "the native parser names it" "$tmp/err" 'action "ENOENT"'

# --close-stdout-after: the launcher copies BYTES of the program's stdout,
# then closes the pipe.  A write after the close fails for real: each
# program below writes more than a pipe holds (64 KiB), so its write
# meets the closed pipe whatever the timing.
check "--close-stdout-after 3: a SIGPIPE death is the launcher's" 141 \
    "$prog" inject --close-stdout-after 3 -- head -c 1000000 /dev/zero
is "exactly 3 bytes came through" "$(wc -c <"$tmp/out" | tr -d ' ')" 3
check "with SIGPIPE ignored, the write fails with EPIPE" 0 \
    "$prog" inject --close-stdout-after 3 -- sh -c 'trap "" PIPE
        echo hello; echo world >&2; head -c 1000000 /dev/zero
        echo again || echo "failed $?" >&2'
is "the first 3 bytes came through" "$(cat "$tmp/out")" "hel"
has "head saw EPIPE" "$tmp/err" "Broken pipe"
has "and so did echo, after the close" "$tmp/err" "failed 1"
has "stderr is left alone" "$tmp/err" "world"
check "without the trap, the shell dies of SIGPIPE" 141 \
    "$prog" inject --close-stdout-after 3 -- sh -c \
    'head -c 1000000 /dev/zero; echo "head: $?" >&2; echo again; echo alive >&2'
has "head died of it first" "$tmp/err" "head: 141"
if grep -q alive "$tmp/err"; then not_ok "the shell's echo killed it"
else ok "the shell's echo killed it"; fi
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -x "$py" ]; then
    got=$("$py" -c 'import subprocess, sys
print(subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode)' \
        "$prog" inject --close-stdout-after 3 -- head -c 1000000 /dev/zero)
    is "the launcher dies of SIGPIPE itself" "$got" -13
    # Python ignores SIGPIPE: a write after the close raises.  It waits
    # for the close (POLLERR on its end), so that the pipe has room left.
    check "Python sees BrokenPipeError" 3 \
        "$prog" inject --close-stdout-after 3 -- "$py" -c '
import os, select, sys
os.write(1, b"hello\n")
p = select.poll()
p.register(1, select.POLLOUT)
while not any(ev & select.POLLERR for _, ev in p.poll(10000)):
    pass
try:
    os.write(1, b"again\n")
except BrokenPipeError as e:
    print("BrokenPipeError", e.errno, file=sys.stderr)
    sys.exit(3)
'
    is "after 3 bytes" "$(cat "$tmp/out")" "hel"
    has "with errno 32, EPIPE" "$tmp/err" "BrokenPipeError 32"
else
    skip "the launcher dies of SIGPIPE itself" "no python3"
    skip "Python sees BrokenPipeError" "no python3"
    skip "after 3 bytes" "no python3"
    skip "with errno 32, EPIPE" "no python3"
fi
check "a program that writes less passes it all, and its code" 7 \
    "$prog" inject --close-stdout-after 100 -- sh -c 'echo hi; exit 7'
is "all of it" "$(cat "$tmp/out")" "hi"
check "a program that writes nothing" 0 \
    "$prog" inject --close-stdout-after 100 -- true
# A background process holding the pipe does not keep the launcher after
# the program exits; it is killed here, so nothing is left.
check "the launcher ends with the program, not with the pipe" 0 \
    timeout 20 "$prog" inject --close-stdout-after 100 -- \
    sh -c '(exec sleep 30) & echo $! >"$1"; echo hi' sh "$tmp/bg"
is "what the program wrote came through" "$(cat "$tmp/out")" "hi"
[ -s "$tmp/bg" ] && kill "$(cat "$tmp/bg")" 2>/dev/null
check "our own stdout closing ends the copy" 0 \
    timeout 20 sh -c '"$1" inject --close-stdout-after 1000000 -- \
        head -c 1000000 /dev/zero | head -c 5 >/dev/null' sh "$prog"
for bad in x -1 0x10 "" 1.5; do
    check "--close-stdout-after '$bad' is bad input" 2 \
        "$prog" inject --close-stdout-after "$bad" -- true
done
has "naming the option and the value" "$tmp/err" \
    'spawnfault: error: --close-stdout-after: expected a whole number of bytes, 0 or more, got "1.5"'
check "--close-stdout-after with seccomp rules is refused" 2 \
    "$prog" inject --close-stdout-after 3 \
    --fault 'write:error=EIO:backend=seccomp' -- sh -c 'touch "$1"' sh \
    "$tmp/ran"
has "saying why" "$tmp/err" "--close-stdout-after: not with backend=seccomp"
if [ -e "$tmp/ran" ]; then not_ok "nothing ran"; else ok "nothing ran"; fi

# Real limits: a pids cgroup fails the shell's fork with the kernel's
# EAGAIN, RLIMIT_NOFILE fails an open with EMFILE.  Both need what root
# has here; elsewhere they are skipped, saying so.
if [ "$(id -u)" -eq 0 ] && [ -d /sys/fs/cgroup/pids ] ||
    grep -qw pids /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    # In the background, to learn the launcher's pid, which names its
    # cgroup (other tests may make cgroups of their own meanwhile).
    "$prog" inject --max-procs 2 -- \
        sh -c 'sleep 0.2 & sleep 0.2 & wait; echo done' \
        >"$tmp/out" 2>"$tmp/err" &
    launcher=$!
    wait $launcher
    is "--max-procs 2: the shell's second child cannot be made" $? 2
    has "the shell says it cannot fork" "$tmp/err" "Cannot fork"
    if ls /sys/fs/cgroup/pids /sys/fs/cgroup 2>/dev/null |
        grep -q "^spawnfault-$launcher-"; then
        not_ok "the cgroup is removed afterwards"
    else ok "the cgroup is removed afterwards"; fi
else
    skip "--max-procs 2: the shell's second child cannot be made" \
        "no pids cgroup can be made here (needs root and the pids controller)"
    skip "the shell says it cannot fork" "as above"
    skip "the cgroup is removed afterwards" "as above"
fi
# A failed redirection of exec ends a non-interactive shell with 2.
# (dash saves fds at 10 and up while it redirects, so its EMFILE comes
# before fd 10 is named.)  Under valgrind the launcher's setrlimit is
# valgrind's to emulate: the limit never reaches the program.
if [ -n "${SPF_UNDER_VALGRIND:-}" ]; then
    skip "--max-fds 10: the program's limit is 10" \
        "memcheck emulates RLIMIT_NOFILE for the launcher"
    skip "ulimit -n says 10" "as above"
    skip "--max-fds 3 is too low for the launcher" "as above"
    skip "and it says so" "as above"
    skip "--max-fds 10: an fd past the tenth cannot be opened" "as above"
    skip "the shell saw EMFILE" "as above"
else
    check "--max-fds 10: the program's limit is 10" 0 \
        "$prog" inject --max-fds 10 -- sh -c 'ulimit -n'
    is "ulimit -n says 10" "$(cat "$tmp/out")" 10
    check "--max-fds 10: an fd past the tenth cannot be opened" 2 \
        "$prog" inject --max-fds 10 -- sh -c '
            i=3; while [ $i -lt 12 ]; do eval "exec $i</dev/null"
            i=$((i + 1)); done; echo opened all'
    has "the shell saw EMFILE" "$tmp/err" "Too many open files"
    check "--max-fds 3 is too low for the launcher" 2 \
        "$prog" inject --max-fds 3 -- true
    has "and it says so" "$tmp/err" "--max-fds is too low for the launcher"
fi
check "--max-fds 0 is bad input" 2 "$prog" inject --max-fds 0 -- true

echo "1..$n"
