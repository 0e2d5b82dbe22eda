/* poll, wait with deadlines, signals and reaping (sections 2.3, 3.1-3.4). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static struct spf_proc *start_helper(struct spf_str *av, ...)
{
    struct spf_popen_opts o;
    struct spf_proc *p;

    helper_opts(&o, av, "sleep", "5", NULL);
    o.std[1].kind = o.std[2].kind = SPF_STDIO_INHERIT;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    return p;
}

/* TMO-03, TMO-18: a wait timeout leaves the child running. */
TEST(wait, timeout_keeps_the_child, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_proc *p = start_helper(av);
    int code;
    double t0 = now_ms();

    cr_expect_eq(spf_proc_wait(p, 100 * MSEC, &code), -ETIMEDOUT);
    cr_expect_geq(now_ms() - t0, 99);
    cr_expect_eq(spf_proc_wait(p, 0, &code), -ETIMEDOUT);
    cr_expect_eq(spf_proc_wait(p, -1 * SEC, &code), -ETIMEDOUT);
    cr_expect_eq(spf_proc_poll(p, &code), 0);
    cr_expect_eq(spf_proc_terminate(p), 0);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, -SIGTERM);
    spf_proc_free(p);
}

/* ST-15, ST-16, TMO-18: status is collected once and kept. */
TEST(wait, status_is_idempotent, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code = -1;

    helper_opts(&o, av, "exit", "300", NULL);
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_expect_eq(spf_proc_wait(p, 5 * SEC, &code), 0);
    cr_expect_eq(code, 44, "exit codes are 8-bit (ST-22)");
    code = -1;
    cr_expect_eq(spf_proc_wait(p, 0, &code), 0);
    cr_expect_eq(code, 44);
    cr_expect_eq(spf_proc_poll(p, &code), 1);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, 44);
    spf_proc_free(p);
}

/* ST-05, ST-08, ST-09: death by signal is negative. */
TEST(wait, signals_are_negative, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_proc *p = start_helper(av);
    int code;

    cr_expect_eq(spf_proc_kill(p), 0);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, -SIGKILL);
    spf_proc_free(p);
}

/* ST-10, ST-11: signalling an exited child, or one reaped behind our
 * back, sends nothing and fails nothing. */
TEST(wait, signalling_a_finished_child, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code = -1;

    helper_opts(&o, av, NULL);
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    usleep(200 * 1000);
    cr_expect_eq(spf_proc_send_signal(p, SIGTERM), 0);
    cr_expect_eq(spf_proc_kill(p), 0);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, 0, "the child exited by itself");
    spf_proc_free(p);

    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_assert_eq(waitpid(spf_proc_pid(p), NULL, 0), spf_proc_pid(p));
    cr_expect_eq(spf_proc_terminate(p), 0);
    cr_expect_eq(spf_proc_poll(p, &code), 1);
    cr_expect_eq(code, 0, "ECHILD counts as status 0 (bpo-15756)");
    spf_proc_free(p);
}

/* ST-14: with SIGCHLD ignored, wait and poll give 0. */
TEST(wait, sigchld_ignored_gives_zero, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_popen_opts o;
    struct spf_proc *p;
    int code = -1;

    signal(SIGCHLD, SIG_IGN);
    helper_opts(&o, av, "exit", "3", NULL);
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, 0);
    spf_proc_free(p);
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    usleep(100 * 1000);
    cr_expect_eq(spf_proc_poll(p, &code), 1);
    cr_expect_eq(code, 0);
    spf_proc_free(p);
    signal(SIGCHLD, SIG_DFL);
}

/* ST-17, ST-18: a released running child is reaped by a later spawn,
 * even a failing one. */
TEST(wait, released_child_is_reaped_later, .timeout = 10)
{
    struct spf_str av[32], av2[32];
    struct spf_popen_opts o;
    struct spf_proc *p = start_helper(av);
    pid_t pid = spf_proc_pid(p);

    spf_proc_free(p);
    cr_expect_eq(kill(pid, SIGKILL), 0);
    usleep(100 * 1000);
    spf_popen_opts_init(&o);
    set_argv(&o, av2, "/nonexistent", NULL);
    cr_expect_eq(spf_popen(&o, &p, NULL), -ENOENT);
    cr_expect_eq(waitpid(pid, NULL, WNOHANG), -1);
    cr_expect_eq(errno, ECHILD);
}

