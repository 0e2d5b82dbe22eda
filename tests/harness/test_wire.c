/* The wire format: cases and outcomes survive a round trip, any byte
 * included. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../harness/wire.h"

static struct spf_bytes B(const char *s, size_t len) {
    struct spf_bytes b = {malloc(len + 1), len};

    memcpy(b.data, s, len);
    b.data[len] = '\0';
    return b;
}

#define BL(lit) B(lit, sizeof(lit) - 1)

static void
bytes_eq(const struct spf_bytes *a, const struct spf_bytes *b)
{
    cr_assert_eq(a->data == NULL, b->data == NULL);
    if (!a->data)
        return;
    cr_assert_eq(a->len, b->len);
    cr_assert_arr_eq(a->data, b->data, a->len);
}

Test(wire, case_round_trip)
{
    struct spf_case c, d;
    char err[256], *json;

    spf_case_init(&c);
    c.id = strdup("hostile \"id\" <&>");
    c.argc = 2;
    c.argv = calloc(2, sizeof(*c.argv));
    c.argv[0] = BL("/bin/\xff\x00prog");
    c.argv[1] = BL("");
    c.env_replace = true;
    c.envc = 1;
    c.env_names = calloc(1, sizeof(*c.env_names));
    c.env_values = calloc(1, sizeof(*c.env_values));
    c.env_names[0] = BL("A=B");
    c.env_values[0] = BL("v\n");
    c.cwd = BL("{case_dir}");
    c.std[1] = (struct spf_stdio){SPF_STDIO_FD, 7};
    c.std[2].kind = SPF_STDIO_STDOUT;
    c.n_pass_fds = 2;
    c.pass_fds = calloc(2, sizeof(int));
    c.pass_fds[0] = 3;
    c.pass_fds[1] = 9;
    c.api = SPF_API_COMMUNICATE;
    c.input = BL("in\x00put");
    c.timeout_ns = 250000000;
    c.resume = true;
    c.repeat = 3;
    c.umask = 027;
    c.user = 65534;
    c.set_extra_groups = true;
    c.n_extra_groups = 2;
    c.extra_groups = calloc(2, sizeof(int64_t));
    c.extra_groups[1] = 4294967295LL;
    c.n_fiu = 1;
    c.fiu = calloc(1, sizeof(*c.fiu));
    c.fiu[0].name = strdup("spf/errpipe/forge");
    c.fiu[0].data = BL("\xff\x00\xde\xad");

    json = spf__case_to_json(&c);
    cr_assert(json);
    cr_assert_eq(spf__case_from_json(json, strlen(json), &d, err, sizeof(err)),
                 0, "%s", err);
    cr_expect_str_eq(d.id, c.id);
    cr_assert_eq(d.argc, 2);
    bytes_eq(&d.argv[0], &c.argv[0]);
    bytes_eq(&d.argv[1], &c.argv[1]);
    cr_expect(d.env_replace);
    bytes_eq(&d.env_names[0], &c.env_names[0]);
    bytes_eq(&d.env_values[0], &c.env_values[0]);
    bytes_eq(&d.cwd, &c.cwd);
    bytes_eq(&d.executable, &c.executable);
    cr_expect_eq(d.std[0].kind, SPF_STDIO_INHERIT);
    cr_expect_eq(d.std[1].kind, SPF_STDIO_FD);
    cr_expect_eq(d.std[1].fd, 7);
    cr_expect_eq(d.std[2].kind, SPF_STDIO_STDOUT);
    cr_expect_eq(d.n_pass_fds, 2);
    cr_expect_eq(d.pass_fds[1], 9);
    cr_expect_eq(d.api, SPF_API_COMMUNICATE);
    bytes_eq(&d.input, &c.input);
    cr_expect_eq(d.timeout_ns, 250000000);
    cr_expect_eq(d.resume_timeout_ns, SPF_FOREVER);
    cr_expect(d.resume);
    cr_expect_eq(d.repeat, 3);
    cr_expect_eq(d.umask, 027);
    cr_expect_eq(d.process_group, -1);
    cr_expect_eq(d.user, 65534);
    cr_expect_eq(d.group, -1);
    cr_expect(d.set_extra_groups);
    cr_assert_eq(d.n_extra_groups, 2);
    cr_expect_eq(d.extra_groups[0], 0);
    cr_expect_eq(d.extra_groups[1], 4294967295LL);
    cr_expect(d.close_fds && d.restore_signals && d.allow_vfork);
    cr_assert_eq(d.n_fiu, 1);
    cr_expect_str_eq(d.fiu[0].name, "spf/errpipe/forge");
    bytes_eq(&d.fiu[0].data, &c.fiu[0].data);
    free(json);
    spf_case_clear(&c);
    spf_case_clear(&d);
}

Test(wire, outcome_round_trip)
{
    struct spf_outcome o = {0}, p;
    char err[256], *json;

    o.result = SPF_RESULT_SPAWN_ERROR;
    o.stage = SPF_STAGE_BAD_DATA;
    o.err = 0;
    o.raw = BL("\xff\x00\xde\xad");
    o.message = BL("Bad exception data from child: b'\\xff'");
    o.has_returncode = true;
    o.returncode = -9;
    o.partial_out.present = true;
    o.partial_out.data = BL("BD\x00FL");
    o.partial_out.total_len = 5;
    strcpy(o.partial_out.sha256, "ab");
    o.elapsed_ns = 123456789;
    o.iterations = 1024;
    o.n_strays = 1;
    o.strays = calloc(1, sizeof(char *));
    o.strays[0] = strdup("pid 12 (sleep) state S");
    o.watchdog_signal = 9;
    o.n_fired = 1;
    o.fired = calloc(1, sizeof(*o.fired));
    o.fired[0] = (struct spf_fault_record){.pid = 42,
                                           .scope = SPF_SCOPE_CHILD,
                                           .call = SPF_CALL_EXECVE,
                                           .n = 1,
                                           .action = SPF_ACTION_ERRNO,
                                           .err = 2};
    o.harness_error = strdup("bad \x01 byte");

    json = spf__outcome_to_json(&o);
    cr_assert(json);
    cr_assert_eq(
        spf__outcome_from_json(json, strlen(json), &p, err, sizeof(err)), 0,
        "%s", err);
    cr_expect_eq(p.result, SPF_RESULT_SPAWN_ERROR);
    cr_expect_eq(p.stage, SPF_STAGE_BAD_DATA);
    bytes_eq(&p.raw, &o.raw);
    bytes_eq(&p.message, &o.message);
    cr_expect(p.has_returncode);
    cr_expect_eq(p.returncode, -9);
    cr_expect(p.partial_out.present);
    bytes_eq(&p.partial_out.data, &o.partial_out.data);
    cr_expect(!p.out.present);
    cr_expect_eq(p.elapsed_ns, 123456789);
    cr_expect_eq(p.iterations, 1024);
    cr_assert_eq(p.n_strays, 1);
    cr_expect_str_eq(p.strays[0], "pid 12 (sleep) state S");
    cr_expect_eq(p.watchdog_signal, 9);
    cr_assert_eq(p.n_fired, 1);
    cr_expect_eq(p.fired[0].pid, 42);
    cr_expect_eq(p.fired[0].call, SPF_CALL_EXECVE);
    cr_expect_eq(p.fired[0].err, 2);
    cr_expect_str_eq(p.harness_error, "bad \\x01 byte",
                     "control bytes are escaped in text");
    free(json);
    spf_outcome_clear(&o);
    spf_outcome_clear(&p);
}

Test(wire, malformed_input_is_an_error)
{
    struct spf_case c;
    struct spf_outcome o;
    char err[256];

    cr_expect_lt(spf__case_from_json("{", 1, &c, err, sizeof(err)), 0);
    cr_expect(strstr(err, "JSON error"), "%s", err);
    cr_expect_lt(spf__case_from_json("{}", 2, &c, err, sizeof(err)), 0);
    cr_expect_lt(spf__outcome_from_json("{\"result\": \"nope\"}", 18, &o, err,
                                        sizeof(err)),
                 0);
    cr_expect(strstr(err, "result"), "%s", err);
}

Test(wire, not_applicable_carries_its_reason)
{
    struct spf_outcome o = {0}, p;
    char err[256], *json;

    o.result = SPF_RESULT_NOT_APPLICABLE;
    o.not_applicable = strdup("CPython 3.10 has no process_group \x01");
    o.n_strays = 1;
    o.strays = calloc(1, sizeof(char *));
    o.strays[0] = strdup("pid 12 (sleep) state S");

    json = spf__outcome_to_json(&o);
    cr_assert(json);
    cr_assert_eq(
        spf__outcome_from_json(json, strlen(json), &p, err, sizeof(err)), 0,
        "%s", err);
    cr_expect_eq(p.result, SPF_RESULT_NOT_APPLICABLE);
    cr_expect_str_eq(p.not_applicable, "CPython 3.10 has no process_group "
                                       "\\x01");
    cr_expect_null(p.harness_error);
    cr_assert_eq(p.n_strays, 1, "the census travels with it");
    free(json);
    spf_outcome_clear(&o);
    spf_outcome_clear(&p);

    /* Any other outcome says null, and reads back without a reason. */
    o = (struct spf_outcome){.result = SPF_RESULT_EXITED};
    json = spf__outcome_to_json(&o);
    cr_assert(json);
    cr_expect(strstr(json, "\"not_applicable\":null"), "%s", json);
    cr_assert_eq(
        spf__outcome_from_json(json, strlen(json), &p, err, sizeof(err)), 0,
        "%s", err);
    cr_expect_null(p.not_applicable);
    free(json);
    spf_outcome_clear(&p);
}

