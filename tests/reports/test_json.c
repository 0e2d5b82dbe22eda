/* JSON: golden output, and every byte of every string read back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "fixture.h"
#include "origin.h"

static const struct spf__origin golden = {FIXTURE_HOSTNAME, FIXTURE_VERSION};

TestSuite(json, .init = fixture_begin);

static char *write_report(const struct spf_run_summary *s, char **ret_dir)
{
    char *dir = fixture_tmpdir(), *path = fixture_path(dir, "report.json");
    int r = spf__report_json_from(s, path, &golden);

    cr_assert_eq(r, 0, "spf_report_json: %s", strerror(-r));
    *ret_dir = dir;
    return path;
}

/* Write the report and parse it back. */
static json_t *load_report(const struct spf_run_summary *s)
{
    char *dir, *path = write_report(s, &dir);
    json_error_t error;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &error);

    cr_assert_not_null(root, "line %d: %s", error.line, error.text);
    fixture_rmtree(dir);
    free(path);
    free(dir);
    return root;
}

static json_t *get(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    cr_assert_not_null(v, "no key \"%s\"", key);
    return v;
}

static int unhex(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* A byte string as the report wrote it: a JSON string, or {"hex": ...}. */
static char *bytes_of(json_t *v, size_t *ret_len)
{
    const char *hex;
    size_t len;
    char *b;

    if (json_is_string(v)) {
        *ret_len = json_string_length(v);
        b = malloc(*ret_len + 1);
        cr_assert_not_null(b);
        memcpy(b, json_string_value(v), *ret_len);
        return b;
    }
    hex = json_string_value(get(v, "hex"));
    cr_assert_not_null(hex, "neither a string nor {\"hex\": ...}");
    len = strlen(hex);
    cr_assert_eq(len % 2, 0);
    cr_assert_eq(strspn(hex, "0123456789abcdef"), len);
    b = malloc(len / 2 + 1);
    cr_assert_not_null(b);
    for (size_t i = 0; i < len / 2; i++)
        b[i] = (char)(unhex(hex[2 * i]) << 4 | unhex(hex[2 * i + 1]));
    *ret_len = len / 2;
    return b;
}

static void expect_bytes(json_t *v, const char *want, size_t want_len,
                         const char *what)
{
    size_t len;
    char *got;

    if (!want) {
        cr_expect(json_is_null(v), "%s: null expected", what);
        return;
    }
    got = bytes_of(v, &len);
    cr_expect(len == want_len && memcmp(got, want, len) == 0,
              "%s does not round-trip", what);
    free(got);
}

static void expect_str(json_t *v, const char *want, const char *what)
{
    expect_bytes(v, want, want ? strlen(want) : 0, what);
}

static void expect_strv(json_t *arr, char *const *want, size_t n,
                        const char *what)
{
    cr_assert(json_is_array(arr), "%s: not an array", what);
    cr_assert_eq(json_array_size(arr), n, "%s: size", what);
    for (size_t i = 0; i < n; i++)
        expect_str(json_array_get(arr, i), want[i], what);
}

static void expect_capture(json_t *c, const struct spf_capture *want,
                           const char *what)
{
    cr_expect_eq(json_is_true(get(c, "present")), want->present, "%s", what);
    cr_expect_eq(json_integer_value(get(c, "len")), (json_int_t)want->total_len,
                 "%s", what);
    expect_bytes(get(c, "data"), want->data.data, want->data.len, what);
}

static void expect_outcome(json_t *o, const struct spf_outcome *want)
{
    expect_bytes(get(o, "filename"), want->filename.data, want->filename.len,
                 "filename");
    expect_bytes(get(o, "err_name"), want->err_name.data, want->err_name.len,
                 "err_name");
    expect_bytes(get(o, "raw"), want->raw.data, want->raw.len, "raw");
    expect_capture(get(o, "partial_out"), &want->partial_out, "partial_out");
    expect_capture(get(o, "partial_err"), &want->partial_err, "partial_err");
    expect_capture(get(o, "out"), &want->out, "out");
    expect_capture(get(o, "err"), &want->err_out, "err");
    expect_capture(get(o, "inherited_out"), &want->inherited_out,
                   "inherited_out");
    expect_capture(get(o, "inherited_err"), &want->inherited_err,
                   "inherited_err");
    expect_strv(get(o, "leaked_fds"), want->leaked_fds, want->n_leaked_fds,
                "leaked_fds");
    expect_strv(get(o, "zombies"), want->zombies, want->n_zombies, "zombies");
    expect_strv(get(o, "strays"), want->strays, want->n_strays, "strays");
    expect_str(get(o, "harness_error"), want->harness_error, "harness_error");
    expect_str(get(o, "not_applicable"), want->not_applicable,
               "outcome.not_applicable");
}

static void expect_verdict(json_t *j, const struct spf_verdict *v)
{
    const struct spf_scenario *sc = v->scenario;
    json_t *mismatches = get(j, "mismatches");

    expect_str(get(j, "name"), sc->name, "name");
    expect_str(get(j, "file"), sc->file, "file");
    expect_str(get(j, "folder"), sc->folder, "folder");
    expect_str(get(j, "ref"), sc->ref, "ref");
    expect_str(get(j, "summary"), sc->summary, "summary");
    expect_strv(get(j, "tags"), sc->tags, sc->n_tags, "tags");
    cr_expect_eq(json_integer_value(get(j, "line")), sc->line);
    cr_expect_eq(json_is_true(get(j, "passed")), v->passed);
    expect_str(get(j, "not_applicable"), v->not_applicable, "not_applicable");
    cr_assert_eq(json_array_size(mismatches), v->n_mismatches);
    for (size_t i = 0; i < v->n_mismatches; i++) {
        json_t *m = json_array_get(mismatches, i);

        expect_str(get(m, "field"), v->mismatches[i].field, "field");
        expect_str(get(m, "expected"), v->mismatches[i].expected, "expected");
        expect_str(get(m, "got"), v->mismatches[i].got, "got");
    }
    expect_outcome(get(j, "outcome"), &v->outcome);
    expect_str(get(j, "replay"), v->replay, "replay");
}

Test(json, hostile_run_matches_golden)
{
    struct spf_run_summary *s = fixture_hostile();
    char *dir, *path = write_report(s, &dir), *data;
    size_t len;

    data = fixture_read(path, &len);
    fixture_expect_golden("hostile.json", data, len);
    free(data);
    fixture_rmtree(dir);
    free(path);
    free(dir);
    fixture_free(s);
    fixture_end();
}

Test(json, every_byte_string_round_trips)
{
    struct spf_run_summary *s = fixture_hostile();
    json_t *root = load_report(s), *scenarios = get(root, "scenarios");

    cr_assert_eq(json_array_size(scenarios), s->n);
    for (size_t i = 0; i < s->n; i++)
        expect_verdict(json_array_get(scenarios, i), &s->verdicts[i]);
    json_decref(root);
    fixture_free(s);
    fixture_end();
}

Test(json, hex_only_where_utf8_is_invalid)
{
    struct spf_run_summary *s = fixture_hostile();
    json_t *root = load_report(s), *scenarios = get(root, "scenarios");
    json_t *hostile = json_array_get(scenarios, 1);
    json_t *timeout = get(json_array_get(scenarios, 3), "outcome");
    json_t *partial = get(get(timeout, "partial_out"), "data");

    cr_expect(json_is_object(get(hostile, "name")), "invalid UTF-8: hex");
    cr_expect(json_is_object(get(get(hostile, "outcome"), "filename")));
    cr_expect(json_is_string(get(get(hostile, "outcome"), "err_name")));
    /* Valid UTF-8 with controls and a NUL stays a string. */
    cr_expect(json_is_string(get(hostile, "summary")));
    cr_assert(json_is_string(partial), "a NUL alone needs no hex");
    cr_expect_eq(json_string_length(partial), 5);
    cr_expect_eq(memcmp(json_string_value(partial), "ab\0cd", 5), 0);
    cr_expect(json_is_null(get(get(timeout, "partial_err"), "data")));
    json_decref(root);
    fixture_free(s);
    fixture_end();
}

Test(json, run_fields_and_the_full_seed)
{
    struct spf_run_summary *s = fixture_hostile();
    json_t *root = load_report(s), *totals = get(root, "totals");

    cr_expect_str_eq(json_string_value(get(root, "tool")), "spawnfault");
    cr_expect_str_eq(json_string_value(get(root, "version")), FIXTURE_VERSION);
    cr_expect_str_eq(json_string_value(get(root, "seed")),
                     "16045690984503111693");
    cr_expect_str_eq(json_string_value(get(root, "started")),
                     "2023-11-14T22:13:20Z");
    cr_expect_eq(json_real_value(get(root, "elapsed")), 2.5);
    cr_expect_eq(json_integer_value(get(totals, "passed")), 2);
    cr_expect_eq(json_integer_value(get(totals, "failed")), 3);
    cr_expect_eq(json_integer_value(get(totals, "total")), 5);
    json_decref(root);
    fixture_free(s);
    fixture_end();
}

Test(json, outcome_fields)
{
    struct spf_run_summary *s = fixture_hostile();
    json_t *root = load_report(s), *scenarios = get(root, "scenarios");
    json_t *pass = get(json_array_get(scenarios, 0), "outcome");
    json_t *hostile = get(json_array_get(scenarios, 1), "outcome");
    json_t *fired = get(hostile, "fired");

    cr_expect_str_eq(json_string_value(get(pass, "result")), "exited");
    cr_expect_eq(json_integer_value(get(pass, "returncode")), 0);
    cr_expect(json_is_null(get(pass, "errno_name")));
    cr_expect_eq(json_real_value(get(pass, "elapsed")), 0.012345678);
    cr_expect_str_eq(json_string_value(get(get(pass, "out"), "sha256")),
                     s->verdicts[0].outcome.out.sha256);
    cr_expect_str_eq(json_string_value(get(hostile, "result")), "spawn_error");
    cr_expect_str_eq(json_string_value(get(hostile, "stage")), "exec");
    cr_expect_eq(json_integer_value(get(hostile, "errno")), EACCES);
    cr_expect_str_eq(json_string_value(get(hostile, "errno_name")), "EACCES");
    cr_expect(json_is_null(get(hostile, "returncode")));
    cr_expect_eq(json_integer_value(get(hostile, "watchdog_signal")), 9);
    cr_assert_eq(json_array_size(fired), 5);
    cr_expect_str_eq(json_string_value(get(json_array_get(fired, 0), "call")),
                     "spawn/exec");
    cr_expect_str_eq(
        json_string_value(get(json_array_get(fired, 0), "errno_name")),
        "EACCES");
    cr_expect_eq(json_integer_value(get(json_array_get(fired, 2), "got")), -1);
    cr_expect(json_is_null(get(json_array_get(fired, 3), "errno_name")));
    cr_expect(json_is_null(get(json_array_get(fired, 4), "call")));
    json_decref(root);
    fixture_free(s);
    fixture_end();
}

Test(json, empty_run)
{
    struct spf_run_summary *s = fixture_empty();
    json_t *root = load_report(s);

    cr_expect_eq(json_array_size(get(root, "scenarios")), 0);
    cr_expect_eq(json_integer_value(get(get(root, "totals"), "total")), 0);
    json_decref(root);
    fixture_free(s);
    fixture_end();
}

Test(json, unwritable_path_leaves_nothing)
{
    fixture_expect_path_enoent(spf_report_json);
    fixture_end();
}

Test(json, not_applicable_run_matches_golden)
{
    struct spf_run_summary *s = fixture_not_applicable();
    char *dir, *path = write_report(s, &dir), *data;
    size_t len;

    data = fixture_read(path, &len);
    fixture_expect_golden("not-applicable.json", data, len);
    free(data);
    fixture_rmtree(dir);
    free(path);
    free(dir);
    fixture_free(s);
    fixture_end();
}

/* The reason of a case not applicable, every byte of it, and the count;
 * one whose census failed it keeps its reason in the outcome alone. */
Test(json, not_applicable_has_its_reason_and_a_total)
{
    struct spf_run_summary *s = fixture_not_applicable();
    json_t *root = load_report(s), *scenarios = get(root, "scenarios");
    json_t *totals = get(root, "totals");
    json_t *na = json_array_get(scenarios, 1);
    json_t *stray = json_array_get(scenarios, 2);

    cr_expect_eq(json_integer_value(get(totals, "not_applicable")), 1);
    cr_expect_eq(json_integer_value(get(totals, "passed")), 1);
    cr_expect_eq(json_integer_value(get(totals, "failed")), 1);
    cr_expect_str_eq(json_string_value(get(root, "target")), "node");
    for (size_t i = 0; i < s->n; i++)
        expect_verdict(json_array_get(scenarios, i), &s->verdicts[i]);
    cr_expect(json_is_false(get(na, "passed")));
    cr_expect_str_eq(json_string_value(get(get(na, "outcome"), "result")),
                     "not_applicable");
    cr_expect(json_is_null(get(stray, "not_applicable")));
    cr_expect_str_eq(
        json_string_value(get(get(stray, "outcome"), "not_applicable")),
        "node has no process_group (child_process has no setpgid)");
    cr_expect(json_is_null(
        get(get(json_array_get(scenarios, 0), "outcome"), "not_applicable")));
    json_decref(root);
    fixture_free(s);
    fixture_end();
}
