/*
 * spawnfault reports: verdicts to JUnit XML, JSON, TAP and plain text.
 * Report writers only format what the verdicts hold; they never spawn and
 * never re-derive a result.  docs/reports.md describes every format.
 *
 * Common contract:
 * - Every writer returns 0 or -errno and never leaves half a report
 *   behind.  The writers given a path render into a temporary file in the
 *   same folder and rename it into place once complete (a failure removes
 *   it and leaves any previous report untouched).  The writers given a
 *   stream render into memory and write the whole report at once, then
 *   flush the stream; a failed write can still leave part of it there, as
 *   with any write to a stream the caller owns.
 * - Every name and text passes through one sanitiser: bytes a format
 *   cannot carry (control bytes, invalid UTF-8...) are written as the
 *   visible text \xHH.  The JSON report is the lossless one: byte strings
 *   that are not valid UTF-8 become {"hex": "..."}.
 * - The writers only read the summary; they may run in several threads at
 *   once.  They print nothing of their own.
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
 * scenario folder, one <testcase> per scenario; a failing verdict is a
 * <failure>, a harness error an <error>.  Every name and text is escaped;
 * bytes that XML 1.0 cannot carry (control bytes, invalid UTF-8) are
 * written as \xHH.  Returns 0 or -errno.
 */
int spf_report_junit(const struct spf_run_summary *s, const char *path);

/* JSON with the same data, every byte of it, the seed and the replay
 * commands.  Returns 0 or -errno. */
int spf_report_json(const struct spf_run_summary *s, const char *path);

/* A human-readable summary: failures in full, then the counts and the
 * seed.  Returns 0 or -errno. */
int spf_report_text(const struct spf_run_summary *s, FILE *f);

/* TAP version 13: one test line per scenario, with a YAML diagnostic block
 * for each failure.  Returns 0 or -errno. */
int spf_report_tap(const struct spf_run_summary *s, FILE *f);

/*
 * A comparison of targets (spf_compare_runs): the text report lists, for
 * every scenario where a target differs from the first, each field with
 * both values and, when documented, why; then one line per target run and
 * the counts.  The JSON report holds every run's full report and the
 * differences.  Both return 0 or -errno.
 */
int spf_report_compare_text(const struct spf_comparison *cmp, FILE *f);
int spf_report_compare_json(const struct spf_comparison *cmp,
                            const char *path);

/* The listing `spawnfault list` shows: each scenario's name, file:line,
 * reference, tags and summary, escaped as the text report is, then the
 * count.  Returns 0 or -errno. */
int spf_report_list(const struct spf_scenario *const *items, size_t n, FILE *f);

/* Write s to f as the text report writes any text: on one line, with
 * control bytes and invalid UTF-8 as \xHH.  For a program's own messages,
 * which may quote paths and file contents. */
void spf_report_put_text(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif

#endif
