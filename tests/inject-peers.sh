#!/bin/sh
# spawnfault inject on programs we did not write: CPython's subprocess and
# a static musl program.  Usage: inject-peers.sh SPAWNFAULT [STATIC-MUSL]
# Prints TAP.
set -u
prog=$1
musl=${2:-}
here=$(dirname "$0")/inject
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spf-peers-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); echo "not ok $n - $1"
    sed 's/^/# err: /' "$tmp/err" 2>/dev/null | head -20
    sed 's/^/# out: /' "$tmp/out" 2>/dev/null | head -5
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() {
    desc=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$desc"
    else not_ok "$desc (exit $got, expected $want)"; fi
}
is() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}

# The seccomp backend needs the kernel's user notification, which memcheck
# does not emulate (nor do old kernels): probed once; its checks are
# skipped, with the launcher's own reason, only where it cannot start.
no_seccomp=
if ! "$prog" inject --fault 'execve:error=ENOENT:when=99:backend=seccomp' \
    -- true >/dev/null 2>"$tmp/probe" &&
    grep -q "seccomp supervisor cannot start" "$tmp/probe"; then
    no_seccomp=$(sed -n 's/^spawnfault: error: //p' "$tmp/probe" | head -n 1)
fi

# CPython's posix_spawn, whose exec only the seccomp backend sees inside.
posix_spawn_seccomp() {
    if [ -n "$no_seccomp" ]; then
        skip "an exec failure inside posix_spawn (seccomp backend)" \
            "$no_seccomp"
        skip "is PermissionError from subprocess.run" "as above"
        return
    fi
    check "an exec failure inside posix_spawn (seccomp backend)" 0 \
        "$prog" inject \
        --fault 'execve:error=EACCES:scope=child:backend=seccomp' -- \
        "$py" "$here/posix-spawn-exec.py"
    is "is PermissionError from subprocess.run" "$(cat "$tmp/out")" \
        "PermissionError 13"
}

# The interpreter itself, not a wrapper script in front of it (pyenv's
# shims are shell scripts, which would make the shell the root).
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -n "${SPF_UNDER_SANITIZERS:-}" ]; then
    why="a sanitized preload cannot load into python3, which has no libasan"
    for d in "subprocess survives an EINTR storm" \
        "short transfers on every pipe deliver every byte"; do
        skip "$d" "$why"
    done
    posix_spawn_seccomp
    skip "the preload decides it at posix_spawn's door" "$why"
    skip "with the same PermissionError" "$why"
elif [ -z "$py" ]; then
    for d in "subprocess survives an EINTR storm" \
        "short transfers on every pipe deliver every byte" \
        "an exec failure inside posix_spawn (seccomp backend)" \
        "is PermissionError from subprocess.run" \
        "the preload decides it at posix_spawn's door" \
        "with the same PermissionError"; do
        skip "$d" "no python3"
    done
else
    check "subprocess survives an EINTR storm on read, write, poll, waitpid" 0 \
        "$prog" inject --fault 'read:signal=SIGURG:when=1+2' \
        --fault 'write:signal=SIGURG:when=1+2' \
        --fault 'poll:signal=SIGURG:when=1+2' \
        --fault 'wait4:signal=SIGURG:when=1+2' -- "$py" "$here/eintr-storm.py"
    check "short transfers on every pipe deliver every byte" 0 \
        "$prog" inject --fault 'write:short=rand:scope=parent+exec' \
        --fault 'read:short=rand:scope=parent+exec' -- \
        "$py" "$here/short-pipes.py"
    posix_spawn_seccomp
    # The preload cannot enter posix_spawn's child; its posix_spawn
    # wrapper decides that exec at the door, and posix_spawn returns the
    # errno as when the real exec fails.
    check "the preload decides it at posix_spawn's door" 0 "$prog" inject \
        --log - --fault 'execve:error=EACCES:scope=child' -- \
        "$py" "$here/posix-spawn-exec.py"
    is "with the same PermissionError" "$(cat "$tmp/out")" "PermissionError 13"
fi

# A static musl program: no preload enters it; the seccomp backend does.
if [ -n "$musl" ] && [ -x "$musl" ]; then
    if [ -n "$no_seccomp" ]; then
        skip "a static musl program's exec fails (seccomp backend)" \
            "$no_seccomp"
        skip "with ENOENT" "as above"
    else
        check "a static musl program's exec fails (seccomp backend)" 0 \
            "$prog" inject --fault 'execve:error=ENOENT:backend=seccomp' -- \
            "$musl" 1 exec /bin/true
        is "with ENOENT" "$(cat "$tmp/out")" "exec errno=2"
    fi
    check "preload rules on it are refused" 2 "$prog" inject \
        --fault 'execve:error=ENOENT' -- "$musl" 1 exec /bin/true
    if grep -q "statically linked" "$tmp/err"; then
        ok "saying it is statically linked"
    else not_ok "saying it is statically linked"; fi
    check "--count on it is refused" 2 "$prog" inject --count -- "$musl" 0
    if grep -q "statically linked: --count" "$tmp/err"; then
        ok "saying the preload cannot count there"
    else not_ok "saying the preload cannot count there"; fi
else
    for d in "a static musl program's exec fails (seccomp backend)" \
        "with ENOENT" "preload rules on it are refused" \
        "saying it is statically linked" "--count on it is refused" \
        "saying the preload cannot count there"; do
        skip "$d" "no static musl target (musl-gcc missing)"
    done
fi
echo "1..$n"
