/*
 * Where a report comes from: the machine and the tool's version.  The
 * writers that show them take them as an argument, so that tests can fix
 * them and compare whole reports byte for byte with golden files; the
 * public writers pass spf__origin_local().
 */
#ifndef SPF_REPORTS_ORIGIN_H
#define SPF_REPORTS_ORIGIN_H

#include <spawnfault/report.h>

struct spf__origin {
    const char *hostname;
    const char *version;
};

#define SPF__HOSTNAME_MAX 256

/* This machine (gethostname(2); "" when it fails) and this build's
 * version.  hostname_buf holds the name. */
void spf__origin_local(struct spf__origin *o,
                       char hostname_buf[SPF__HOSTNAME_MAX]);

/* spf_report_junit() and spf_report_json() with a given origin. */
int spf__report_junit_from(const struct spf_run_summary *s, const char *path,
                           const struct spf__origin *origin);
int spf__report_json_from(const struct spf_run_summary *s, const char *path,
                          const struct spf__origin *origin);

int spf__report_compare_json_from(const struct spf_comparison *cmp,
                                  const char *path,
                                  const struct spf__origin *origin);

#endif
