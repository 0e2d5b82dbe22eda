/*
 * JSON through jansson: the lossless report.  Every byte string is a JSON
 * string when it is valid UTF-8 and {"hex": "..."} otherwise.  The format
 * is in docs/reports.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "format.h"
#include "origin.h"
#include "output.h"

/*
 * The builders return a new value, or NULL when memory ran out.  set()
 * takes any of them (jansson releases the value on failure and refuses a
 * NULL one), so a builder ORs the failures together and checks once.
 */
static int set(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value) < 0;
}

static int append(json_t *arr, json_t *value)
{
    return json_array_append_new(arr, value) < 0;
}

/* v, or NULL (and v released) when any part of it failed. */
static json_t *built(json_t *v, int failed)
{
    if (!failed)
        return v;
    json_decref(v);
    return NULL;
}

static json_t *hex_json(const char *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)p;
    char *hex = malloc(2 * len + 1);
    json_t *obj;

    if (!hex)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[u[i] >> 4];
        hex[2 * i + 1] = digits[u[i] & 0xf];
    }
    obj = json_object();
    obj = built(obj, set(obj, "hex", json_stringn(hex, 2 * len)));
    free(hex);
    return obj;
}

/* Bytes (NULL: absent, written null), so that nothing is lost. */
static json_t *bytes_json(const char *p, size_t len)
{
    json_t *str;

    if (!p)
        return json_null();
    /* jansson checks the UTF-8 itself (NUL is fine, encoded surrogates
     * are not) and refuses what is invalid: then the hex form carries
     * the bytes. */
    str = json_stringn(p, len);
    return str ? str : hex_json(p, len);
}

static json_t *str_json(const char *s)
{
    return s ? bytes_json(s, strlen(s)) : json_null();
}

/* An array of n items laid out size bytes apart, each built by item(). */
static json_t *array_json(const void *items, size_t n, size_t size,
                          json_t *(*item)(const void *))
{
    json_t *arr = json_array();
    int bad = 0;

    for (size_t i = 0; i < n; i++)
        bad |= append(arr, item((const char *)items + i * size));
    return built(arr, bad);
}

#define ARRAY_JSON(items, n, item) array_json(items, n, sizeof(*(items)), item)

static json_t *str_item(const void *p)
{
    return str_json(*(char *const *)p);
}

static json_t *seconds_json(int64_t ns)
{
    return json_real((double)ns / 1e9);
}

/* Seeds use all 64 bits: as a number, most JSON readers would round
 * them, and jansson cannot even hold those above INT64_MAX. */
static json_t *seed_json(uint64_t seed)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%" PRIu64, seed);
    return json_string(buf);
}

static int set_errno(json_t *obj, int err)
{
    return set(obj, "errno", json_integer(err)) |
           set(obj, "errno_name", str_json(spf__errno_name(err)));
}

static json_t *capture_json(const struct spf_capture *c)
{
    json_t *obj = json_object();
    size_t sha_len = strnlen(c->sha256, sizeof(c->sha256));
    int bad = 0;

    bad |= set(obj, "present", json_boolean(c->present));
    bad |= set(obj, "len", json_integer((json_int_t)c->total_len));
    bad |= set(obj, "sha256",
               sha_len ? bytes_json(c->sha256, sha_len) : json_null());
    bad |= set(obj, "data", bytes_json(c->data.data, c->data.len));
    return built(obj, bad);
}

