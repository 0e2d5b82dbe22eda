/* spf_run(): CPython's run() (section 2.4, rows ST-*, TMO-04..08). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
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

/* ST-06: the check failure carries the code and CalledProcessError's
 * text, for an exit status, a named signal and an unknown one. */
TEST(run, check_failure_says_why, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r;
    struct spf_spawn_error e;
    char want[512];
    char *m;

    helper_opts(&o, av, "exit", "2", NULL);
    cr_assert_eq(spf_run(&o, NULL, 0, SPF_FOREVER, true, &r, &e), -SPF_ECHECK);
    cr_expect_eq(r.returncode, 2);
    cr_expect_eq(e.stage, SPF_STAGE_NONE);
    cr_expect_eq(e.err, SPF_ECHECK);
    cr_expect_eq(e.child_status, 2);
    snprintf(want, sizeof(want),
             "Command '['%s', 'exit', '2']' returned non-zero exit status 2.",
             helper());
    cr_expect_str_eq(e.message, want);
    spf_spawn_error_clear(&e);
    spf_run_result_clear(&r);

    helper_opts(&o, av, "kill", "6", NULL);
    cr_assert_eq(spf_run(&o, NULL, 0, SPF_FOREVER, true, &r, &e), -SPF_ECHECK);
    cr_expect_eq(e.child_status, -SIGABRT);
    snprintf(want, sizeof(want),
             "Command '['%s', 'kill', '6']' died with <Signals.SIGABRT: 6>.",
             helper());
    cr_expect_str_eq(e.message, want);
    spf_spawn_error_clear(&e);
    spf_run_result_clear(&r);

    m = spf_check_message(av, 1, -9876543);
    snprintf(want, sizeof(want),
             "Command '['%s']' died with unknown signal 9876543.", helper());
    cr_expect_str_eq(m, want);
    free(m);
}

/* Arguments are shown as Python's repr() shows them (values checked
 * against CPython 3.13's str(CalledProcessError)). */
Test(run, check_message_quotes_like_python)
{
    struct spf_str av[] = {spf_str_c("/bin/x"),   spf_str_c("it's"),
                           spf_str_c("a\"b"),     spf_str_c("c\n\t\\"),
                           spf_str_c("\xc3\xa9"), spf_str_c("both'\"")};
    char *m = spf_check_message(av, 6, -34);

    cr_expect_str_eq(m, "Command '['/bin/x', \"it's\", 'a\"b', 'c\\n\\t\\\\', "
                        "'\xc3\xa9', 'both\\'\"']' died with "
                        "<Signals.SIGRTMIN: 34>.");
    free(m);
    m = spf_check_message(av, 1, -35);
    cr_expect_str_eq(m, "Command '['/bin/x']' died with unknown signal 35.");
    free(m);
    m = spf_check_message(av, 1, -16);
    cr_expect_str_eq(m, "Command '['/bin/x']' died with "
                        "<Signals.SIGSTKFLT: 16>.");
    free(m);
}
