/* communicate(): concurrent pipes, EPIPE, timeouts with partial output,
 * resumption (section 2.2 and rows COM-*, TMO-*). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/internal.h"
#include "common.h"

/* COM-02, COM-03, COM-04: which streams are captured. */
TEST(communicate, captures_each_stream, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    struct spf_output out, err;

    helper_opts(&o, av, "cat", "err", "pineapple", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, "banana", 6, SPF_FOREVER), 0);
    out = spf_proc_output(p, 1);
    err = spf_proc_output(p, 2);
    cr_expect(out.captured && err.captured);
    cr_expect_eq(out.len, 6);
    cr_expect_str_eq(out.data, "banana");
    cr_expect_str_eq(err.data, "pineapple");
    finish(p, 0);

    helper_opts(&o, av, "exit", "47", NULL);
    o.std[1].kind = o.std[2].kind = SPF_STDIO_INHERIT;
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, SPF_FOREVER), 0);
    cr_expect(!spf_proc_output(p, 1).captured);
    cr_expect(!spf_proc_output(p, 2).captured);
    finish(p, 47);
}

/* COM-05: input and stderr both far beyond a pipe's capacity. */
TEST(communicate, large_input_and_output_do_not_deadlock, .timeout = 20)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    size_t n = 4 << 20;
    char *in = malloc(n);

    for (size_t i = 0; i < n; i++)
        in[i] = (char)('a' + i % 26);
    helper_opts(&o, av, "errn", "3000000", "e", "cat", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, in, n, 15 * SEC), 0);
    cr_expect_eq(spf_proc_output(p, 1).len, n);
    cr_expect_arr_eq(spf_proc_output(p, 1).data, in, n);
    cr_expect_eq(spf_proc_output(p, 2).len, 3000000);
    free(in);
    finish(p, 0);
}

/* COM-07: the child exits without reading; EPIPE is not an error, and the
 * caller (SIGPIPE at its default) is not killed. */
TEST(communicate, epipe_on_stdin_is_ignored, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    size_t n = 1 << 20;
    char *in = calloc(1, n);

    signal(SIGPIPE, SIG_DFL);
    helper_opts(&o, av, "out", "x", "exit", "3", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, in, n, 10 * SEC), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "x");
    free(in);
    finish(p, 3);
}

/* TMO-01, TMO-02: a timeout keeps the child and what was read; a second
 * call returns everything. */
TEST(communicate, timeout_keeps_partial_output, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code;

    helper_opts(&o, av, "outn", "70000", "a", "err", "first", "sleep", "0.6",
                "out", "b", "err", "second", NULL);
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 300 * MSEC), -ETIMEDOUT);
    cr_expect_eq(spf_proc_output(p, 1).len, 70000);
    cr_expect_str_eq(spf_proc_output(p, 2).data, "first");
    cr_expect_eq(spf_proc_poll(p, &code), 0, "the child was not killed");
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 5 * SEC), 0);
    cr_expect_eq(spf_proc_output(p, 1).len, 70001);
    cr_expect_str_eq(spf_proc_output(p, 2).data, "firstsecond");
    finish(p, 0);
}

/* TMO-12: nothing read at the deadline is "not read", not empty. */
TEST(communicate, silent_child_has_nothing_read, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;

    helper_opts(&o, av, "sleep", "5", NULL);
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 100 * MSEC), -ETIMEDOUT);
    cr_expect(!spf_proc_output(p, 1).read_any);
    cr_expect(!spf_proc_output(p, 2).read_any);
    spf_proc_kill(p);
    finish(p, -9);
}

/* Section 5 item 1, decided: a second call finishes writing the input the
 * first could not and closes stdin (CPython leaves stdin open). */
TEST(communicate, resumed_call_finishes_the_input, .timeout = 20)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    size_t n = 1 << 20;
    char *in = calloc(1, n);

    helper_opts(&o, av, "sleep", "0.5", "count", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, in, n, 200 * MSEC), -ETIMEDOUT);
    cr_expect_eq(spf_proc_communicate(p, "y", 1, 1 * SEC), -EINVAL,
                 "input after starting is refused (TMO-16)");
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 10 * SEC), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "1048576\n");
    free(in);
    finish(p, 0);
}

/* gh-97000, decided: a child that exited is not a timeout because a
 * grandchild holds its stdout; the call returns at the deadline. */
TEST(communicate, exited_child_with_grandchild_is_not_a_timeout, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    double t0 = now_ms();

    helper_opts(&o, av, "out", "early", "background", "1", "exit", "0", NULL);
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 300 * MSEC), 0);
    cr_expect_lt(now_ms() - t0, 1500);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "early");
    finish(p, 0);
    /* Let the grandchild finish so no process outlives the test. */
    usleep(900 * 1000);
}

/* TMO-13: pipes at end-of-file, child still alive at the deadline.  The
 * output read stays available (section 5 item 2, decided). */
TEST(communicate, timeout_after_eof_keeps_output, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;

    helper_opts(&o, av, "out", "data", "close", "1", "close", "2", "sleep", "5",
                NULL);
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 300 * MSEC), -ETIMEDOUT);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "data");
    spf_proc_kill(p);
    finish(p, -9);
}

