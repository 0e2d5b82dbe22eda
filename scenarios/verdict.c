/*
 * Outcomes against expectations (scenario.h).  Every difference becomes a
 * mismatch whose expected and got texts are readable whatever the bytes:
 * data is escaped, and long data is cut with its length and SHA-256.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "rule.h"
#include "textbuf.h"
#include "compare.h"

/* Bytes of data shown before the rest is summed up. */
#define SHOW_MAX 64

struct check {
    const struct spf_expect *e;
    const struct spf_outcome *o;
    struct spf_verdict *v;
    bool failed; /* an allocation failed: the verdict cannot pass */
};

/* Record a difference; takes the texts. */
static void mismatch(struct check *c, const char *field,
                     struct spf__textbuf *expected, struct spf__textbuf *got)
{
    struct spf_mismatch m = {strdup(field), spf__textbuf_steal(expected),
                             spf__textbuf_steal(got)};
    struct spf_mismatch *all =
        realloc(c->v->mismatches, (c->v->n_mismatches + 1) * sizeof(*all));
    if (all)
        c->v->mismatches = all;
    if (!all || !m.field || !m.expected || !m.got) {
        free(m.field);
        free(m.expected);
        free(m.got);
        c->failed = true;
        return;
    }
    all[c->v->n_mismatches++] = m;
}

/*
 * Show data whose first kept bytes are at p, of total length total: in
 * quotes and escaped, cut after SHOW_MAX bytes with the length and the
 * SHA-256 (sha256, or computed when all the data is at hand).
 */
static void show_data(struct spf__textbuf *t, const void *p, size_t kept,
                      uint64_t total, const char *sha256)
{
    char digest[65];
    size_t shown = kept < SHOW_MAX ? kept : SHOW_MAX;
    spf__textbuf_adds(t, "\"");
    spf__textbuf_escape(t, p, shown);
    spf__textbuf_adds(t, shown < total ? "\"..." : "\"");
    if (shown == total)
        return;
    if (!sha256 && kept == total)
        spf_sha256_hex(p, kept, digest);
    spf__textbuf_addf(t, " (%" PRIu64 " bytes, sha256 %s)", total,
                      sha256          ? sha256
                      : kept == total ? digest
                                      : "unknown");
}

void spf__show_bytes(struct spf__textbuf *t, const struct spf_bytes *b,
                     const char *absent)
{
    if (!b->data)
        spf__textbuf_adds(t, absent);
    else
        show_data(t, b->data, b->len, b->len, NULL);
}

void spf__show_capture(struct spf__textbuf *t, const struct spf_capture *cap)
{
    if (!cap->present)
        spf__textbuf_adds(t, "absent");
    else
        show_data(t, cap->data.data, cap->data.len, cap->total_len,
                  cap->sha256[0] ? cap->sha256 : NULL);
}

void spf__show_errno(struct spf__textbuf *t, int err)
{
    const char *name = spf_errno_name(err);
    if (name)
        spf__textbuf_addf(t, "%s (%d)", name, err);
    else
        spf__textbuf_addf(t, "%d", err);
}

void spf__show_returncode(struct spf__textbuf *t, int code)
{
    const char *name = code < 0 ? spf_signal_name(-code) : NULL;
    spf__textbuf_addf(t, "%d", code);
    if (name)
        spf__textbuf_addf(t, " (%s)", name);
}

static void show_list(struct spf__textbuf *t, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        spf__textbuf_adds(t, i ? ", \"" : "\"");
        spf__textbuf_escape(t, v[i], strlen(v[i]));
        spf__textbuf_adds(t, "\"");
    }
}

