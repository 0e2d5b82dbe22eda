/*
 * spawnfault reports: verdicts to JUnit XML, JSON and plain text.  Report
 * writers only format what the verdicts hold; they never spawn and never
 * re-derive a result.
 */
#ifndef SPAWNFAULT_REPORT_H
#define SPAWNFAULT_REPORT_H

#include <stdio.h>

#include <spawnfault/scenario.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * JUnit XML, valid against Jenkins' junit-10.xsd: one <testsuite> per
 * scenario folder, one <testcase> per scenario.  Every name and text is
 * escaped; bytes that XML 1.0 cannot carry (control bytes, invalid UTF-8)
 * are written as \xHH.  Returns 0 or -errno.
 */
int spf_report_junit(const struct spf_run_summary *s, const char *path);

/* JSON with the same data, the seed and the replay commands. */
int spf_report_json(const struct spf_run_summary *s, const char *path);

/* A human-readable summary: failures in full, then the counts. */
int spf_report_text(const struct spf_run_summary *s, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
