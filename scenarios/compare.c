/*
 * Comparing targets (scenario.h): the same scenario's outcomes on two
 * targets, field by field, and the documented differences that excuse
 * some of them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

const char *const spf_compare_fields[] = {
    "result",           "stage",          "errno",
    "filename",         "raw",            "message",
    "returncode",       "stdout",         "stderr",
    "partial_stdout",   "partial_stderr", "inherited_stdout",
    "inherited_stderr", "faults_fired",   "strays",
    "zombies",          "leaked_fds",     "elapsed",
    NULL,
};

bool spf__compare_field_known(const char *name)
{
    for (size_t i = 0; spf_compare_fields[i]; i++)
        if (strcmp(spf_compare_fields[i], name) == 0)
            return true;
    return false;
}

void spf__compare_field_of(const char *mismatch, char *ret, size_t len)
{
    static const char *const prefixes[] = {"spawn_error.", "census."};
    const char *f = mismatch;
    size_t n;

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(f, prefixes[i], strlen(prefixes[i])) == 0)
            f += strlen(prefixes[i]);
    n = strcspn(f, ".");
    if (strcmp(f, "error") == 0)
        f = "errno", n = 5;
    else if (strncmp(f, "elapsed_", 8) == 0)
        f = "elapsed", n = 7;
    snprintf(ret, len, "%.*s", (int)n, f);
    if (!spf__compare_field_known(ret))
        ret[0] = '\0';
}

/* "cpython" names every "cpython:3.N"; anything else names itself. */
static bool target_matches(const char *documented, const char *target)
{
    size_t n = strlen(documented);

    return strncmp(documented, target, n) == 0 &&
           (target[n] == '\0' ||
            (target[n] == ':' && !strchr(documented, ':')));
}

static const char *documented_why(const struct spf_scenario *sc,
                                  const char *target, const char *field)
{
    for (size_t i = 0; target && i < sc->n_differences; i++) {
        const struct spf_difference *d = &sc->differences[i];
        bool named = false;

        for (size_t t = 0; t < d->n_targets && !named; t++)
            named = target_matches(d->targets[t], target);
        if (!named)
            continue;
        for (size_t k = 0; k < d->n_fields; k++)
            if (strcmp(d->fields[k], field) == 0)
                return d->why;
    }
    return NULL;
}

bool spf_scenario_excuses(const struct spf_scenario *sc, const char *target,
                          const char *field)
{
    return field[0] && documented_why(sc, target, field) != NULL;
}

/* One comparison in progress. */
struct cmp {
    struct spf_comparison_row row;
    const char *ta, *tb;
    bool failed;
};

static void differ(struct cmp *c, const char *field, struct spf__textbuf *a,
                   struct spf__textbuf *b)
{
    struct spf_field_diff d = {strdup(field), spf__textbuf_steal(a),
                               spf__textbuf_steal(b), NULL};
    struct spf_field_diff *grown =
        realloc(c->row.diffs, (c->row.n_diffs + 1) * sizeof(*grown));

    if (grown)
        c->row.diffs = grown;
    if (!grown || !d.field || !d.a || !d.b) {
        free(d.field);
        free(d.a);
        free(d.b);
        c->failed = true;
        return;
    }
    d.why = documented_why(c->row.scenario, c->tb, field);
    if (!d.why)
        d.why = documented_why(c->row.scenario, c->ta, field);
    if (!d.why)
        c->row.undocumented++;
    grown[c->row.n_diffs++] = d;
}

static bool same_capture(const struct spf_capture *a,
                         const struct spf_capture *b)
{
    return a->present == b->present &&
           (!a->present ||
            (a->total_len == b->total_len && !strcmp(a->sha256, b->sha256)));
}

static void cmp_bytes(struct cmp *c, const char *field,
                      const struct spf_bytes *a, const struct spf_bytes *b)
{
    struct spf__textbuf x = {0}, y = {0};

    if (spf_bytes_equal(a, b))
        return;
    spf__show_bytes(&x, a, "none");
    spf__show_bytes(&y, b, "none");
    differ(c, field, &x, &y);
}

static void cmp_capture(struct cmp *c, const char *field,
                        const struct spf_capture *a,
                        const struct spf_capture *b)
{
    struct spf__textbuf x = {0}, y = {0};

    if (same_capture(a, b))
        return;
    spf__show_capture(&x, a);
    spf__show_capture(&y, b);
    differ(c, field, &x, &y);
}