/* What happened, in a few words: the result and what goes with it. */
static void show_outcome(struct spf__textbuf *t, const struct spf_outcome *o)
{
    spf__textbuf_adds(t, spf_result_name(o->result));
    if (o->result == SPF_RESULT_SPAWN_ERROR) {
        spf__textbuf_addf(t, " (stage %s, errno ", spf_stage_name(o->stage));
        spf__show_errno(t, o->err);
        spf__textbuf_adds(t, ", filename ");
        spf__show_bytes(t, &o->filename, "none");
        spf__textbuf_adds(t, ")");
    } else if (o->result == SPF_RESULT_ERROR) {
        spf__textbuf_adds(t, " (errno ");
        spf__show_errno(t, o->err);
        spf__textbuf_adds(t, ": ");
        spf__show_bytes(t, &o->message, "no message");
        spf__textbuf_adds(t, ")");
    } else if (o->result == SPF_RESULT_HARNESS && o->harness_error) {
        spf__textbuf_adds(t, ": ");
        spf__textbuf_escape(t, o->harness_error, strlen(o->harness_error));
    } else if (o->has_returncode) {
        spf__textbuf_adds(t, " (returncode ");
        spf__show_returncode(t, o->returncode);
        spf__textbuf_adds(t, ")");
    }
}

static void check_result(struct check *c)
{
    enum spf_result want = spf__expect_result(c->e);
    struct spf__textbuf exp = {0}, got = {0};
    if (c->o->result == want)
        return;
    spf__textbuf_adds(&exp, spf_result_name(want));
    show_outcome(&got, c->o);
    mismatch(c, "result", &exp, &got);
}

