/* Tests of the verdict: each expectation holding and not, the census,
 * hostile bytes in what is shown, and the replay command. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spawnfault/scenario.h>

#include "../common/leakcheck.h"

static char *dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static struct spf_bytes bytes(const void *p, size_t n)
{
    return (struct spf_bytes){dup_bytes(p, n), n};
}

#define BYTES(lit) bytes(lit, sizeof(lit) - 1)

/* Static bytes for expectations, which the tests never free. */
#define STATIC_BYTES(lit) ((struct spf_bytes){(char *)lit, sizeof(lit) - 1})

/* A capture of total bytes of which the first kept were read. */
static void capture_part(struct spf_capture *c, const void *p, size_t kept,
                         size_t total)
{
    c->present = true;
    c->data = bytes(p, kept);
    c->total_len = total;
    spf_sha256_hex(p, total, c->sha256);
}

static void capture(struct spf_capture *c, const void *p, size_t n)
{
    capture_part(c, p, n, n);
}

static char **strings(size_t n, const char *const *v)
{
    char **out = calloc(n, sizeof(*out));
    cr_assert_not_null(out);
    for (size_t i = 0; i < n; i++)
        out[i] = dup_bytes(v[i], strlen(v[i]));
    return out;
}

/* A scenario expecting a clean exit with code 0. */
static struct spf_scenario scenario(void)
{
    struct spf_scenario sc = {0};
    sc.name = "exits";
    sc.file = "scenarios/exits.yaml";
    sc.expect.has_result = true;
    sc.expect.result = SPF_RESULT_EXITED;
    sc.expect.has_returncode = true;
    sc.expect.returncode = 0;
    return sc;
}

/* What that scenario asks for. */
static struct spf_outcome exited(int code)
{
    return (struct spf_outcome){.result = SPF_RESULT_EXITED,
                                .has_returncode = true,
                                .returncode = code,
                                .iterations = 1};
}

static void verdict(const struct spf_scenario *sc, struct spf_outcome *o,
                    struct spf_verdict *v)
{
    spf_verdict_check(sc, o, 42, v);
    cr_assert_eq(v->scenario, sc);
    cr_assert_eq(v->seed, 42);
    cr_assert_eq(v->passed, v->n_mismatches == 0);
}

/* The verdict failed with exactly one mismatch, saying this. */
static void assert_one(const struct spf_verdict *v, const char *field,
                       const char *expected, const char *got)
{
    cr_assert_not(v->passed);
    cr_assert_eq(v->n_mismatches, 1, "%zu mismatches, first %s",
                 v->n_mismatches,
                 v->n_mismatches ? v->mismatches[0].field : "-");
    cr_assert_str_eq(v->mismatches[0].field, field);
    cr_assert_str_eq(v->mismatches[0].expected, expected);
    cr_assert_str_eq(v->mismatches[0].got, got);
}

static void assert_passed(const struct spf_verdict *v)
{
    cr_assert(v->passed, "%zu mismatches, first %s: expected %s, got %s",
              v->n_mismatches, v->n_mismatches ? v->mismatches[0].field : "-",
              v->n_mismatches ? v->mismatches[0].expected : "-",
              v->n_mismatches ? v->mismatches[0].got : "-");
    cr_assert_eq(v->n_mismatches, 0);
}

/* Check o against sc: the verdict must pass. */
static void check_passes(const struct spf_scenario *sc, struct spf_outcome *o)
{
    struct spf_verdict v;
    verdict(sc, o, &v);
    assert_passed(&v);
    spf_verdict_clear(&v);
}

/* Check o against sc: the verdict must fail with just this mismatch. */
static void check_one(const struct spf_scenario *sc, struct spf_outcome *o,
                      const char *field, const char *expected, const char *got)
{
    struct spf_verdict v;
    verdict(sc, o, &v);
    assert_one(&v, field, expected, got);
    spf_verdict_clear(&v);
}

TEST(verdict, clean_exit_passes_and_takes_the_outcome)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;
    capture(&o.out, "hi", 2);
    char *data = o.out.data.data;

    verdict(&sc, &o, &v);
    assert_passed(&v);
    cr_assert_eq(v.outcome.out.data.data, data, "moved, not copied");
    cr_assert_null(o.out.data.data, "the caller's outcome is zeroed");
    cr_assert_eq(o.result, 0);
    spf_verdict_clear(&v);
    cr_assert_null(v.mismatches);
    cr_assert_null(v.replay);
}

TEST(verdict, unexpected_spawn_error_shows_its_stage_and_errno)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = {.result = SPF_RESULT_SPAWN_ERROR,
                            .stage = SPF_STAGE_EXEC,
                            .err = ENOENT,
                            .filename = BYTES("/opt/x")};
    sc.expect.has_returncode = false;

    check_one(&sc, &o, "result", "exited",
              "spawn_error (stage exec, errno ENOENT (2), filename "
              "\"/opt/x\")");
}

TEST(verdict, missing_spawn_error_shows_the_exit)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(1);
    sc.expect.result = SPF_RESULT_SPAWN_ERROR;
    sc.expect.has_returncode = false;
    sc.expect.has_stage = true;
    sc.expect.stage = SPF_STAGE_EXEC;

    check_one(&sc, &o, "result", "spawn_error", "exited (returncode 1)");
}

