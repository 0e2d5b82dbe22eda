/* poll, wait with deadlines, signals and reaping (sections 2.3, 3.1-3.4). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
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