/* Section 5 item 4, decided: timeout 0 on a finished child returns its
 * output instead of timing out. */
TEST(communicate, zero_timeout_on_a_finished_child, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;

    helper_opts(&o, av, "out", "done", NULL);
    p = start(&o);
    cr_assert_eq(spf_proc_wait(p, 5 * SEC, NULL), 0);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 0), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "done");
    finish(p, 0);
}

/* COM-09 through a real signal: EINTR in poll is retried and the handler
 * runs; the result is unchanged. */
static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    got_usr1 = 1;
}

TEST(communicate, signals_to_the_parent_are_harmless, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    struct sigaction sa = {.sa_handler = on_usr1};
    char ppid[96];

    sigaction(SIGUSR1, &sa, NULL);
    snprintf(ppid, sizeof(ppid), "kill -USR1 %d; sleep 0.2; echo ok",
             (int)getpid());
    spf_popen_opts_init(&o);
    set_argv(&o, av, "/bin/sh", "-c", ppid, NULL);
    o.std[1].kind = SPF_STDIO_PIPE;
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 5 * SEC), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "ok\n");
    cr_expect(got_usr1);
    finish(p, 0);
}

/* Reference 5 item 14 (gh-74389): communicate after the caller closed
 * stdin works; input for it is dropped as on EPIPE, output still read. */
TEST(communicate, stdin_closed_before_works, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code = -1;

    helper_opts(&o, av, "count", "out", "done", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_expect_eq(spf_proc_close_pipe(p, 0), 0);
    cr_expect_eq(spf_proc_close_pipe(p, 0), 0, "closing twice is harmless");
    cr_expect_eq(spf_proc_pipe_fd(p, 0), -1);
    cr_expect_eq(spf_proc_communicate(p, "lost", 4, 5 * SEC), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "0\ndone");
    cr_expect_eq(spf_proc_wait(p, 0, &code), 0);
    cr_expect_eq(code, 0);
    cr_expect_eq(spf_proc_close_pipe(p, 3), -EINVAL);
    spf_proc_free(p);

    /* Only stdin, already closed: CPython's fast path, then wait. */
    helper_opts(&o, av, "count", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    o.std[1].kind = o.std[2].kind = SPF_STDIO_DEVNULL;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_expect_eq(spf_proc_close_pipe(p, 0), 0);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, SPF_FOREVER), 0);
    cr_expect_eq(spf_proc_wait(p, 0, &code), 0);
    cr_expect_eq(code, 0);
    spf_proc_free(p);
}

/* TMO-14: timeout 0 without pipes: the child is polled once. */
TEST(communicate, zero_timeout_without_pipes, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code = -1;

    helper_opts(&o, av, "sleep", "0.2", NULL);
    o.std[1].kind = o.std[2].kind = SPF_STDIO_INHERIT;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 0), -ETIMEDOUT);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 5 * SEC), 0);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 0), 0,
                 "a finished child is not a timeout");
    cr_expect_eq(spf_proc_wait(p, 0, &code), 0);
    cr_expect_eq(code, 0);
    spf_proc_free(p);
}

/* One pipe and no deadline: read without poll until end-of-file, then the
 * room kept beyond the output is given back. */
TEST(communicate, single_stream_without_deadline, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    struct spf_output out;
    size_t x = 0;

    helper_opts(&o, av, "outn", "3000000", "x", NULL);
    o.std[2].kind = SPF_STDIO_INHERIT;
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, SPF_FOREVER), 0);
    out = spf_proc_output(p, 1);
    cr_expect_eq(out.len, 3000000);
    for (size_t i = 0; i < out.len; i++)
        x += out.data[i] == 'x';
    cr_expect_eq(x, 3000000);
    cr_expect_eq(out.data[out.len], '\0');
    cr_expect_eq(p->out[1].cap, p->out[1].len, "room left: %zu of %zu",
                 p->out[1].cap, p->out[1].len);
    finish(p, 0);
}

/* Only stdin and no deadline: the input goes in blocking writes. */
TEST(communicate, single_stdin_without_deadline, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    size_t n = 4 << 20;
    char *in = calloc(1, n), text[32] = "";
    FILE *f = tmpfile();

    helper_opts(&o, av, "count", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    o.std[1] = (struct spf_stdio){SPF_STDIO_FD, fileno(f)};
    o.std[2].kind = SPF_STDIO_INHERIT;
    p = start(&o);
    cr_assert_eq(spf_proc_communicate(p, in, n, SPF_FOREVER), 0);
    finish(p, 0);
    rewind(f);
    cr_expect(fgets(text, sizeof(text), f) != NULL);
    cr_expect_str_eq(text, "4194304\n");
    fclose(f);
    free(in);
}

/* A pipe the caller made non-blocking: polled after all, never spun on. */
TEST(communicate, non_blocking_pipe_is_polled, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int fd;

    helper_opts(&o, av, "sleep", "0.2", "outn", "200000", "y", NULL);
    o.std[2].kind = SPF_STDIO_INHERIT;
    p = start(&o);
    fd = spf_proc_pipe_fd(p, 1);
    cr_assert_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, SPF_FOREVER), 0);
    cr_expect_eq(spf_proc_output(p, 1).len, 200000);
    finish(p, 0);
}