TEST(verdict, result_defaults_from_the_other_expectations)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    sc.expect.has_result = false;
    sc.expect.has_returncode = false;
    sc.expect.partial_out.has_absent = true;

    check_one(&sc, &o, "result", "timeout", "exited (returncode 0)");
}

TEST(verdict, timeout_expected_and_got)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = {.result = SPF_RESULT_TIMEOUT,
                            .has_returncode = true,
                            .returncode = -SIGKILL};
    sc.expect.result = SPF_RESULT_TIMEOUT;
    sc.expect.returncode = -SIGKILL;
    capture(&o.partial_out, "ab", 2);
    sc.expect.partial_out.has_data = true;
    sc.expect.partial_out.data = STATIC_BYTES("ab");
    sc.expect.partial_err.has_absent = true;

    check_passes(&sc, &o);
}

TEST(verdict, spawn_error_details)
{
    struct spf_scenario sc = scenario();
    struct spf_expect *e = &sc.expect;
    struct spf_outcome o = {.result = SPF_RESULT_SPAWN_ERROR,
                            .stage = SPF_STAGE_CHDIR,
                            .err = EACCES,
                            .filename = BYTES("/tmp"),
                            .raw = BYTES("OSError:d:noexec:chdir")};
    struct spf_verdict v;
    e->result = SPF_RESULT_SPAWN_ERROR;
    e->has_returncode = false;
    e->has_stage = true;
    e->stage = SPF_STAGE_EXEC;
    e->has_errno = true;
    e->err = ENOENT;
    e->has_filename = true; /* data NULL: no filename */
    e->has_raw = true;
    e->raw = STATIC_BYTES("OSError:2:");

    verdict(&sc, &o, &v);
    cr_assert_eq(v.n_mismatches, 4);
    const char *want[][3] = {
        {"spawn_error.stage", "exec", "chdir"},
        {"spawn_error.errno", "ENOENT (2)", "EACCES (13)"},
        {"spawn_error.filename", "no filename", "\"/tmp\""},
        {"spawn_error.raw", "\"OSError:2:\"", "\"OSError:d:noexec:chdir\""},
    };
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(v.mismatches[i].field, want[i][0]);
        cr_assert_str_eq(v.mismatches[i].expected, want[i][1]);
        cr_assert_str_eq(v.mismatches[i].got, want[i][2]);
    }
    spf_verdict_clear(&v);
}

TEST(verdict, spawn_error_details_holding)
{
    struct spf_scenario sc = scenario();
    struct spf_expect *e = &sc.expect;
    struct spf_outcome o = {.result = SPF_RESULT_SPAWN_ERROR,
                            .stage = SPF_STAGE_PREEXEC,
                            .err = EPERM,
                            .raw = BYTES("OSError:1:noexec")};
    e->result = SPF_RESULT_SPAWN_ERROR;
    e->has_returncode = false;
    e->has_stage = true;
    e->stage = SPF_STAGE_PREEXEC;
    e->has_errno = true;
    e->err = EPERM;
    e->has_filename = true;
    e->has_raw = true;
    e->raw = STATIC_BYTES("OSError:1:noexec");

    check_passes(&sc, &o);
}

TEST(verdict, spawn_error_message)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = {.result = SPF_RESULT_SPAWN_ERROR,
                            .stage = SPF_STAGE_BAD_DATA,
                            .message = BYTES("Bad exception data from child: "
                                             "b'\\xff'")};
    sc.expect.has_result = false; /* implied by the message */
    sc.expect.has_returncode = false;
    sc.expect.has_message = true;
    sc.expect.message = STATIC_BYTES("Bad exception data from child: b''");

    check_one(&sc, &o, "spawn_error.message",
              "\"Bad exception data from child: b''\"",
              "\"Bad exception data from child: b'\\\\xff'\"");
}

TEST(verdict, filename_expected_but_none)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = {.result = SPF_RESULT_SPAWN_ERROR,
                            .stage = SPF_STAGE_EXEC,
                            .err = ENOENT};
    sc.expect.result = SPF_RESULT_SPAWN_ERROR;
    sc.expect.has_returncode = false;
    sc.expect.has_filename = true;
    sc.expect.filename = STATIC_BYTES("prog");

    check_one(&sc, &o, "spawn_error.filename", "\"prog\"", "no filename");
}

TEST(verdict, returncode_and_signal)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(-SIGKILL);

    check_one(&sc, &o, "returncode", "0", "-9 (SIGKILL)");

    sc.expect.returncode = -SIGTERM;
    o = exited(0);
    o.has_returncode = false;
    check_one(&sc, &o, "returncode", "-15 (SIGTERM)", "none");
}

TEST(verdict, stdout_exact)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    sc.expect.out.has_data = true;
    sc.expect.out.data = STATIC_BYTES("hello\n");

    capture(&o.out, "hello\n", 6);
    check_passes(&sc, &o);

    o = exited(0);
    capture(&o.out, "help\n", 5);
    check_one(&sc, &o, "stdout", "\"hello\\x0a\"",
              "\"help\\x0a\", first difference at byte 3");

    o = exited(0);
    check_one(&sc, &o, "stdout", "\"hello\\x0a\"", "absent");
}

