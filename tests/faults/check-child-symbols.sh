#!/bin/sh
# Checks that the code the preload runs between fork and exec (its
# wrappers and the fault model) calls nothing outside an allow-list of
# async-signal-safe functions, by listing the undefined symbols of their
# archives.  Usage: check-child-symbols.sh NM ARCHIVE...  Prints TAP, one
# line per symbol.
set -u
nm=$1
shift

# Why each name is allowed:
#   fcntl, fcntl64, open, open64, close: listed in signal-safety(7); open
#   takes the log fd again after close_fds, before an exec-scope exec.
#   memcmp ... strncmp: the string functions POSIX.1-2008 TC2 made safe;
#   bcmp is memcmp under the name clang gives it when only equality counts.
#   syscall: a trap stub with no state; used for getpid, gettid, tgkill,
#   kill, rt_sigprocmask and clock_nanosleep.
#   clock_gettime, sigaction, access: listed in signal-safety(7); the time
#   of a record, the disposition a signal action finds, and the PATH
#   search that finds which libc an execvp'd program uses.
#   __errno_location, environ: errno and the environment pointer.
#   __stack_chk_fail, __*_chk: hardening checks; they only abort.
#   _GLOBAL_OFFSET_TABLE_: a linker symbol, not a call.
#   spf__resolve_real: dlsym, reached only before the constructor ran.
#   __asan_* ...: sanitizer and coverage instrumentation.
allowed='fcntl fcntl64 open open64 close bcmp memchr memcmp memcpy memmove memset strchr strcmp
strcspn strlen strncmp strstr syscall access clock_gettime sigaction __errno_location environ
__stack_chk_fail
__memcpy_chk __memset_chk __memmove_chk _GLOBAL_OFFSET_TABLE_
spf__resolve_real'

# Calls between the archives checked here are checked at their target.
defined=$("$nm" --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u)
symbols=$("$nm" -u "$@" | awk 'NF == 2 && $1 == "U" { print $2 }' | sort -u |
    while read -r s; do
        case "
$defined
" in
        *"
$s
"*) ;;
        *) echo "$s" ;;
        esac
    done)
if [ -z "$symbols" ]; then
    echo "1..0 # SKIP no undefined symbols found"
    exit 0
fi

echo "1..$(echo "$symbols" | wc -l)"
n=0
for s in $symbols; do
    n=$((n + 1))
    case " $(echo $allowed) " in
    *" $s "*) echo "ok $n - $s" ;;
    *)
        case $s in
        __asan_* | __ubsan_* | __sanitizer_* | __gcov_* | __llvm_*)
            echo "ok $n - $s (instrumentation)" ;;
        *) echo "not ok $n - $s is not on the async-signal-safe list" ;;
        esac
        ;;
    esac
done