static bool expects_stream(const struct spf_expect_stream *e)
{
    return e->has_data || e->has_len || e->has_sha256 || e->has_absent;
}

/* How much was read before a deadline depends on timing unless the
 * scenario pins it: compared in full only when the scenario expects
 * something of it, otherwise only whether anything was read at all. */
static void cmp_partial(struct cmp *c, const char *field,
                        const struct spf_expect_stream *e,
                        const struct spf_capture *a,
                        const struct spf_capture *b)
{
    if (!expects_stream(e) && a->present == b->present)
        return;
    cmp_capture(c, field, a, b);
}

static void cmp_count(struct cmp *c, const char *field, size_t a, size_t b)
{
    struct spf__textbuf x = {0}, y = {0};

    if (a == b)
        return;
    spf__textbuf_addf(&x, "%zu", a);
    spf__textbuf_addf(&y, "%zu", b);
    differ(c, field, &x, &y);
}

/* Messages are strerror texts (and the same on both sides) only for a
 * system call's failure; the texts of invalid input and bad data are each
 * implementation's own words. */
static bool message_comparable(const struct spf_outcome *o)
{
    if (o->result == SPF_RESULT_ERROR)
        return true;
    return o->result == SPF_RESULT_SPAWN_ERROR &&
           (o->stage == SPF_STAGE_SETUP || o->stage == SPF_STAGE_FORK ||
            o->stage == SPF_STAGE_PREEXEC || o->stage == SPF_STAGE_CHDIR ||
            o->stage == SPF_STAGE_EXEC);
}

static void show_fired(struct spf__textbuf *t, const struct spf_outcome *o)
{
    static const char *const scopes[SPF_FAULT_SCOPES] = {"parent", "child",
                                                         "exec"};
    const char *sep = "";

    for (int k = 0; k < SPF_CALL__COUNT; k++)
        for (int s = 0; s < SPF_FAULT_SCOPES; s++)
            if (o->fired_counts[k][s]) {
                spf__textbuf_addf(&t[0], "%s%s@%s", sep,
                                  spf_fault_call_name((enum spf_fault_call)k),
                                  scopes[s]);
                sep = ", ";
            }
    if (!*sep)
        spf__textbuf_adds(t, "none");
}

/* Which calls fired, by scope (not how often: two implementations make
 * different numbers of calls for the same work). */
static void cmp_fired(struct cmp *c, const struct spf_outcome *a,
                      const struct spf_outcome *b)
{
    struct spf__textbuf x = {0}, y = {0};

    for (int k = 0; k < SPF_CALL__COUNT; k++)
        for (int s = 0; s < SPF_FAULT_SCOPES; s++)
            if (!a->fired_counts[k][s] != !b->fired_counts[k][s]) {
                show_fired(&x, a);
                show_fired(&y, b);
                differ(c, "faults_fired", &x, &y);
                return;
            }
}

static void cmp_result(struct cmp *c, const struct spf_outcome *a,
                       const struct spf_outcome *b)
{
    struct spf__textbuf x = {0}, y = {0};

    if (a->result != b->result) {
        spf__textbuf_adds(&x, spf_result_name(a->result));
        spf__textbuf_adds(&y, spf_result_name(b->result));
        differ(c, "result", &x, &y);
        return;
    }
    if (a->result == SPF_RESULT_SPAWN_ERROR && a->stage != b->stage) {
        spf__textbuf_adds(&x, spf_stage_name(a->stage));
        spf__textbuf_adds(&y, spf_stage_name(b->stage));
        differ(c, "stage", &x, &y);
    }
    if ((a->result == SPF_RESULT_SPAWN_ERROR ||
         a->result == SPF_RESULT_ERROR) &&
        a->err != b->err) {
        spf__show_errno(&x, a->err);
        spf__show_errno(&y, b->err);
        differ(c, "errno", &x, &y);
    }
    if (a->result != SPF_RESULT_SPAWN_ERROR)
        return;
    cmp_bytes(c, "filename", &a->filename, &b->filename);
    cmp_bytes(c, "raw", &a->raw, &b->raw);
    if (message_comparable(a) && message_comparable(b))
        cmp_bytes(c, "message", &a->message, &b->message);
}

