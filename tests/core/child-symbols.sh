#!/bin/sh
# Check that the code running between fork and exec calls only functions
# on the allow-list (async-signal-safe system-call wrappers).  Sanitizer
# and stack-protector hooks are allowed: they are added by the compiler.
set -eu
lib=$1 allow=$2
bad=$(nm -u "$lib" | awk 'NF==2 {print $2}' | sed 's/@.*//' | sort -u |
    grep -Ev '^(__asan_|__ubsan_|__sanitizer_|__lsan_|__tsan_|__msan_|__gcov_|__llvm_)' |
    grep -vx -f "$allow" -e '_GLOBAL_OFFSET_TABLE_' -e '__stack_chk_fail' \
        -e 'spf__record_encode' || true)
if [ -n "$bad" ]; then
    echo "the child path calls functions outside $allow:"
    echo "$bad"
    exit 1
fi
echo "the child path calls only allowed functions"