TEST(verdict, prefix_is_not_equal)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    sc.expect.err_out.has_data = true;
    sc.expect.err_out.data = STATIC_BYTES("abc");

    capture(&o.err_out, "abcd", 4);
    check_one(&sc, &o, "stderr", "\"abc\"", "\"abcd\"");
}

TEST(verdict, stream_absent)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    sc.expect.inherited_err.has_absent = true;

    check_passes(&sc, &o);

    o = exited(0);
    capture(&o.inherited_err, "", 0);
    check_one(&sc, &o, "inherited_stderr", "absent", "\"\"");
}

TEST(verdict, stream_len_and_sha256)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;
    struct spf_expect_stream *s = &sc.expect.inherited_out;
    s->has_len = true;
    s->len = 3;
    s->has_sha256 = true;
    spf_sha256_hex("abc", 3, s->sha256);

    capture(&o.inherited_out, "abc", 3);
    check_passes(&sc, &o);

    o = exited(0);
    capture(&o.inherited_out, "abcd", 4);
    verdict(&sc, &o, &v);
    cr_assert_eq(v.n_mismatches, 2);
    cr_assert_str_eq(v.mismatches[0].field, "inherited_stdout.len");
    cr_assert_str_eq(v.mismatches[0].expected, "3 bytes");
    cr_assert_str_eq(v.mismatches[0].got, "4 bytes");
    cr_assert_str_eq(v.mismatches[1].field, "inherited_stdout.sha256");
    cr_assert_str_eq(v.mismatches[1].expected,
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff6"
                     "1f20015ad");
    cr_assert_str_eq(v.mismatches[1].got,
                     "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e1"
                     "61936f031589");
    spf_verdict_clear(&v);

    o = exited(0);
    verdict(&sc, &o, &v);
    cr_assert_eq(v.n_mismatches, 2);
    cr_assert_str_eq(v.mismatches[0].got, "absent");
    cr_assert_str_eq(v.mismatches[1].got, "absent");
    spf_verdict_clear(&v);
}

TEST(verdict, partial_output_fields)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = {.result = SPF_RESULT_TIMEOUT};
    sc.expect.result = SPF_RESULT_TIMEOUT;
    sc.expect.has_returncode = false;
    sc.expect.partial_err.has_data = true;
    sc.expect.partial_err.data = STATIC_BYTES("x");
    capture(&o.partial_err, "y", 1);

    check_one(&sc, &o, "partial_stderr", "\"x\"",
              "\"y\", first difference at byte 0");
}

TEST(verdict, capture_kept_in_part_compares_by_digest)
{
    static char big[3000];
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;
    memset(big, 'z', sizeof(big));
    sc.expect.out.has_data = true;
    sc.expect.out.data = (struct spf_bytes){big, sizeof(big)};

    capture_part(&o.out, big, 1000, sizeof(big));
    check_passes(&sc, &o);

    /* Same length and same kept bytes, but a different tail. */
    o = exited(0);
    capture_part(&o.out, big, 1000, sizeof(big));
    big[2999] = 'y';
    verdict(&sc, &o, &v);
    big[2999] = 'z';
    cr_assert_not(v.passed);
    cr_assert_eq(v.n_mismatches, 1);
    cr_assert_str_eq(v.mismatches[0].field, "stdout");
    spf_verdict_clear(&v);
}

TEST(verdict, hostile_bytes_are_escaped)
{
    static const char evil[] = "\0\xff\"\\\n<&>]]>\x7f\x1b[31m";
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    sc.expect.out.has_data = true;
    sc.expect.out.data = (struct spf_bytes){(char *)evil, sizeof(evil) - 1};
    capture(&o.out, "\xc3\xbf\t", 3);

    check_one(&sc, &o, "stdout",
              "\"\\x00\\xff\\\"\\\\\\x0a<&>]]>\\x7f\\x1b[31m\"",
              "\"\\xc3\\xbf\\x09\", first difference at byte 0");
}

TEST(verdict, long_data_is_cut_with_length_and_digest)
{
    static char expected[100], got[5000];
    char text[300], digest[65];
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;
    memset(expected, 'a', sizeof(expected));
    memset(got, 'b', sizeof(got));
    sc.expect.out.has_data = true;
    sc.expect.out.data = (struct spf_bytes){expected, sizeof(expected)};
    capture_part(&o.out, got, 1000, sizeof(got));

    verdict(&sc, &o, &v);
    cr_assert_eq(v.n_mismatches, 1);
    spf_sha256_hex(expected, sizeof(expected), digest);
    snprintf(text, sizeof(text), "\"%.64s\"... (100 bytes, sha256 %s)",
             expected, digest);
    cr_assert_str_eq(v.mismatches[0].expected, text);
    snprintf(text, sizeof(text),
             "\"%.64s\"... (5000 bytes, sha256 %s), first difference at "
             "byte 0",
             got, v.outcome.out.sha256);
    cr_assert_str_eq(v.mismatches[0].got, text);
    spf_verdict_clear(&v);
}