/* A result without its reason, or a reason with another result, is an
 * adapter's bug: the outcome is refused, never taken as not applicable. */
Test(wire, not_applicable_needs_result_and_reason)
{
    static const char *const bad[] = {
        "{\"result\": \"not_applicable\", \"stage\": \"none\", \"errno\": 0}",
        "{\"result\": \"not_applicable\", \"stage\": \"none\", \"errno\": 0, "
        "\"not_applicable\": null}",
        "{\"result\": \"not_applicable\", \"stage\": \"none\", \"errno\": 0, "
        "\"not_applicable\": \"\"}",
        "{\"result\": \"not_applicable\", \"stage\": \"none\", \"errno\": 0, "
        "\"not_applicable\": 7}",
        "{\"result\": \"exited\", \"stage\": \"none\", \"errno\": 0, "
        "\"not_applicable\": \"why\"}",
        "{\"result\": \"harness_error\", \"stage\": \"none\", \"errno\": 0, "
        "\"not_applicable\": \"why\"}",
    };
    struct spf_outcome o;
    char err[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_lt(spf__outcome_from_json(bad[i], strlen(bad[i]), &o, err,
                                            sizeof(err)),
                     0, "accepted: %s", bad[i]);
        cr_expect(strstr(err, "not_applicable"), "%s", err);
    }
}
