/*
 * spawnfault scenarios: YAML files describing a case and what must come of
 * it (docs/scenarios.md), their loader, the checker that turns an outcome
 * into a verdict, and the runner that replays a set of scenarios through the
 * harness.  The library never prints: the runner reports progress through a
 * callback.
 */
#ifndef SPAWNFAULT_SCENARIO_H
#define SPAWNFAULT_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spawnfault/harness.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where a loader error is, and what it is. */
struct spf_diag {
    char file[512];
    unsigned line;   /* 1-based; 0 when unknown */
    unsigned column; /* 1-based; 0 when unknown */
    char field[128]; /* dotted path, e.g. "expect.spawn_error.errno" */
    char message[512];
};

/* Expectations: each part is checked only when its has_ flag is set. */
struct spf_expect {
    bool has_result;
    enum spf_result result; /* any but harness_error */

    bool has_api_errno; /* error: the errno the API call failed with */
    int api_err;

    bool has_stage;
    enum spf_stage stage;
    bool has_errno;
    int err;
    bool has_filename; /* filename.data NULL: "no filename" expected */
    struct spf_bytes filename;
    bool has_raw;
    struct spf_bytes raw;
    bool has_message;
    struct spf_bytes message; /* the spawn error's text (outcome.message) */

    bool has_returncode;
    int returncode; /* exit code, or -signal */

    struct spf_expect_stream {
        bool has_data;
        struct spf_bytes data;
        bool has_len;
        uint64_t len;
        bool has_sha256;
        char sha256[65];
        bool has_absent; /* expect "not captured" / "nothing read" */
    } out, err_out, partial_out, partial_err, inherited_out, inherited_err;

    bool has_elapsed_max;
    int64_t elapsed_max_ns;
    bool has_elapsed_min;
    int64_t elapsed_min_ns;

    /* Faults that must have fired at least once, as "call" or
     * "call@scope" strings. */
    char **fired;
    size_t n_fired;

    /* How many stray processes the case leaves behind (a grandchild that
     * outlives a killed child); without it the census allows none. */
    bool has_strays;
    size_t strays;
};

/*
 * A documented difference: on the targets it names, the fields it lists
 * are known to differ from the scenario's expectations (which are the
 * core's), for the reason it gives.  A run on such a target does not fail
 * on those fields (the verdict lists them as excused), and a comparison
 * reports their differences as documented.
 */
struct spf_difference {
    char **targets; /* "cpython" (any version), "cpython:3.12", "node" */
    size_t n_targets;
    char **fields; /* names from spf_compare_fields */
    size_t n_fields;
    char *why; /* one line */
};

/* The outcome fields a comparison looks at, in report order, ending with
 * NULL: result, stage, errno, filename, raw, message, returncode, stdout,
 * stderr, partial_stdout, partial_stderr, inherited_stdout,
 * inherited_stderr, faults_fired, strays, zombies, leaked_fds; and elapsed,
 * which an expectation may have but a comparison never looks at. */
extern const char *const spf_compare_fields[];

struct spf_scenario {
    char *name;    /* unique in a set */
    char *file;    /* path as given to the loader */
    unsigned line; /* where the scenario starts */
    char *folder;  /* the loaded folder's name and the path below it
                    * ("suite/errpipe"): one JUnit testsuite each */
    char *ref;     /* reference row id (e.g. "ERR-01"), or NULL */
    char *summary; /* one line, or NULL */
    char **tags;
    size_t n_tags;
    struct spf_case kase;
    struct spf_expect expect;
    struct spf_difference *differences;
    size_t n_differences;
    /* requires: [root]: run only with an effective uid of 0, and be not
     * applicable anywhere else. */
    bool requires_root;
};

/* Whether sc documents a difference of field on the target named (a
 * family name like "cpython" covers every "cpython:3.N"). */
bool spf_scenario_excuses(const struct spf_scenario *sc, const char *target,
                          const char *field);