TEST(verdict, elapsed_bounds)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    sc.expect.has_elapsed_max = true;
    sc.expect.elapsed_max_ns = 1500000000;
    sc.expect.has_elapsed_min = true;
    sc.expect.elapsed_min_ns = 200000000;

    o.elapsed_ns = 1500000000;
    check_passes(&sc, &o);

    o = exited(0);
    o.elapsed_ns = 1734000000;
    check_one(&sc, &o, "elapsed_max", "<= 1.500 s", "1.734 s");

    o = exited(0);
    o.elapsed_ns = 100000000;
    check_one(&sc, &o, "elapsed_min", ">= 0.200 s", "0.100 s");
}

static struct spf_fault_record *records(void)
{
    struct spf_fault_record *r = calloc(2, sizeof(*r));
    cr_assert_not_null(r);
    r[0] = (struct spf_fault_record){.pid = 10,
                                     .scope = SPF_SCOPE_CHILD,
                                     .call = SPF_CALL_EXECVE,
                                     .n = 1,
                                     .err = ENOENT};
    r[1] = (struct spf_fault_record){.pid = 9,
                                     .scope = SPF_SCOPE_PARENT,
                                     .call = SPF_CALL_READ,
                                     .n = 2,
                                     .err = EINTR};
    return r;
}

TEST(verdict, faults_fired)
{
    char *fired[] = {"execve", "read@parent"};
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;
    sc.expect.fired = fired;
    sc.expect.n_fired = 2;
    o.fired = records();
    o.n_fired = 2;

    check_passes(&sc, &o);

    fired[1] = "read@child";
    o = exited(0);
    o.fired = records();
    o.n_fired = 2;
    check_one(&sc, &o, "faults_fired", "read@child fired",
              "fired: spawn/exec@child#1, io/read@parent#2");

    o = exited(0);
    verdict(&sc, &o, &v);
    cr_assert_eq(v.n_mismatches, 2);
    cr_assert_str_eq(v.mismatches[0].got, "no fault fired");
    spf_verdict_clear(&v);
}

TEST(verdict, census_always_counts)
{
    const char *fds[] = {"fd 5: pipe:[123]", "fd 7: /tmp/a\nb\"c"};
    const char *zombie[] = {"pid 77 (sh)"};
    const char *stray[] = {"pid 78 (sleep 30)"};
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;
    o.leaked_fds = strings(2, fds);
    o.n_leaked_fds = 2;
    o.zombies = strings(1, zombie);
    o.n_zombies = 1;
    o.strays = strings(1, stray);
    o.n_strays = 1;
    o.watchdog_signal = SIGKILL;
    o.harness_error = dup_bytes("census: \x01", 9);

    verdict(&sc, &o, &v);
    cr_assert_not(v.passed);
    cr_assert_eq(v.n_mismatches, 5);
    const char *want[][2] = {
        {"census.leaked_fds",
         "\"fd 5: pipe:[123]\", \"fd 7: /tmp/a\\x0ab\\\"c\""},
        {"census.zombies", "\"pid 77 (sh)\""},
        {"census.strays", "\"pid 78 (sleep 30)\""},
        {"census.watchdog", "SIGKILL"},
        {"census.harness_error", "\"census: \\x01\""},
    };
    for (size_t i = 0; i < 5; i++) {
        cr_assert_str_eq(v.mismatches[i].field, want[i][0]);
        cr_assert_str_eq(v.mismatches[i].expected, "none");
        cr_assert_str_eq(v.mismatches[i].got, want[i][1]);
    }
    spf_verdict_clear(&v);
}

TEST(verdict, strays_the_scenario_expects)
{
    const char *stray[] = {"pid 78 (sleep 3)"};
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    sc.expect.has_strays = true;
    sc.expect.strays = 1;

    o.strays = strings(1, stray);
    o.n_strays = 1;
    check_passes(&sc, &o);

    o = exited(0);
    check_one(&sc, &o, "census.strays", "1", "none");

    sc.expect.strays = 0;
    o = exited(0);
    o.strays = strings(1, stray);
    o.n_strays = 1;
    check_one(&sc, &o, "census.strays", "none", "\"pid 78 (sleep 3)\"");
}

TEST(verdict, harness_error_result_fails)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = {.result = SPF_RESULT_HARNESS,
                            .harness_error = dup_bytes("agent died", 10)};
    struct spf_verdict v;
    sc.expect.has_returncode = false;

    verdict(&sc, &o, &v);
    cr_assert_eq(v.n_mismatches, 2);
    cr_assert_str_eq(v.mismatches[0].field, "result");
    cr_assert_str_eq(v.mismatches[0].got, "harness_error: agent died");
    cr_assert_str_eq(v.mismatches[1].field, "census.harness_error");
    spf_verdict_clear(&v);

    o = (struct spf_outcome){.result = SPF_RESULT_HARNESS};
    check_one(&sc, &o, "result", "exited", "harness_error");
}

static struct spf_outcome api_error(int err, const char *message)
{
    struct spf_outcome o = {.result = SPF_RESULT_ERROR, .err = err};
    o.message.data = strdup(message);
    o.message.len = strlen(message);
    return o;
}