static json_t *fault_json(const void *p)
{
    const struct spf_fault_record *f = p;
    json_t *obj = json_object();
    int bad = 0;

    bad |= set(obj, "pid", json_integer(f->pid));
    bad |= set(obj, "tid", json_integer(f->tid));
    bad |= set(obj, "t_ns", json_integer((json_int_t)f->t_ns));
    bad |= set(obj, "scope", str_json(spf_fault_scope_name(f->scope)));
    bad |= set(obj, "call", str_json(spf_fault_call_name(f->call)));
    bad |= set(obj, "n", json_integer(f->n));
    bad |= set(obj, "action", str_json(spf_fault_action_name(f->action)));
    switch (f->action) {
    case SPF_ACTION_SHORT:
        bad |= set(obj, "want", json_integer((json_int_t)f->want));
        /* The record's "-1: failed", as a number. */
        bad |= set(obj, "got", json_integer((json_int_t)f->got));
        break;
    case SPF_ACTION_ERRNO:
        bad |= set_errno(obj, f->err);
        break;
    case SPF_ACTION_DELAY:
        bad |= set(obj, "delay_ns", json_integer((json_int_t)f->delay_ns));
        break;
    case SPF_ACTION_SIGNAL:
        bad |= set(obj, "signal", str_json(spf_fault_signal_name(f->sig)));
        if (f->err)
            bad |= set_errno(obj, f->err);
        break;
    default:
        break;
    }
    return built(obj, bad);
}

static int set_captures(json_t *obj, const struct spf_outcome *o)
{
    return set(obj, "partial_out", capture_json(&o->partial_out)) |
           set(obj, "partial_err", capture_json(&o->partial_err)) |
           set(obj, "out", capture_json(&o->out)) |
           set(obj, "err", capture_json(&o->err_out)) |
           set(obj, "inherited_out", capture_json(&o->inherited_out)) |
           set(obj, "inherited_err", capture_json(&o->inherited_err));
}

static int set_census(json_t *obj, const struct spf_outcome *o)
{
    return set(obj, "leaked_fds",
               ARRAY_JSON(o->leaked_fds, o->n_leaked_fds, str_item)) |
           set(obj, "zombies", ARRAY_JSON(o->zombies, o->n_zombies, str_item)) |
           set(obj, "strays", ARRAY_JSON(o->strays, o->n_strays, str_item)) |
           set(obj, "watchdog_signal", json_integer(o->watchdog_signal)) |
           set(obj, "interrupted", json_boolean(o->interrupted));
}

/* {"write@parent": 20000, ...}: every fired fault, kept in full or not. */
static json_t *counts_json(const struct spf_outcome *o)
{
    json_t *obj = json_object();
    int bad = 0;

    for (int c = 0; c < SPF_CALL__COUNT; c++)
        for (int k = 0; k < SPF_FAULT_SCOPES; k++) {
            char key[64];

            if (!o->fired_counts[c][k])
                continue;
            snprintf(key, sizeof(key), "%s@%s",
                     spf_fault_call_name((enum spf_fault_call)c),
                     spf_fault_scope_name(1u << k));
            bad |=
                set(obj, key, json_integer((json_int_t)o->fired_counts[c][k]));
        }
    return built(obj, bad);
}

static json_t *outcome_json(const struct spf_outcome *o)
{
    json_t *obj = json_object();
    int bad = 0;

    bad |= set(obj, "result", json_string(spf_result_name(o->result)));
    bad |= set(obj, "stage", json_string(spf_stage_name(o->stage)));
    bad |= set_errno(obj, o->err);
    bad |= set(obj, "filename", bytes_json(o->filename.data, o->filename.len));
    bad |= set(obj, "err_name", bytes_json(o->err_name.data, o->err_name.len));
    bad |= set(obj, "raw", bytes_json(o->raw.data, o->raw.len));
    bad |= set(obj, "message", bytes_json(o->message.data, o->message.len));
    bad |= set(obj, "returncode",
               o->has_returncode ? json_integer(o->returncode) : json_null());
    bad |= set_captures(obj, o);
    bad |= set(obj, "elapsed", seconds_json(o->elapsed_ns));
    bad |= set(obj, "iterations", json_integer(o->iterations));
    bad |= set_census(obj, o);
    bad |= set(obj, "fired", ARRAY_JSON(o->fired, o->n_fired, fault_json));
    bad |= set(obj, "fired_total", json_integer((json_int_t)o->fired_total));
    bad |= set(obj, "fired_counts", counts_json(o));
    bad |= set(obj, "harness_error", str_json(o->harness_error));
    bad |= set(obj, "not_applicable", str_json(o->not_applicable));
    return built(obj, bad);
}

