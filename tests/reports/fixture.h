/*
 * Shared by the report tests: a run of verdicts built by hand whose names,
 * texts and outputs hold every kind of hostile byte, and the helpers to
 * compare what the writers make of it with golden files.
 */
#ifndef SPF_TESTS_REPORTS_FIXTURE_H
#define SPF_TESTS_REPORTS_FIXTURE_H

#include <stddef.h>
#include <stdio.h>

#include <spawnfault/report.h>

/*
 * Five verdicts in three folders (see fixture.c): a pass, a failure whose
 * every string is hostile, a harness error, a timeout with empty names and
 * NUL bytes in its output, and a pass with a very long name.
 */
#define FIXTURE_SEED UINT64_C(0xdeadbeefcafef00d) /* above INT64_MAX */
#define FIXTURE_STARTED 1700000000                /* 2023-11-14T22:13:20Z */
struct spf_run_summary *fixture_hostile(void);

/* An interrupted run: a pass, a case stopped half-way, three not run. */
struct spf_run_summary *fixture_interrupted(void);

/* A run on the node target: a pass, a case not applicable (its reason
 * fixture_not_applicable_reason, hostile), and one not applicable whose
 * census failed it (a stray). */
struct spf_run_summary *fixture_not_applicable(void);
extern const char fixture_not_applicable_reason[];

/* A run with no verdict at all. */
struct spf_run_summary *fixture_empty(void);

void fixture_free(struct spf_run_summary *s);

/* The name of the hostile verdict (index 1). */
extern const char fixture_hostile_name[];

/* The machine and version the golden reports name. */
#define FIXTURE_HOSTNAME "golden-host"
#define FIXTURE_VERSION "0.0.0-golden"

/* A new private folder, and a path in it (both freed by the caller). */
char *fixture_tmpdir(void);
char *fixture_path(const char *dir, const char *name);

/* How many entries a folder holds; remove a folder and what it holds. */
size_t fixture_count_entries(const char *dir);
void fixture_rmtree(const char *dir);

/* A whole file (NUL-terminated for convenience), or a stream writer's
 * output. */
char *fixture_read(const char *path, size_t *ret_len);
char *fixture_render(int (*writer)(const struct spf_run_summary *, FILE *),
                     const struct spf_run_summary *s, size_t *ret_len);

/*
 * Compare data with tests/reports/golden/<name> byte for byte.  With
 * SPF_GOLDEN_UPDATE=1 in the environment, rewrite the golden file instead
 * (then review the diff before committing it).
 */
void fixture_expect_golden(const char *name, const char *data, size_t len);

/* Check that data is valid UTF-8 with no control character but LF: safe
 * to print on a terminal, one report line per text line. */
void fixture_expect_printable(const char *data, size_t len);

/* The writer types, with a path or a stream. */
typedef int fixture_path_writer(const struct spf_run_summary *s,
                                const char *path);
typedef int fixture_stream_writer(const struct spf_run_summary *s, FILE *f);

/* What a stream writer makes of the hostile run (freed by the caller). */
char *fixture_render_hostile(fixture_stream_writer *writer, size_t *ret_len);

/* For the hostile run, a stream writer's output matches the golden file
 * name, and holds nothing a terminal would act on. */
void fixture_expect_stream_golden(fixture_stream_writer *writer,
                                  const char *name);
void fixture_expect_stream_printable(fixture_stream_writer *writer);

/* A stream writer returns the error of a failing write (/dev/full). */
void fixture_expect_stream_enospc(fixture_stream_writer *writer);

/* A path writer given a path in a missing folder returns -ENOENT and
 * creates nothing. */
void fixture_expect_path_enoent(fixture_path_writer *writer);

/* Run xmllint --schema on path: 0 when valid; skips the test when the
 * schema or xmllint is missing. */
int fixture_xmllint(const char *path);

/*
 * Every test leaves no fd open, no child unreaped, and under valgrind no
 * memory error and no leak: fixture_begin() is each suite's .init, and
 * each test ends with fixture_end().  (Criterion 2.4 ignores assertions
 * made in a .fini.)
 */
void fixture_begin(void);
void fixture_end(void);

#endif