TEST(verdict, api_error_compares_the_errno)
{
    struct spf_scenario sc = scenario();
    sc.expect.result = SPF_RESULT_ERROR;
    sc.expect.has_returncode = false;
    sc.expect.has_api_errno = true;
    sc.expect.api_err = ENOMEM;

    struct spf_outcome o = api_error(ENOMEM, "communicate: x");
    struct spf_verdict v;
    verdict(&sc, &o, &v);
    assert_passed(&v);
    spf_verdict_clear(&v);

    o = api_error(EIO, "communicate: Input/output error");
    check_one(&sc, &o, "error", "ENOMEM (12)", "EIO (5)");
}

TEST(verdict, api_error_is_not_an_exit)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = api_error(EIO, "wait: Input/output error");
    sc.expect.has_returncode = false;
    check_one(&sc, &o, "result", "exited",
              "error (errno EIO (5): \"wait: Input/output error\")");
}

TEST(verdict, called_process_error_is_not_an_exit)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    o.result = SPF_RESULT_CHECK;
    check_one(&sc, &o, "result", "exited",
              "called_process_error (returncode 0)");
}

TEST(verdict, an_interrupted_case_is_not_judged)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = {.result = SPF_RESULT_HARNESS, .interrupted = true};
    struct spf_verdict v;

    spf_verdict_check(&sc, &o, 42, &v);
    cr_assert(v.interrupted);
    cr_assert_not(v.passed);
    cr_assert_eq(v.n_mismatches, 0, "nothing of a stopped case is a finding");
    cr_assert_not_null(v.replay, "but it can be replayed");
    spf_verdict_clear(&v);
}

/* What a peer's adapter says of a case it cannot express. */
static struct spf_outcome not_applicable(const char *why)
{
    struct spf_outcome o = {.result = SPF_RESULT_NOT_APPLICABLE};
    o.not_applicable = dup_bytes(why, strlen(why));
    return o;
}

TEST(verdict, a_case_not_applicable_is_not_judged)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = not_applicable("no process_group (3.11+)");
    struct spf_verdict v;

    spf_verdict_check(&sc, &o, 42, &v);
    cr_assert_str_eq(v.not_applicable, "no process_group (3.11+)");
    cr_assert_eq(v.not_applicable, v.outcome.not_applicable,
                 "the outcome owns the reason");
    cr_assert_not(v.passed, "never passed silently");
    cr_assert_not(spf_verdict_failed(&v), "nor failed");
    cr_assert_not(v.interrupted);
    cr_assert_eq(v.n_mismatches, 0, "no expectation is held against it");
    cr_assert_not_null(v.replay);
    spf_verdict_clear(&v);
}

/* A leaked fd, a zombie, a stray, the watchdog or a harness error fails a
 * case whether its target could express it or not. */
TEST(verdict, the_census_still_fails_a_case_not_applicable)
{
    static const char *const one[] = {"fd 5 -> pipe:[1234]"};
    static const char *const fields[] = {"census.leaked_fds", "census.zombies",
                                         "census.strays", "census.watchdog",
                                         "census.harness_error"};
    struct spf_scenario sc = scenario();

    for (size_t k = 0; k < 5; k++) {
        struct spf_outcome o = not_applicable("node has no umask");
        struct spf_verdict v;

        if (k == 0)
            o.leaked_fds = strings(1, one), o.n_leaked_fds = 1;
        if (k == 1)
            o.zombies = strings(1, one), o.n_zombies = 1;
        if (k == 2)
            o.strays = strings(1, one), o.n_strays = 1;
        if (k == 3)
            o.watchdog_signal = SIGKILL;
        if (k == 4)
            o.harness_error = dup_bytes("watchdog", 8);
        spf_verdict_check(&sc, &o, 42, &v);
        cr_assert(spf_verdict_failed(&v), "%s", fields[k]);
        cr_assert_not(v.passed);
        cr_assert_null(v.not_applicable, "a failure, not a skip");
        cr_assert_str_eq(v.outcome.not_applicable, "node has no umask",
                         "the reason stays for the reports");
        cr_assert_eq(v.n_mismatches, 1, "only the census: %s",
                     v.n_mismatches ? v.mismatches[0].field : "-");
        cr_assert_str_eq(v.mismatches[0].field, fields[k]);
        spf_verdict_clear(&v);
    }
}

/* The strays a scenario expects of a run are not allowed to a case that
 * did not run. */
TEST(verdict, a_case_not_applicable_may_leave_no_stray)
{
    static const char *const stray[] = {"pid 78 (sleep 3)"};
    struct spf_scenario sc = scenario();
    struct spf_outcome o = not_applicable("why");
    struct spf_verdict v;
    sc.expect.has_strays = true;
    sc.expect.strays = 1;

    spf_verdict_check(&sc, &o, 42, &v);
    cr_assert_not_null(v.not_applicable);
    cr_assert_eq(v.n_mismatches, 0);
    spf_verdict_clear(&v);

    o = not_applicable("why");
    o.strays = strings(1, stray);
    o.n_strays = 1;
    spf_verdict_check(&sc, &o, 42, &v);
    cr_assert(spf_verdict_failed(&v));
    assert_one(&v, "census.strays", "none", "\"pid 78 (sleep 3)\"");
    spf_verdict_clear(&v);
}

