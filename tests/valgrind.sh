#!/bin/sh
# The exe_wrapper of `meson test --setup valgrind`: memcheck on the test
# and on every process it starts (system programs and the helper aside),
# each logging to a file of its own.  The test fails when any of those
# processes reports an error or a definite leak: Criterion's workers exit
# with valgrind's verdict, but Criterion itself does not look at it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/spf-valgrind-XXXXXX")
# Gone however the test ends, a timeout's SIGTERM included.
trap 'rm -rf "$logs"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
    --track-fds=yes --trace-children=yes \
    --trace-children-skip='/bin/*,/usr/bin/*,/usr/local/*,/opt/*,/tmp/spf-*,/root/*,*/spawnfault-helper,*nonexist*' \
    --suppressions="$here/valgrind.supp" --log-file="$logs/%p.log" "$@"
status=$?
# Criterion does not wait for its workers to finish exiting: give every
# traced process a moment to write its summary.
tries=0
while [ $tries -lt 100 ] &&
    [ -n "$(grep -L 'ERROR SUMMARY' "$logs"/*.log 2>/dev/null)" ]; do
    sleep 0.1
    tries=$((tries + 1))
done
bad=$(grep -l -E 'ERROR SUMMARY: [1-9]' "$logs"/*.log 2>/dev/null)
if [ -n "$bad" ]; then
    echo "valgrind found errors:" >&2
    cat $bad >&2
    status=1
fi
rm -rf "$logs"
exit $status
