#!/bin/sh
# The exe_wrapper of the default test setup in a sanitized build.  Every
# process of the test writes its sanitizer reports to a file of its own;
# the test fails when any report was written.  (Criterion's workers print a
# LeakSanitizer report and exit non-zero, but Criterion looks only at the
# results they sent, so without this a leak in a test would pass.)
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/spf-sanitizer-XXXXXX")
# Gone however the test ends, a timeout's SIGTERM included.
trap 'rm -rf "$logs"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:fast_unwind_on_malloc=0:log_path=$logs/asan"
export LSAN_OPTIONS="suppressions=$here/lsan.supp"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
"$@"
status=$?
# Workers may still be exiting (and writing) after the runner returned.
sleep 0.2
# A report is an error or a runtime error; a file that only lists the
# suppressions used is not.
bad=$(grep -l -E 'ERROR: |runtime error:' "$logs"/* 2>/dev/null)
if [ -n "$bad" ]; then
    echo "sanitizer reports:" >&2
    cat $bad >&2
    status=1
fi
rm -rf "$logs"
exit $status