TEST(verdict, replay_command)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;

    verdict(&sc, &o, &v);
    cr_assert_str_eq(v.replay, "spawnfault run --seed 42 --filter 'exits' -- "
                               "'scenarios/exits.yaml'");
    cr_assert_eq(spf_verdict_set_replay(&v, "./build/cli/spawnfault"), 0);
    cr_assert_str_eq(v.replay, "./build/cli/spawnfault run --seed 42 "
                               "--filter 'exits' -- 'scenarios/exits.yaml'");
    cr_assert_eq(spf_verdict_set_replay(&v, "/opt/my tools/spawnfault"), 0);
    cr_assert_str_eq(v.replay, "'/opt/my tools/spawnfault' run --seed 42 "
                               "--filter 'exits' -- 'scenarios/exits.yaml'");
    spf_verdict_clear(&v);
}

TEST(verdict, replay_quotes_a_name_with_a_quote)
{
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;
    sc.name = "it's";
    sc.file = "my scenarios/o'k.yaml";

    verdict(&sc, &o, &v);
    cr_assert_str_eq(v.replay, "spawnfault run --seed 42 --filter "
                               "'it'\\''s' -- 'my scenarios/o'\\''k.yaml'");
    spf_verdict_clear(&v);
}

/* Split what the shell makes of the replay into its words. */
static size_t shell_words(const char *replay, char *buf, size_t len,
                          const char **words, size_t max)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "set -- %s; printf '%%s\\0' \"$@\"", replay);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    size_t got = fread(buf, 1, len, f), n = 0;
    cr_assert_eq(pclose(f), 0);
    for (size_t i = 0; i < got && n < max; i += strlen(buf + i) + 1)
        words[n++] = buf + i;
    return n;
}

TEST(verdict, replay_survives_a_hostile_name)
{
    const char *name = "a'b\"c $(false) `x` *?[z]\\\n;|&<>";
    char buf[1024];
    const char *w[16];
    struct spf_scenario sc = scenario();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;
    sc.name = (char *)name;
    sc.file = "dir with 'quotes'/$HOME.yaml";

    verdict(&sc, &o, &v);
    size_t n = shell_words(v.replay, buf, sizeof(buf), w, 16);
    cr_assert_eq(n, 8, "the shell sees %zu words", n);
    cr_assert_str_eq(w[0], "spawnfault");
    cr_assert_str_eq(w[1], "run");
    cr_assert_str_eq(w[2], "--seed");
    cr_assert_str_eq(w[3], "42");
    cr_assert_str_eq(w[4], "--filter");
    cr_assert_str_eq(w[6], "--");
    cr_assert_str_eq(w[7], "dir with 'quotes'/$HOME.yaml");
    cr_assert_eq(fnmatch(w[5], name, 0), 0, "the filter matches the name");
    cr_assert_neq(fnmatch(w[5], "a'b\"c $(false) `x` Xz]\\\n;|&<>", 0), 0,
                  "and only the name");
    spf_verdict_clear(&v);
}

/* Documented differences: a target's run excuses exactly the fields the
 * scenario lists for it, and keeps them visible. */

static char *field_returncode[] = {"returncode"};

static struct spf_scenario documented(void)
{
    static char *cpython[] = {"cpython"};
    static struct spf_difference d = {cpython, 1, field_returncode, 1,
                                      "a reason"};
    struct spf_scenario sc = scenario();
    sc.differences = &d;
    sc.n_differences = 1;
    return sc;
}

Test(verdict, excuse_moves_only_documented_fields)
{
    struct spf_scenario sc = documented();
    struct spf_outcome o = exited(3);
    struct spf_verdict v;

    verdict(&sc, &o, &v);
    cr_assert_not(v.passed);
    cr_assert_eq(spf_verdict_excuse(&v, "cpython:3.13"), 0);
    cr_assert(v.passed);
    cr_assert_eq(v.n_mismatches, 0);
    cr_assert_eq(v.n_excused, 1);
    cr_assert_str_eq(v.excused[0].field, "returncode");
    cr_assert_str_eq(v.target, "cpython:3.13");
    spf_verdict_clear(&v);
}

Test(verdict, excuse_keeps_other_fields_and_targets)
{
    struct spf_scenario sc = documented();
    struct spf_outcome o = exited(3);
    struct spf_verdict v;

    /* Another target: nothing excused. */
    verdict(&sc, &o, &v);
    cr_assert_eq(spf_verdict_excuse(&v, "node"), 0);
    cr_assert_not(v.passed);
    cr_assert_eq(v.n_excused, 0);
    spf_verdict_clear(&v);

    /* An undocumented field still fails the verdict. */
    o = exited(3);
    o.result = SPF_RESULT_TIMEOUT;
    verdict(&sc, &o, &v);
    cr_assert_eq(spf_verdict_excuse(&v, "cpython"), 0);
    cr_assert_not(v.passed);
    cr_assert_eq(v.n_mismatches, 1);
    cr_assert_str_eq(v.mismatches[0].field, "result");
    cr_assert_eq(v.n_excused, 1);
    spf_verdict_clear(&v);
}