static json_t *mismatch_json(const void *p)
{
    const struct spf_mismatch *m = p;
    json_t *obj = json_object();
    int bad = set(obj, "field", str_json(m->field)) |
              set(obj, "expected", str_json(m->expected)) |
              set(obj, "got", str_json(m->got));

    return built(obj, bad);
}

static json_t *scenario_json(const void *p)
{
    const struct spf_verdict *v = p;
    const struct spf_scenario *sc = v->scenario;
    json_t *obj = json_object();
    int bad = 0;

    bad |= set(obj, "name", str_json(sc->name));
    bad |= set(obj, "file", str_json(sc->file));
    bad |= set(obj, "line", json_integer(sc->line));
    bad |= set(obj, "folder", str_json(sc->folder));
    bad |= set(obj, "ref", str_json(sc->ref));
    bad |= set(obj, "summary", str_json(sc->summary));
    bad |= set(obj, "tags", ARRAY_JSON(sc->tags, sc->n_tags, str_item));
    bad |= set(obj, "passed", json_boolean(v->passed));
    bad |= set(obj, "interrupted", json_boolean(v->interrupted));
    bad |= set(obj, "not_applicable", str_json(v->not_applicable));
    bad |= set(obj, "seed", seed_json(v->seed));
    bad |= set(obj, "mismatches",
               ARRAY_JSON(v->mismatches, v->n_mismatches, mismatch_json));
    bad |= set(obj, "excused",
               ARRAY_JSON(v->excused, v->n_excused, mismatch_json));
    bad |= set(obj, "outcome", outcome_json(&v->outcome));
    bad |= set(obj, "replay", str_json(v->replay));
    return built(obj, bad);
}

static json_t *totals_json(const struct spf_run_summary *s)
{
    json_t *obj = json_object();
    int bad =
        set(obj, "passed", json_integer((json_int_t)s->passed)) |
        set(obj, "failed", json_integer((json_int_t)s->failed)) |
        set(obj, "interrupted", json_integer((json_int_t)s->interrupted)) |
        set(obj, "not_applicable",
            json_integer((json_int_t)s->not_applicable)) |
        set(obj, "not_run", json_integer((json_int_t)s->not_run)) |
        set(obj, "excused", json_integer((json_int_t)s->excused)) |
        set(obj, "total", json_integer((json_int_t)s->n));

    return built(obj, bad);
}

static json_t *report_json(const struct spf_run_summary *s,
                           const struct spf__origin *origin)
{
    char started[SPF__ISO8601_MAX];
    json_t *obj = json_object();
    int bad = 0;

    spf__format_iso8601(s->started_unix, started);
    bad |= set(obj, "tool", json_string("spawnfault"));
    bad |= set(obj, "version", str_json(origin->version));
    bad |= set(obj, "target", json_string(s->target[0] ? s->target : "core"));
    bad |= set(obj, "seed", seed_json(s->seed));
    bad |= set(obj, "started", started[0] ? json_string(started) : json_null());
    bad |= set(obj, "elapsed", seconds_json(s->elapsed_ns));
    bad |= set(obj, "totals", totals_json(s));
    bad |= set(obj, "scenarios", ARRAY_JSON(s->verdicts, s->n, scenario_json));
    return built(obj, bad);
}

/* Fifteen significant digits print any duration in nanoseconds below
 * eleven days exactly ("0.123", not "0.12300000000000001"). */
#define DUMP_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

