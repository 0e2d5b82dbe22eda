/* spf_run(): CPython's run() (section 2.4, rows ST-*, TMO-04..08). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

TEST(run, collects_code_and_output, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r;

    helper_opts(&o, av, "cat", "err", "e", "exit", "47", NULL);
    cr_assert_eq(spf_run(&o, "pear", 4, SPF_FOREVER, false, &r, NULL), 0);
    cr_expect_eq(r.returncode, 47);
    cr_expect_eq(r.out_len, 4);
    cr_expect_str_eq(r.out, "pear");
    cr_expect_str_eq(r.err, "e");
    cr_expect(!r.timed_out);
    spf_run_result_clear(&r);
}

/* ST-02, ST-04: check fails with the code kept. */
TEST(run, check_reports_the_code, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r;

    helper_opts(&o, av, "exit", "47", NULL);
    cr_assert_eq(spf_run(&o, NULL, 0, SPF_FOREVER, true, &r, NULL),
                 -SPF_ECHECK);
    cr_expect_eq(r.returncode, 47);
    spf_run_result_clear(&r);
    helper_opts(&o, av, "kill", "6", NULL);
    cr_assert_eq(spf_run(&o, NULL, 0, SPF_FOREVER, true, &r, NULL),
                 -SPF_ECHECK);
    cr_expect_eq(r.returncode, -SIGABRT);
    spf_run_result_clear(&r);
    helper_opts(&o, av, NULL);
    cr_assert_eq(spf_run(&o, NULL, 0, SPF_FOREVER, true, &r, NULL), 0);
    spf_run_result_clear(&r);
}

/* TMO-05, TMO-06, TMO-07: kill on timeout; the output is what was read
 * before the deadline. */
TEST(run, timeout_kills_and_keeps_partial_output, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r;

    helper_opts(&o, av, "out", "BDFL", "sleep", "3600", NULL);
    cr_assert_eq(spf_run(&o, NULL, 0, 500 * MSEC, false, &r, NULL), -ETIMEDOUT);
    cr_expect(r.timed_out);
    cr_expect_eq(r.returncode, -SIGKILL);
    cr_expect_str_eq(r.out, "BDFL");
    cr_expect_null(r.err, "nothing was read from stderr");
    spf_run_result_clear(&r);
}

/* TMO-08: a grandchild holding stdout cannot delay the return. */
TEST(run, grandchild_cannot_delay_a_timeout, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r;
    double t0 = now_ms();

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/bin/sh", "-c", "sleep 3; :", NULL);
    o.std[1].kind = o.std[2].kind = SPF_STDIO_PIPE;
    cr_assert_eq(spf_run(&o, NULL, 0, 100 * MSEC, false, &r, NULL), -ETIMEDOUT);
    cr_expect_lt(now_ms() - t0, 1500);
    spf_run_result_clear(&r);
}

/* run() refuses input with a stdin chosen otherwise (VAL-14). */
TEST(run, input_with_explicit_stdin_is_refused)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r;
    struct spf_spawn_error e;

    helper_opts(&o, av, NULL);
    o.std[0].kind = SPF_STDIO_DEVNULL;
    cr_assert_eq(spf_run(&o, "x", 1, SPF_FOREVER, false, &r, &e), -EINVAL);
    cr_expect_eq(e.stage, SPF_STAGE_INVALID);
    spf_spawn_error_clear(&e);
}

/* A spawn failure comes back as spf_popen's. */
TEST(run, spawn_failure, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r;
    struct spf_spawn_error e;

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/nonexistent", NULL);
    cr_assert_eq(spf_run(&o, NULL, 0, SPF_FOREVER, false, &r, &e), -ENOENT);
    cr_expect_eq(e.stage, SPF_STAGE_EXEC);
    spf_spawn_error_clear(&e);
}