Test(verdict, replay_names_the_target)
{
    struct spf_scenario sc = documented();
    struct spf_outcome o = exited(0);
    struct spf_verdict v;

    verdict(&sc, &o, &v);
    spf_verdict_excuse(&v, "cpython:3.12");
    cr_assert_eq(spf_verdict_set_replay(&v, "spawnfault"), 0);
    cr_assert_str_eq(v.replay, "spawnfault run --seed 42 --target "
                               "'cpython:3.12' --filter 'exits' -- "
                               "'scenarios/exits.yaml'");
    spf_verdict_clear(&v);
}

/* A target's documented differences cannot make a case it could not
 * express pass. */
TEST(verdict, excuse_leaves_a_case_not_applicable_unjudged)
{
    static char *cpython[] = {"cpython"};
    static char *strays[] = {"strays"};
    static struct spf_difference d = {cpython, 1, strays, 1, "a reason"};
    static const char *const stray[] = {"pid 78 (sleep 3)"};
    struct spf_scenario sc = scenario();
    struct spf_outcome o = not_applicable("CPython 3.10 has no process_group");
    struct spf_verdict v;
    sc.differences = &d;
    sc.n_differences = 1;

    spf_verdict_check(&sc, &o, 42, &v);
    cr_assert_eq(spf_verdict_excuse(&v, "cpython:3.10"), 0);
    cr_assert_not(v.passed);
    cr_assert_str_eq(v.not_applicable, "CPython 3.10 has no process_group");
    spf_verdict_clear(&v);

    /* A documented census difference is excused as for any case: what is
     * left is the case not applicable, still not a pass. */
    o = not_applicable("CPython 3.10 has no process_group");
    o.strays = strings(1, stray);
    o.n_strays = 1;
    spf_verdict_check(&sc, &o, 42, &v);
    cr_assert(spf_verdict_failed(&v));
    cr_assert_eq(spf_verdict_excuse(&v, "cpython:3.10"), 0);
    cr_assert_eq(v.n_excused, 1);
    cr_assert_not(v.passed);
    cr_assert_not_null(v.not_applicable);
    spf_verdict_clear(&v);
}

/* The totals: every verdict in exactly one of passed, failed, interrupted
 * and not applicable. */
TEST(summary, counts_each_verdict_once)
{
    static const char *const fd[] = {"fd 5 -> pipe:[1234]"};
    struct spf_scenario sc = scenario();
    struct spf_run_summary s = {0};
    struct spf_outcome o;

    s.verdicts = calloc(6, sizeof(*s.verdicts));
    cr_assert_not_null(s.verdicts);
    o = exited(0), spf_verdict_check(&sc, &o, 42, &s.verdicts[0]);
    o = exited(1), spf_verdict_check(&sc, &o, 42, &s.verdicts[1]);
    o = (struct spf_outcome){.result = SPF_RESULT_HARNESS, .interrupted = true};
    spf_verdict_check(&sc, &o, 42, &s.verdicts[2]);
    o = not_applicable("a"), spf_verdict_check(&sc, &o, 42, &s.verdicts[3]);
    o = not_applicable("b"), spf_verdict_check(&sc, &o, 42, &s.verdicts[4]);
    o = not_applicable("c");
    o.leaked_fds = strings(1, fd);
    o.n_leaked_fds = 1;
    spf_verdict_check(&sc, &o, 42, &s.verdicts[5]);
    s.n = 6;

    spf_run_summary_count(&s);
    cr_assert_eq(s.passed, 1);
    cr_assert_eq(s.failed, 2,
                 "the mismatch, and the census of a case "
                 "not applicable");
    cr_assert_eq(s.interrupted, 1);
    cr_assert_eq(s.not_applicable, 2);
    cr_assert_eq(s.excused, 0);
    spf_run_summary_clear(&s);
}

/* Comparing two runs: each differing field once, documented or not. */
Test(compare, fields_that_differ_and_why)
{
    struct spf_scenario sc = documented(), same = scenario();
    struct spf_comparison cmp = {0};
    struct spf_verdict *va = calloc(2, sizeof(*va));
    struct spf_verdict *vb = calloc(2, sizeof(*vb));
    struct spf_outcome o;

    cr_assert(va && vb);
    same.name = "same";
    o = exited(0), capture(&o.out, "a", 1), verdict(&sc, &o, &va[0]);
    o = exited(0), verdict(&same, &o, &va[1]);
    o = exited(1), capture(&o.out, "b", 1), verdict(&sc, &o, &vb[0]);
    o = exited(0), verdict(&same, &o, &vb[1]);
    cmp.targets[0] = "core";
    cmp.targets[1] = "cpython:3.13";
    cmp.runs[0] = (struct spf_run_summary){.verdicts = va, .n = 2};
    cmp.runs[1] = (struct spf_run_summary){.verdicts = vb, .n = 2};
    cmp.n_targets = 2;

    cr_assert_eq(spf_compare_runs(&cmp), 0);
    cr_assert_eq(cmp.compared, 2);
    cr_assert_eq(cmp.n_rows, 1, "only the scenario that differs");
    const struct spf_comparison_row *row = &cmp.rows[0];
    cr_assert_eq(row->scenario, &sc);
    cr_assert_eq(row->target, 1);
    cr_assert_eq(row->n_diffs, 2);
    cr_assert_str_eq(row->diffs[0].field, "returncode");
    cr_assert_str_eq(row->diffs[0].a, "0");
    cr_assert_str_eq(row->diffs[0].b, "1");
    cr_assert_str_eq(row->diffs[0].why, "a reason");
    cr_assert_str_eq(row->diffs[1].field, "stdout");
    cr_assert_str_eq(row->diffs[1].a, "\"a\"");
    cr_assert_str_eq(row->diffs[1].b, "\"b\"");
    cr_assert_null(row->diffs[1].why);
    cr_assert_eq(row->undocumented, 1);
    cr_assert_eq(cmp.documented, 1);
    cr_assert_eq(cmp.undocumented, 1);
    spf_comparison_clear(&cmp);
}

