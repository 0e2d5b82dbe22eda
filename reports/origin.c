/* The machine and the version a report names. */
#include <unistd.h>

#include "origin.h"

#ifndef SPF_VERSION
#error "the build must define SPF_VERSION"
#endif

void spf__origin_local(struct spf__origin *o,
                       char hostname_buf[SPF__HOSTNAME_MAX])
{
    /* POSIX leaves a truncated name unterminated. */
    if (gethostname(hostname_buf, SPF__HOSTNAME_MAX - 1) < 0)
        hostname_buf[0] = '\0';
    hostname_buf[SPF__HOSTNAME_MAX - 1] = '\0';
    o->hostname = hostname_buf;
    o->version = SPF_VERSION;
}

int spf_report_junit(const struct spf_run_summary *s, const char *path)
{
    struct spf__origin o;
    char host[SPF__HOSTNAME_MAX];

    spf__origin_local(&o, host);
    return spf__report_junit_from(s, path, &o);
}

int spf_report_json(const struct spf_run_summary *s, const char *path)
{
    struct spf__origin o;
    char host[SPF__HOSTNAME_MAX];

    spf__origin_local(&o, host);
    return spf__report_json_from(s, path, &o);
}

int spf_report_compare_json(const struct spf_comparison *cmp,
                            const char *path)
{
    struct spf__origin o;
    char host[SPF__HOSTNAME_MAX];

    spf__origin_local(&o, host);
    return spf__report_compare_json_from(cmp, path, &o);
}