struct spf_scenario_set {
    struct spf_scenario *items;
    size_t n;
};

/*
 * Load every scenario from a file, or from every *.yaml / *.yml file under
 * a folder (recursively, in strcmp() order of the paths; links to files
 * are followed, links to folders are not), appending to *set.  Returns 0,
 * or -EINVAL with *ret_diag naming the file, line, column and field of the
 * first error (line and column are 0 for an error about a whole file or
 * folder), or -errno for I/O errors (with a diag naming the file).  On any
 * error nothing is appended and *set is untouched.  A name already in the
 * set, or twice in what is loaded, is an error naming both places.  Files
 * are only read.  docs/scenarios.md describes the format.  Never prints;
 * thread-safe for distinct sets.
 */
int spf_scenario_load(const char *path, struct spf_scenario_set *set,
                      struct spf_diag *ret_diag);

void spf_scenario_set_clear(struct spf_scenario_set *set);

/* One expectation that did not hold. */
struct spf_mismatch {
    char *field;    /* e.g. "spawn_error.errno" */
    char *expected; /* human-readable, may hold any bytes escaped */
    char *got;
};

struct spf_verdict {
    const struct spf_scenario *scenario;
    bool passed;
    bool interrupted; /* the case was stopped by an interrupt: not judged,
                         not passed, no mismatches */
    /* The target cannot express the case: the reason, which the outcome
     * owns (outcome.not_applicable).  Such a verdict is not judged against
     * the expectations: not passed, not failed, no mismatches.  The census
     * still is: a case that left something behind fails, and then this is
     * NULL (the reason stays in the outcome). */
    const char *not_applicable;
    struct spf_mismatch *mismatches;
    size_t n_mismatches;
    /* Mismatches a documented difference of the target covers: shown,
     * not failed (spf_verdict_excuse). */
    struct spf_mismatch *excused;
    size_t n_excused;
    const char *target; /* NULL: the core */
    bool broken;        /* memory ran out while judging: never passes */
    struct spf_outcome outcome;
    uint64_t seed;
    char *replay; /* a command line that replays this scenario alone */
};

/*
 * Compare an outcome with the scenario's expectations; the census (leaked
 * fds, zombies, strays, watchdog, harness errors) always counts, and so
 * does a harness error result.  An outcome its target could not express
 * (outcome.not_applicable) is judged on its census alone, which must be
 * empty: clean, the verdict is not applicable.  Takes ownership of
 * *outcome: it moves into ret->outcome and *outcome is left zeroed.
 * ret->scenario points to sc, which must outlive the verdict.
 * ret->replay names the program "spawnfault"; see
 * spf_verdict_set_replay().  After an allocation failure the verdict
 * fails, possibly without mismatches or replay.  Never prints;
 * thread-safe for distinct verdicts.
 */
void spf_verdict_check(const struct spf_scenario *sc,
                       struct spf_outcome *outcome, uint64_t seed,
                       struct spf_verdict *ret);

/* Move the mismatches that the scenario's documented differences cover on
 * target into v->excused, and judge again.  Returns 0 or -ENOMEM. */
int spf_verdict_excuse(struct spf_verdict *v, const char *target);

/* Rebuild v->replay for the program spelled argv0 (NULL: "spawnfault"),
 * shell-quoted when needed.  Returns 0, or -ENOMEM leaving it as it was. */
int spf_verdict_set_replay(struct spf_verdict *v, const char *argv0);

/* Whether the verdict counts as a failure: not passed, and neither
 * interrupted nor not applicable. */
bool spf_verdict_failed(const struct spf_verdict *v);

/* Release everything the verdict owns (its outcome included) and zero it. */
void spf_verdict_clear(struct spf_verdict *v);

