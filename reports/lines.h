/*
 * The lines of text that describe a verdict, composed once for the JUnit,
 * text and TAP writers.  Lines hold raw bytes from the verdict: each writer
 * escapes them for its own format.
 */
#ifndef SPF_REPORTS_LINES_H
#define SPF_REPORTS_LINES_H

#include <stddef.h>

#include <spawnfault/scenario.h>

/*
 * Receives one line: len bytes, no newline, which may hold any byte (NUL
 * included).  The line is only valid during the call.  Returns 0 to go on,
 * or -errno to stop the walk, which then returns that value.
 */
typedef int spf__line_fn(void *ctx, const char *line, size_t len);

/* Every mismatch: "field: expected X, got Y". */
int spf__mismatch_lines(const struct spf_verdict *v, spf__line_fn *fn,
                        void *ctx);

/* Every mismatch a documented difference of the target covers:
 * "documented difference: field: expected X, got Y". */
int spf__excused_lines(const struct spf_verdict *v, spf__line_fn *fn,
                       void *ctx);

/* What the census found: "leaked fd: ...", "zombie: ...", "stray: ...",
 * "watchdog: sent SIGKILL", "harness error: ...". */
int spf__census_lines(const struct spf_outcome *o, spf__line_fn *fn, void *ctx);

/* Every fired fault, in the rule language's spelling:
 * "fault fired: execve@child#1=ENOENT (pid 42)". */
int spf__fault_lines(const struct spf_outcome *o, spf__line_fn *fn, void *ctx);

/* The three above, in that order, with "not applicable on TARGET: why"
 * after the mismatches for a case its target could not express: all that
 * went wrong. */
int spf__problem_lines(const struct spf_verdict *v, spf__line_fn *fn,
                       void *ctx);

/* A short summary of the outcome: result, spawn error, returncode, time,
 * iterations, output sizes, number of fired faults. */
int spf__outcome_lines(const struct spf_outcome *o, spf__line_fn *fn,
                       void *ctx);

#endif
