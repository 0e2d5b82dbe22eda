/*
 * Small formatters shared by the report writers: durations, timestamps and
 * the names of errnos, signals, wrapped calls and fault scopes.  All are
 * thread-safe and write only to the buffers they are given.
 */
#ifndef SPF_REPORTS_FORMAT_H
#define SPF_REPORTS_FORMAT_H

#include <stdint.h>

#include <spawnfault/faults.h>

#define SPF__SECONDS_MAX 32
#define SPF__ISO8601_MAX 32
#define SPF__SIGNAL_MAX 24
#define SPF__ERRNO_MAX 24

/* Report a missing C string as the empty one. */
static inline const char *spf__or_empty(const char *s)
{
    return s ? s : "";
}

/*
 * Nanoseconds as seconds with three decimals ("0.123"), the plain decimal
 * JUnit's SUREFIRE_TIME accepts.  Truncates; a negative duration is 0.
 */
void spf__format_seconds(int64_t ns, char buf[SPF__SECONDS_MAX]);

/* Unix seconds as ISO 8601 UTC ("2023-11-14T22:13:20Z").  Returns 0, or
 * -EOVERFLOW (buf empty) when the year does not fit. */
int spf__format_iso8601(int64_t unix_s, char buf[SPF__ISO8601_MAX]);

/* "ENOENT", the SPF_E* codes by their macro names; NULL if unknown. */
const char *spf__errno_name(int err);

/* The errno's name, or "errno 4242" when it has none. */
const char *spf__errno_label(int err, char buf[SPF__ERRNO_MAX]);

/* "SIGKILL", or "signal 42" when it has no name. */
const char *spf__signal_label(int sig, char buf[SPF__SIGNAL_MAX]);

#endif