struct waiter {
    struct spf_proc *p;
    int r, code;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;

    w->r = spf_proc_wait(w->p, SPF_FOREVER, &w->code);
    return NULL;
}

/* TMO-09, ST-23: two threads never both reap; both see the code. */
TEST(wait, concurrent_waiters_agree, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_proc *p = start_helper(av);
    struct waiter w = {.p = p};
    pthread_t t;
    int code = 0;

    pthread_create(&t, NULL, wait_thread, &w);
    usleep(50 * 1000);
    cr_expect_eq(spf_proc_poll(p, &code), 0, "busy lock or running: None");
    cr_expect_eq(spf_proc_kill(p), 0);
    cr_expect_eq(spf_proc_wait(p, 5 * SEC, &code), 0);
    pthread_join(t, NULL);
    cr_expect_eq(w.r, 0);
    cr_expect_eq(w.code, -SIGKILL);
    cr_expect_eq(code, -SIGKILL);
    spf_proc_free(p);
}

static volatile sig_atomic_t interrupted;
static volatile pid_t stop_child; /* the handler sends it SIGTERM when set */

static void on_alarm(int sig)
{
    interrupted = 1;
    if (stop_child > 0)
        kill(stop_child, SIGTERM);
}

/* A SIGALRM after ms milliseconds, whose handler sets the flag and does
 * not ask for restarted calls. */
static void alarm_in(int ms)
{
    struct sigaction sa = {.sa_handler = on_alarm};
    struct itimerval it = {.it_value = {0, ms * 1000}};

    interrupted = 0;
    sigaction(SIGALRM, &sa, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
}

static void alarm_off(void)
{
    struct itimerval off = {{0, 0}, {0, 0}};

    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    stop_child = 0;
}

static struct spf_proc *start_interruptible(struct spf_str *av,
                                            const char *secs)
{
    struct spf_popen_opts o;
    struct spf_proc *p;

    helper_opts(&o, av, "sleep", secs, NULL);
    o.interrupt = &interrupted;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    return p;
}

/* TMO-10, TMO-11: an interrupted wait gives the child one grace wait of
 * 0.25 s, then returns -EINTR with the child untouched; a second
 * interrupted wait has no grace left. */
TEST(wait, interrupt_gives_a_bounded_grace, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_proc *p = start_interruptible(av, "5");
    double t0 = now_ms(), dt;
    int code;

    alarm_in(100);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), -EINTR);
    dt = now_ms() - t0;
    cr_expect(dt >= 340 && dt < 1000, "returned after %.0f ms", dt);
    cr_expect_eq(spf_proc_poll(p, &code), 0, "the child still runs");
    t0 = now_ms();
    cr_expect_eq(spf_proc_wait(p, 5 * SEC, &code), -EINTR);
    cr_expect_lt(now_ms() - t0, 100, "the grace is given once");
    alarm_off();
    interrupted = 0;
    cr_expect_eq(spf_proc_kill(p), 0);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, -SIGKILL);
    spf_proc_free(p);
}

/* A child that stops on the same signal is collected within the grace,
 * and the call still reports the interrupt (CPython re-raises). */
TEST(wait, interrupt_collects_a_child_that_stops, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_proc *p = start_interruptible(av, "5");
    double t0 = now_ms();
    int code;

    stop_child = spf_proc_pid(p);
    alarm_in(100);
    cr_expect_eq(spf_proc_wait(p, 3 * SEC, &code), -EINTR);
    cr_expect_lt(now_ms() - t0, 340, "the grace ends at the child's exit");
    alarm_off();
    cr_expect_eq(spf_proc_poll(p, &code), 1);
    cr_expect_eq(code, -SIGTERM);
    spf_proc_free(p);
}

/* The grace is bounded by the call's own deadline. */
TEST(wait, interrupt_grace_ends_at_the_deadline, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_proc *p = start_interruptible(av, "5");
    double t0 = now_ms(), dt;
    int code;

    alarm_in(100);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 200 * MSEC), -EINTR);
    dt = now_ms() - t0;
    cr_expect(dt >= 190 && dt < 330, "returned after %.0f ms", dt);
    alarm_off();
    interrupted = 0;
    cr_expect_eq(spf_proc_kill(p), 0);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    spf_proc_free(p);
}