static int render(const void *ctx, FILE *f)
{
    /* A failed write stays on the stream, for the output to report; the
     * tree was built by the rules, so jansson has nothing else to refuse. */
    if (json_dumpf(ctx, f, DUMP_FLAGS) < 0 && !ferror(f))
        return -EIO;
    fputc('\n', f);
    return 0;
}

/* Write the tree built (NULL: memory ran out) to path, and free it. */
static int write_tree(json_t *root, const char *path)
{
    int r;

    if (!root)
        return -ENOMEM;
    r = spf__output_path(path, render, root);
    json_decref(root);
    return r;
}

int spf__report_json_from(const struct spf_run_summary *s, const char *path,
                          const struct spf__origin *origin)
{
    return write_tree(report_json(s, origin), path);
}

/* A comparison: every target's run in full, then the differences. */

static json_t *field_diff_json(const void *p)
{
    const struct spf_field_diff *d = p;
    json_t *obj = json_object();
    int bad = set(obj, "field", str_json(d->field)) |
              set(obj, "a", str_json(d->a)) | set(obj, "b", str_json(d->b)) |
              set(obj, "documented", json_boolean(d->why != NULL)) |
              set(obj, "why", str_json(d->why));

    return built(obj, bad);
}

static json_t *comparison_row_json(const struct spf_comparison *cmp,
                                   const struct spf_comparison_row *row)
{
    json_t *obj = json_object();
    int bad =
        set(obj, "name", str_json(row->scenario->name)) |
        set(obj, "ref", str_json(row->scenario->ref)) |
        set(obj, "a", str_json(cmp->targets[0])) |
        set(obj, "b", str_json(cmp->targets[row->target])) |
        set(obj, "undocumented", json_integer((json_int_t)row->undocumented)) |
        set(obj, "fields",
            ARRAY_JSON(row->diffs, row->n_diffs, field_diff_json));

    return built(obj, bad);
}

/* {"core": 0, "cpython:3.10": 3}: the pairs not compared because the
 * case is not applicable on that target. */
static json_t *not_applicable_json(const struct spf_comparison *cmp)
{
    json_t *obj = json_object();
    int bad = 0;

    for (size_t t = 0; t < cmp->n_targets; t++)
        bad |= set(obj, cmp->targets[t],
                   json_integer((json_int_t)cmp->not_applicable[t]));
    return built(obj, bad);
}

static json_t *comparison_json(const struct spf_comparison *cmp,
                               const struct spf__origin *origin)
{
    json_t *obj = json_object(), *runs = json_array(), *rows = json_array();
    json_t *totals = json_object();
    int bad = !runs || !rows;

    for (size_t t = 0; !bad && t < cmp->n_targets; t++)
        bad |= append(runs, report_json(&cmp->runs[t], origin));
    for (size_t i = 0; !bad && i < cmp->n_rows; i++)
        bad |= append(rows, comparison_row_json(cmp, &cmp->rows[i]));
    bad |=
        set(totals, "compared", json_integer((json_int_t)cmp->compared)) |
        set(totals, "skipped", json_integer((json_int_t)cmp->skipped)) |
        set(totals, "not_applicable", not_applicable_json(cmp)) |
        set(totals, "differing", json_integer((json_int_t)cmp->n_rows)) |
        set(totals, "documented", json_integer((json_int_t)cmp->documented)) |
        set(totals, "undocumented",
            json_integer((json_int_t)cmp->undocumented));
    bad |= set(obj, "tool", json_string("spawnfault")) |
           set(obj, "version", str_json(origin->version)) |
           set(obj, "targets",
               ARRAY_JSON(cmp->targets, cmp->n_targets, str_item)) |
           set(obj, "totals", built(totals, 0)) | set(obj, "runs", runs) |
           set(obj, "differences", rows);
    return built(obj, bad);
}

int spf__report_compare_json_from(const struct spf_comparison *cmp,
                                  const char *path,
                                  const struct spf__origin *origin)
{
    return write_tree(comparison_json(cmp, origin), path);
}