static bool same_bytes(const struct spf_bytes *a, const struct spf_bytes *b)
{
    if (!a->data || !b->data)
        return !a->data && !b->data;
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static void check_bytes(struct check *c, const char *field,
                        const struct spf_bytes *want,
                        const struct spf_bytes *have, const char *absent)
{
    struct spf__textbuf exp = {0}, got = {0};
    if (same_bytes(want, have))
        return;
    spf__show_bytes(&exp, want, absent);
    spf__show_bytes(&got, have, absent);
    mismatch(c, field, &exp, &got);
}

/* Only a spawn error has a stage, errno and record to compare: any other
 * result already shows as a result mismatch. */
static void check_spawn_error(struct check *c)
{
    const struct spf_expect *e = c->e;
    const struct spf_outcome *o = c->o;
    struct spf__textbuf exp = {0}, got = {0};
    if (o->result != SPF_RESULT_SPAWN_ERROR)
        return;

    if (e->has_stage && e->stage != o->stage) {
        spf__textbuf_adds(&exp, spf_stage_name(e->stage));
        spf__textbuf_adds(&got, spf_stage_name(o->stage));
        mismatch(c, "spawn_error.stage", &exp, &got);
    }
    if (e->has_errno && e->err != o->err) {
        spf__show_errno(&exp, e->err);
        spf__show_errno(&got, o->err);
        mismatch(c, "spawn_error.errno", &exp, &got);
    }
    if (e->has_filename)
        check_bytes(c, "spawn_error.filename", &e->filename, &o->filename,
                    "no filename");
    if (e->has_raw)
        check_bytes(c, "spawn_error.raw", &e->raw, &o->raw, "absent");
    if (e->has_message)
        check_bytes(c, "spawn_error.message", &e->message, &o->message,
                    "absent");
}

/* The errno of an API call that failed after the spawn. */
static void check_api_error(struct check *c)
{
    struct spf__textbuf exp = {0}, got = {0};
    if (!c->e->has_api_errno || c->o->result != SPF_RESULT_ERROR ||
        c->o->err == c->e->api_err)
        return;
    spf__show_errno(&exp, c->e->api_err);
    spf__show_errno(&got, c->o->err);
    mismatch(c, "error", &exp, &got);
}

static void check_returncode(struct check *c)
{
    struct spf__textbuf exp = {0}, got = {0};
    if (!c->e->has_returncode ||
        (c->o->has_returncode && c->o->returncode == c->e->returncode))
        return;
    spf__show_returncode(&exp, c->e->returncode);
    if (c->o->has_returncode)
        spf__show_returncode(&got, c->o->returncode);
    else
        spf__textbuf_adds(&got, "none");
    mismatch(c, "returncode", &exp, &got);
}

/* Whether the capture holds exactly want; past what it kept, by length
 * and SHA-256. */
static bool capture_equals(const struct spf_capture *cap,
                           const struct spf_bytes *want)
{
    char digest[65];
    if (!cap->present || cap->total_len != want->len ||
        (cap->data.len &&
         memcmp(cap->data.data, want->data, cap->data.len) != 0))
        return false;
    if (cap->data.len == cap->total_len)
        return true;
    spf_sha256_hex(want->data, want->len, digest);
    return strcmp(digest, cap->sha256) == 0;
}

static void check_stream_data(struct check *c, const char *name,
                              const struct spf_expect_stream *s,
                              const struct spf_capture *cap)
{
    struct spf__textbuf exp = {0}, got = {0};
    if (capture_equals(cap, &s->data))
        return;
    spf__show_bytes(&exp, &s->data, "absent");
    spf__show_capture(&got, cap);

    size_t same = 0, common = cap->present && cap->data.len < s->data.len
                                  ? cap->data.len
                                  : s->data.len;
    while (cap->present && same < common &&
           cap->data.data[same] == s->data.data[same])
        same++;
    if (cap->present && same < common)
        spf__textbuf_addf(&got, ", first difference at byte %zu", same);
    mismatch(c, name, &exp, &got);
}

static void check_stream(struct check *c, const struct spf__stream *st)
{
    const struct spf_expect_stream *s = spf__expect_stream(st, c->e);
    const struct spf_capture *cap = spf__expect_capture(st, c->o);
    struct spf__textbuf exp = {0}, got = {0};
    char field[64];

    if (s->has_absent && cap->present) {
        spf__textbuf_adds(&exp, "absent");
        spf__show_capture(&got, cap);
        mismatch(c, st->name, &exp, &got);
    }
    if (s->has_data)
        check_stream_data(c, st->name, s, cap);
    if (s->has_len && (!cap->present || cap->total_len != s->len)) {
        snprintf(field, sizeof(field), "%s.len", st->name);
        spf__textbuf_addf(&exp, "%" PRIu64 " bytes", s->len);
        if (cap->present)
            spf__textbuf_addf(&got, "%" PRIu64 " bytes", cap->total_len);
        else
            spf__textbuf_adds(&got, "absent");
        mismatch(c, field, &exp, &got);
    }
    if (s->has_sha256 && (!cap->present || strcmp(cap->sha256, s->sha256))) {
        snprintf(field, sizeof(field), "%s.sha256", st->name);
        spf__textbuf_adds(&exp, s->sha256);
        spf__textbuf_adds(&got, cap->present ? cap->sha256 : "absent");
        mismatch(c, field, &exp, &got);
    }
}

static void check_elapsed(struct check *c)
{
    const struct spf_expect *e = c->e;
    int64_t ns = c->o->elapsed_ns;
    struct spf__textbuf exp = {0}, got = {0};
    if (e->has_elapsed_max && ns > e->elapsed_max_ns) {
        spf__textbuf_addf(&exp, "<= %.3f s", (double)e->elapsed_max_ns / 1e9);
        spf__textbuf_addf(&got, "%.3f s", (double)ns / 1e9);
        mismatch(c, "elapsed_max", &exp, &got);
    }
    if (e->has_elapsed_min && ns < e->elapsed_min_ns) {
        spf__textbuf_addf(&exp, ">= %.3f s", (double)e->elapsed_min_ns / 1e9);
        spf__textbuf_addf(&got, "%.3f s", (double)ns / 1e9);
        mismatch(c, "elapsed_min", &exp, &got);
    }
}

static void show_fired(struct spf__textbuf *t, const struct spf_outcome *o)
{
    if (o->fired_total > 0) {
        const char *sep = "fired: ";
        for (int c = 0; c < SPF_CALL__COUNT; c++)
            for (int k = 0; k < SPF_FAULT_SCOPES; k++) {
                if (!o->fired_counts[c][k])
                    continue;
                spf__textbuf_addf(t, "%s%s@%s x%" PRIu64, sep,
                                  spf_fault_call_name((enum spf_fault_call)c),
                                  spf_fault_scope_name(1u << k),
                                  o->fired_counts[c][k]);
                sep = ", ";
            }
        return;
    }
    if (o->n_fired == 0)
        spf__textbuf_adds(t, "no fault fired");
    for (size_t i = 0; i < o->n_fired; i++)
        spf__textbuf_addf(
            t, "%s%s@%s#%" PRIu32,
            i ? ", " : "fired: ", spf_fault_call_name(o->fired[i].call),
            spf_fault_scope_name(o->fired[i].scope), o->fired[i].n);
}

static void check_fired(struct check *c)
{
    for (size_t i = 0; i < c->e->n_fired; i++) {
        enum spf_fault_call call;
        unsigned scope = 0;
        uint32_t leaves = 0; /* a family stands for any of its leaves */
        bool found = false;
        struct spf__textbuf exp = {0}, got = {0};
        if (spf__rules_fired_parse(c->e->fired[i], &call, &scope) == 0)
            leaves = spf_fault_point_leaves(call);
        for (size_t k = 0; k < c->o->n_fired && !found; k++)
            found = (leaves & (1u << c->o->fired[k].call)) &&
                    (!scope || (c->o->fired[k].scope & scope));
        /* The counts also hold what was not kept in full. */
        for (int l = 0; l < SPF_CALL__COUNT; l++)
            for (int k = 0; (leaves & (1u << l)) && k < SPF_FAULT_SCOPES; k++)
                found |= c->o->fired_counts[l][k] > 0 &&
                         (!scope || (scope & (1u << k)));
        if (found)
            continue;
        spf__textbuf_addf(&exp, "%s fired", c->e->fired[i]);
        show_fired(&got, c->o);
        mismatch(c, "faults_fired", &exp, &got);
    }
}

/* A census list must have exactly want entries (none unless a scenario
 * says otherwise). */
static void check_census_list(struct check *c, const char *field,
                              char *const *v, size_t n, size_t want)
{
    struct spf__textbuf exp = {0}, got = {0};
    if (n == want)
        return;
    if (want)
        spf__textbuf_addf(&exp, "%zu", want);
    else
        spf__textbuf_adds(&exp, "none");
    if (n)
        show_list(&got, v, n);
    else
        spf__textbuf_adds(&got, "none");
    mismatch(c, field, &exp, &got);
}

/* What the case left behind fails it whatever the expectations say.  A
 * case its target could not express ran nothing, so it may leave nothing,
 * whatever strays the scenario expects of a run. */
static void check_census(struct check *c)
{
    const struct spf_outcome *o = c->o;
    struct spf__textbuf exp = {0}, got = {0};
    size_t strays = c->e->has_strays && !o->not_applicable ? c->e->strays : 0;
    check_census_list(c, "census.leaked_fds", o->leaked_fds, o->n_leaked_fds,
                      0);
    check_census_list(c, "census.zombies", o->zombies, o->n_zombies, 0);
    check_census_list(c, "census.strays", o->strays, o->n_strays, strays);
    if (o->watchdog_signal) {
        const char *name = spf_signal_name(o->watchdog_signal);
        spf__textbuf_adds(&exp, "none");
        if (name)
            spf__textbuf_adds(&got, name);
        else
            spf__textbuf_addf(&got, "signal %d", o->watchdog_signal);
        mismatch(c, "census.watchdog", &exp, &got);
    }
    if (o->harness_error)
        check_census_list(c, "census.harness_error",
                          (char *const *)&o->harness_error, 1, 0);
}

/*
 * The command that replays one scenario.  The filter is an fnmatch()
 * pattern, so its special characters are escaped to match this name only;
 * the name and the file are single-quoted, which survives any byte.
 */
static char *replay_command(const struct spf_scenario *sc, uint64_t seed,
                            const char *target, const char *argv0)
{
    struct spf__textbuf t = {0}, glob = {0};
    const char *name = sc->name ? sc->name : "";
    for (const char *p = name; *p; p++) {
        if (strchr("*?[]\\", *p))
            spf__textbuf_adds(&glob, "\\");
        spf__textbuf_add(&glob, p, 1);
    }
    char *pattern = spf__textbuf_steal(&glob);
    if (!pattern)
        return NULL;

    spf__textbuf_shell_word(&t, argv0 ? argv0 : "spawnfault");
    spf__textbuf_addf(&t, " run --seed %" PRIu64, seed);
    if (target) {
        spf__textbuf_adds(&t, " --target ");
        spf__textbuf_shell_quote(&t, target);
    }
    spf__textbuf_adds(&t, " --filter ");
    spf__textbuf_shell_quote(&t, pattern);
    /* "--": a path may begin with a dash. */
    spf__textbuf_adds(&t, " -- ");
    spf__textbuf_shell_quote(&t, sc->file ? sc->file : "");
    free(pattern);
    return spf__textbuf_steal(&t);
}

/* The expectations proper: everything but the census. */
static void check_expectations(struct check *c)
{
    check_result(c);
    check_spawn_error(c);
    check_api_error(c);
    check_returncode(c);
    for (size_t i = 0; i < SPF__EXPECT_N_STREAMS; i++)
        check_stream(c, &spf__expect_streams[i]);
    check_elapsed(c);
    check_fired(c);
}

/* Where the mismatches leave the verdict: passed, failed, or, when the
 * target could not express the case and nothing else went wrong, not
 * applicable. */
static void settle(struct spf_verdict *v)
{
    bool clean = v->n_mismatches == 0 && !v->broken && !v->interrupted;

    v->not_applicable = clean ? v->outcome.not_applicable : NULL;
    v->passed = clean && !v->not_applicable;
}

void spf_verdict_check(const struct spf_scenario *sc,
                       struct spf_outcome *outcome, uint64_t seed,
                       struct spf_verdict *ret)
{
    struct check c = {&sc->expect, &ret->outcome, ret, false};

    memset(ret, 0, sizeof(*ret));
    ret->scenario = sc;
    ret->seed = seed;
    ret->outcome = *outcome;
    memset(outcome, 0, sizeof(*outcome));
    ret->replay = replay_command(sc, seed, NULL, NULL);
    if (ret->outcome.interrupted) {
        /* Half a case says nothing about the scenario. */
        ret->interrupted = true;
        return;
    }

    /* A case the target could not express has no run to hold to the
     * expectations; what the census found still counts. */
    if (!ret->outcome.not_applicable)
        check_expectations(&c);
    check_census(&c);

    /* XXX: after an allocation failure the verdict fails without saying
     * why (mismatches or the replay may be missing): it cannot pass
     * unchecked, and there is no memory to say more. */
    ret->broken = c.failed;
    settle(ret);
}

bool spf_verdict_failed(const struct spf_verdict *v)
{
    return !v->passed && !v->interrupted && !v->not_applicable;
}

int spf_verdict_set_replay(struct spf_verdict *v, const char *argv0)
{
    char *replay = replay_command(v->scenario, v->seed, v->target, argv0);
    if (!replay)
        return -ENOMEM;
    free(v->replay);
    v->replay = replay;
    return 0;
}

int spf_verdict_excuse(struct spf_verdict *v, const char *target)
{
    size_t kept = 0;
    struct spf_mismatch *grown;

    v->target = target;
    for (size_t i = 0; i < v->n_mismatches; i++) {
        struct spf_mismatch m = v->mismatches[i];
        char field[64];

        spf__compare_field_of(m.field, field, sizeof(field));
        if (!spf_scenario_excuses(v->scenario, target, field)) {
            v->mismatches[kept++] = m;
            continue;
        }
        grown = realloc(v->excused, (v->n_excused + 1) * sizeof(*grown));
        if (!grown) {
            v->mismatches[kept++] = m;
            v->broken = true;
            continue;
        }
        v->excused = grown;
        v->excused[v->n_excused++] = m;
    }
    v->n_mismatches = kept;
    settle(v);
    return 0;
}

static void mismatches_free(struct spf_mismatch *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].field);
        free(m[i].expected);
        free(m[i].got);
    }
    free(m);
}

void spf_verdict_clear(struct spf_verdict *v)
{
    mismatches_free(v->mismatches, v->n_mismatches);
    mismatches_free(v->excused, v->n_excused);
    spf_outcome_clear(&v->outcome);
    free(v->replay);
    memset(v, 0, sizeof(*v));
}
