/* Durations, timestamps and names, formatted the same way in every report. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <spawnfault/spawn.h>

#include "format.h"

void spf__format_seconds(int64_t ns, char buf[SPF__SECONDS_MAX])
{
    if (ns < 0)
        ns = 0;
    snprintf(buf, SPF__SECONDS_MAX, "%lld.%03lld", (long long)(ns / 1000000000),
             (long long)(ns % 1000000000 / 1000000));
}

int spf__format_iso8601(int64_t unix_s, char buf[SPF__ISO8601_MAX])
{
    time_t t = (time_t)unix_s;
    struct tm tm;

    buf[0] = '\0';
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year < -1900)
        return -EOVERFLOW;
    strftime(buf, SPF__ISO8601_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return 0;
}

const char *spf__errno_name(int err)
{
    switch (err) {
    case 0:
        return NULL; /* glibc would call it "0" */
    case SPF_EBADRECORD:
        return "SPF_EBADRECORD";
    case SPF_ECHILDERR:
        return "SPF_ECHILDERR";
    case SPF_ECHECK:
        return "SPF_ECHECK";
    default:
        return spf_errno_name(err);
    }
}

const char *spf__errno_label(int err, char buf[SPF__ERRNO_MAX])
{
    const char *name = spf__errno_name(err);

    if (name)
        return name;
    snprintf(buf, SPF__ERRNO_MAX, "errno %d", err);
    return buf;
}

const char *spf__signal_label(int sig, char buf[SPF__SIGNAL_MAX])
{
    const char *name = spf_signal_name(sig);

    if (name)
        return name;
    snprintf(buf, SPF__SIGNAL_MAX, "signal %d", sig);
    return buf;
}