static void cmp_returncode(struct cmp *c, const struct spf_outcome *a,
                           const struct spf_outcome *b)
{
    struct spf__textbuf x = {0}, y = {0};

    if (a->has_returncode == b->has_returncode &&
        (!a->has_returncode || a->returncode == b->returncode))
        return;
    if (a->has_returncode)
        spf__show_returncode(&x, a->returncode);
    else
        spf__textbuf_adds(&x, "none");
    if (b->has_returncode)
        spf__show_returncode(&y, b->returncode);
    else
        spf__textbuf_adds(&y, "none");
    differ(c, "returncode", &x, &y);
}

static void compare_outcomes(struct cmp *c, const struct spf_outcome *a,
                             const struct spf_outcome *b)
{
    const struct spf_expect *e = &c->row.scenario->expect;

    cmp_result(c, a, b);
    cmp_returncode(c, a, b);
    cmp_capture(c, "stdout", &a->out, &b->out);
    cmp_capture(c, "stderr", &a->err_out, &b->err_out);
    cmp_partial(c, "partial_stdout", &e->partial_out, &a->partial_out,
                &b->partial_out);
    cmp_partial(c, "partial_stderr", &e->partial_err, &a->partial_err,
                &b->partial_err);
    cmp_capture(c, "inherited_stdout", &a->inherited_out, &b->inherited_out);
    cmp_capture(c, "inherited_stderr", &a->inherited_err, &b->inherited_err);
    cmp_fired(c, a, b);
    cmp_count(c, "strays", a->n_strays, b->n_strays);
    cmp_count(c, "zombies", a->n_zombies, b->n_zombies);
    cmp_count(c, "leaked_fds", a->n_leaked_fds, b->n_leaked_fds);
}

static const struct spf_verdict *verdict_of(const struct spf_run_summary *s,
                                            const struct spf_scenario *sc)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->verdicts[i].scenario == sc)
            return &s->verdicts[i];
    return NULL;
}

static void row_clear(struct spf_comparison_row *row)
{
    for (size_t i = 0; i < row->n_diffs; i++) {
        free(row->diffs[i].field);
        free(row->diffs[i].a);
        free(row->diffs[i].b);
    }
    free(row->diffs);
}

static int add_row(struct spf_comparison *cmp, struct cmp *c)
{
    struct spf_comparison_row *grown;

    if (c->failed || !c->row.n_diffs) {
        row_clear(&c->row);
        return c->failed ? -ENOMEM : 0;
    }
    grown = realloc(cmp->rows, (cmp->n_rows + 1) * sizeof(*grown));
    if (!grown) {
        row_clear(&c->row);
        return -ENOMEM;
    }
    cmp->rows = grown;
    cmp->rows[cmp->n_rows++] = c->row;
    cmp->undocumented += c->row.undocumented;
    cmp->documented += c->row.n_diffs - c->row.undocumented;
    return 0;
}

int spf_compare_runs(struct spf_comparison *cmp)
{
    const struct spf_run_summary *base = &cmp->runs[0];

    for (size_t t = 1; t < cmp->n_targets; t++)
        for (size_t i = 0; i < base->n; i++) {
            const struct spf_verdict *va = &base->verdicts[i];
            const struct spf_verdict *vb =
                verdict_of(&cmp->runs[t], va->scenario);
            struct cmp c = {.row = {.scenario = va->scenario, .target = t},
                            .ta = cmp->targets[0],
                            .tb = cmp->targets[t]};
            int r;

            if (!vb || va->interrupted || vb->interrupted) {
                cmp->skipped++;
                continue;
            }
            /* What one side could not express has no value to compare. */
            if (va->outcome.not_applicable || vb->outcome.not_applicable) {
                cmp->not_applicable[va->outcome.not_applicable ? 0 : t]++;
                continue;
            }
            cmp->compared++;
            compare_outcomes(&c, &va->outcome, &vb->outcome);
            if ((r = add_row(cmp, &c)) < 0)
                return r;
        }
    return 0;
}

void spf_comparison_clear(struct spf_comparison *cmp)
{
    for (size_t i = 0; i < cmp->n_rows; i++)
        row_clear(&cmp->rows[i]);
    free(cmp->rows);
    for (size_t t = 0; t < cmp->n_targets; t++)
        spf_run_summary_clear(&cmp->runs[t]);
    memset(cmp, 0, sizeof(*cmp));
}