/* A pair where a side could not express the case is not compared, and is
 * counted apart from the interrupted ones, on the target it was not
 * applicable on. */
TEST(compare, a_case_not_applicable_is_not_compared)
{
    struct spf_scenario sc[4] = {scenario(), scenario(), scenario(),
                                 scenario()};
    struct spf_comparison cmp = {0};
    struct spf_verdict *va = calloc(4, sizeof(*va));
    struct spf_verdict *vb = calloc(4, sizeof(*vb));
    struct spf_outcome o;

    cr_assert(va && vb);
    sc[1].name = "na-on-b", sc[2].name = "na-on-a", sc[3].name = "stopped";
    o = exited(0), verdict(&sc[0], &o, &va[0]);
    o = exited(0), verdict(&sc[0], &o, &vb[0]);
    o = exited(0), verdict(&sc[1], &o, &va[1]);
    o = not_applicable("b cannot"), spf_verdict_check(&sc[1], &o, 42, &vb[1]);
    o = not_applicable("a cannot"), spf_verdict_check(&sc[2], &o, 42, &va[2]);
    o = exited(3), verdict(&sc[2], &o, &vb[2]);
    o = exited(0), verdict(&sc[3], &o, &va[3]);
    o = (struct spf_outcome){.result = SPF_RESULT_HARNESS, .interrupted = true};
    spf_verdict_check(&sc[3], &o, 42, &vb[3]);
    cmp.targets[0] = "core";
    cmp.targets[1] = "node";
    cmp.runs[0] = (struct spf_run_summary){.verdicts = va, .n = 4};
    cmp.runs[1] = (struct spf_run_summary){.verdicts = vb, .n = 4};
    cmp.n_targets = 2;

    cr_assert_eq(spf_compare_runs(&cmp), 0);
    cr_assert_eq(cmp.compared, 1);
    cr_assert_eq(cmp.n_rows, 0, "never a difference");
    cr_assert_eq(cmp.undocumented, 0);
    cr_assert_eq(cmp.skipped, 1, "the interrupted pair alone");
    cr_assert_eq(cmp.not_applicable[1], 1);
    cr_assert_eq(cmp.not_applicable[0], 1);
    spf_comparison_clear(&cmp);
}

/* What was read before a deadline depends on timing: unless the scenario
 * expects something of it, only its presence is compared. */
Test(compare, partial_output_by_presence_unless_expected)
{
    struct spf_scenario loose = scenario(), pinned = scenario(),
                        absent = scenario();
    struct spf_comparison cmp = {0};
    struct spf_verdict *va = calloc(3, sizeof(*va));
    struct spf_verdict *vb = calloc(3, sizeof(*vb));
    struct spf_outcome o;

    cr_assert(va && vb);
    loose.name = "loose";
    pinned.name = "pinned";
    pinned.expect.partial_out.has_len = true;
    pinned.expect.partial_out.len = 2;
    absent.name = "absent";
    o = exited(0), capture(&o.partial_out, "ab", 2),
    verdict(&loose, &o, &va[0]);
    o = exited(0), capture(&o.partial_out, "ab", 2),
    verdict(&pinned, &o, &va[1]);
    o = exited(0), capture(&o.partial_out, "ab", 2),
    verdict(&absent, &o, &va[2]);
    o = exited(0), capture(&o.partial_out, "abc", 3),
    verdict(&loose, &o, &vb[0]);
    o = exited(0), capture(&o.partial_out, "abc", 3),
    verdict(&pinned, &o, &vb[1]);
    o = exited(0), verdict(&absent, &o, &vb[2]);
    cmp.targets[0] = "core";
    cmp.targets[1] = "cpython:3.13";
    cmp.runs[0] = (struct spf_run_summary){.verdicts = va, .n = 3};
    cmp.runs[1] = (struct spf_run_summary){.verdicts = vb, .n = 3};
    cmp.n_targets = 2;

    cr_assert_eq(spf_compare_runs(&cmp), 0);
    cr_assert_eq(cmp.compared, 3);
    cr_assert_eq(cmp.n_rows, 2, "the loose one agrees: both read something");
    cr_assert_eq(cmp.rows[0].scenario, &pinned);
    cr_assert_str_eq(cmp.rows[0].diffs[0].field, "partial_stdout");
    cr_assert_eq(cmp.rows[1].scenario, &absent);
    cr_assert_str_eq(cmp.rows[1].diffs[0].field, "partial_stdout");
    cr_assert_str_eq(cmp.rows[1].diffs[0].b, "absent");
    spf_comparison_clear(&cmp);
}