struct spf_runner_opts {
    unsigned jobs;                /* >= 1 */
    const char *const *filters;   /* fnmatch globs on names: any matches */
    size_t n_filters;             /* 0: every scenario */
    const char *const *skip_tags; /* scenarios with any of these tags are */
    size_t n_skip_tags;           /* left out */
    uint64_t seed;            /* the run's: every fault plan draws from it (it
                                 replaces harness.seed) */
    const char *replay_argv0; /* how to spell the program in replays */
    struct spf_harness_config harness;
    /* Called as each scenario starts and ends (verdict NULL at start). */
    void (*progress)(void *ctx, size_t index, size_t total,
                     const struct spf_scenario *sc,
                     const struct spf_verdict *v);
    void *progress_ctx;
};

struct spf_run_summary {
    struct spf_verdict *verdicts; /* in the set's order */
    size_t n;
    size_t passed, failed;
    size_t interrupted;    /* stopped before they ended, among the n */
    size_t not_applicable; /* that the target cannot express, among the n */
    size_t not_run;        /* selected but never started (after an interrupt) */
    int64_t elapsed_ns;
    uint64_t seed;
    int64_t started_unix; /* wall clock, for reports only */
    char target[32];      /* what ran the cases: "core", "cpython:3.13" */
    size_t excused;       /* passed only thanks to documented differences */
};

/* Run the scenarios matching the filter.  Returns 0 (whatever the
 * verdicts) or -errno when the run itself could not proceed; -EINTR when
 * interrupted, after every started case was stopped and cleaned up. */
int spf_runner_run(const struct spf_scenario_set *set,
                   const struct spf_runner_opts *opts,
                   struct spf_run_summary *ret);

void spf_run_summary_clear(struct spf_run_summary *s);

/* Count s's verdicts into passed, failed, interrupted, not_applicable and
 * excused (spf_runner_run() does; for summaries built otherwise).  Each
 * verdict counts in exactly one of the first four. */
void spf_run_summary_count(struct spf_run_summary *s);

/* Whether the run selects the scenario (by opts' filters and skip tags). */
bool spf_runner_selects(const struct spf_runner_opts *opts,
                        const struct spf_scenario *sc);

/* Ask a running spf_runner_run() to stop (async-signal-safe). */
void spf_runner_interrupt(void);

/*
 * Comparing targets.  Every target runs the same scenarios (runs[i] on
 * targets[i]); spf_compare_runs() then compares each outcome of a target
 * with the first target's, field by field (spf_compare_fields), and keeps
 * a row for every scenario and target where some field differs.  A
 * difference is documented when either target's documented differences
 * cover its field.  A pair is not compared when either side was
 * interrupted, or could not express the case (outcome.not_applicable).
 */
struct spf_field_diff {
    char *field;
    char *a, *b;     /* the first target's value and this target's */
    const char *why; /* the documented reason (owned by the scenario), or
                        NULL: undocumented */
};

struct spf_comparison_row {
    const struct spf_scenario *scenario;
    size_t target; /* compared with targets[0] */
    struct spf_field_diff *diffs;
    size_t n_diffs;
    size_t undocumented;
};

struct spf_comparison {
    const char *targets[SPF_TARGET_MAX];
    struct spf_run_summary runs[SPF_TARGET_MAX];
    size_t n_targets;
    struct spf_comparison_row *rows; /* only where something differs */
    size_t n_rows;
    size_t compared; /* scenario and target pairs compared */
    size_t skipped;  /* pairs where a side was interrupted */
    /* Pairs not compared because the case is not applicable on
     * targets[i] (on targets[0] when on both sides): never a difference. */
    size_t not_applicable[SPF_TARGET_MAX];
    size_t documented;   /* field differences, documented */
    size_t undocumented; /* and not */
};

/* Fill cmp's rows from its runs.  Returns 0 or -ENOMEM. */
int spf_compare_runs(struct spf_comparison *cmp);

/* Free the rows and the runs. */
void spf_comparison_clear(struct spf_comparison *cmp);

#ifdef __cplusplus
}
#endif

#endif