/* One pipe and no deadline: communicate blocks in read(2) itself, and the
 * interrupt still ends it (after the grace), long before the child's exit. */
TEST(wait, interrupt_ends_a_blocking_single_stream_communicate, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_popen_opts o;
    struct spf_proc *p;
    double t0, dt;

    helper_opts(&o, av, "sleep", "5", NULL);
    o.std[2].kind = SPF_STDIO_INHERIT;
    o.interrupt = &interrupted;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    t0 = now_ms();
    alarm_in(100);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, SPF_FOREVER), -EINTR);
    dt = now_ms() - t0;
    cr_expect(dt < 2500, "returned after %.0f ms, not at the child's exit", dt);
    alarm_off();
    interrupted = 0;
    cr_expect_eq(spf_proc_kill(p), 0);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, NULL), 0);
    spf_proc_free(p);
}

/* Without the option, signals never interrupt a wait (PEP 475). */
TEST(wait, signals_without_the_option_are_retried, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_popen_opts o;
    struct spf_proc *p;
    int code = -1;

    helper_opts(&o, av, "sleep", "0.3", NULL);
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    alarm_in(100);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, 0);
    cr_expect(interrupted);
    alarm_off();
    spf_proc_free(p);
}

/* TMO-10, TMO-11: run() interrupted: grace, kill, no wait; the killed
 * child is released and reaped later, explicitly here. */
TEST(wait, interrupted_run_kills_and_releases, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_popen_opts o;
    struct spf_run_result r = {0};
    struct spf_spawn_error e;
    double t0 = now_ms(), dt;

    helper_opts(&o, av, "out", "x", "sleep", "5", NULL);
    o.interrupt = &interrupted;
    alarm_in(100);
    cr_assert_eq(spf_run(&o, NULL, 0, SPF_FOREVER, false, &r, &e), -EINTR);
    dt = now_ms() - t0;
    cr_expect(dt >= 340 && dt < 1000, "returned after %.0f ms", dt);
    cr_expect_eq(e.stage, SPF_STAGE_NONE);
    cr_expect_eq(e.err, EINTR);
    alarm_off();
    for (int i = 0; i < 100 && spf_proc_reap_released() > 0; i++)
        usleep(10 * 1000);
    cr_expect_eq(spf_proc_reap_released(), 0);
    cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "no child left");
}

/* ST-14, bpo-15756: with SIGCHLD ignored, a timed wait (on the pidfd)
 * and communicate also end with status 0 once the kernel reaped the
 * child. */
TEST(wait, sigchld_ignored_timed_wait_gives_zero, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_popen_opts o;
    struct spf_proc *p;
    int code = -1;

    signal(SIGCHLD, SIG_IGN);
    helper_opts(&o, av, "sleep", "0.1", "exit", "3", NULL);
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_expect_eq(spf_proc_wait(p, 5 * SEC, &code), 0);
    cr_expect_eq(code, 0);
    spf_proc_free(p);
    helper_opts(&o, av, "out", "x", "exit", "3", NULL);
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 5 * SEC), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "x");
    cr_expect_eq(spf_proc_poll(p, &code), 1);
    cr_expect_eq(code, 0);
    spf_proc_free(p);
    signal(SIGCHLD, SIG_DFL);
}

/* 3.4: spf_proc_reap_released() reaps released children on demand and
 * counts those still running. */
TEST(wait, released_children_are_reaped_on_demand, .timeout = 10)
{
    struct spf_str av[32];
    struct spf_proc *p = start_helper(av);
    pid_t pid = spf_proc_pid(p);
    size_t left = 0;

    spf_proc_free(p);
    cr_expect_geq(spf_proc_reap_released(), 1, "the child still runs");
    cr_expect_eq(kill(pid, SIGKILL), 0);
    for (int i = 0; i < 200 && (left = spf_proc_reap_released()) > 0; i++)
        usleep(10 * 1000);
    cr_expect_eq(left, 0);
    cr_expect_eq(waitpid(pid, NULL, WNOHANG), -1, "already reaped");
    cr_expect_eq(errno, ECHILD);
}
