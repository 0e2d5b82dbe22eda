/*
 * Rows of the reference catalogue (section 4) that a scenario cannot
 * express: threads, a parent with unusual fds or signal state, several
 * process objects at once, calls in a given order on one object.  Each test
 * is named by its row id and asserts the reference value (CPython 3.13.0's,
 * or the core's where docs/conformance.md lists a deliberate difference).
 *
 * Tests that change the test process's own fds, limits or signal state do
 * so in a forked copy (in_fork), which names its first failed check on
 * stderr and exits 1: Criterion's reporting is not for that copy.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* In a forked copy: a failed check names its line on stderr and exits 1. */
#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            dprintf(2, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);   \
            _exit(1);                                                          \
        }                                                                      \
    } while (0)

/* Run fn(arg) in a forked copy of the test process; it must exit 0. */
static void in_fork(void (*fn)(int), int arg)
{
    pid_t pid = fork();
    int st;

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "case %d failed with status %d (see stderr)", arg, st);
}

/* Does the space-separated fd list of the helper's "fds" name fd? */
static bool lists_fd(const char *list, int fd)
{
    char want[16];
    size_t n = (size_t)snprintf(want, sizeof(want), "%d", fd);

    for (const char *s = list; *s;) {
        size_t len = strcspn(s, " \n");

        if (len == n && !memcmp(s, want, n))
            return true;
        s += len;
        s += strspn(s, " \n");
    }
    return false;
}

/* The helper's "fds" output for the given options (stdout must be a pipe
 * or a captured fd); the caller frees it. */
static char *child_fds(const struct spf_popen_opts *o)
{
    struct spf_proc *p = start(o);
    char *s;

    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 10 * SEC), 0);
    s = strdup(spf_proc_output(p, 1).data);
    finish(p, 0);
    return s;
}

/* ---- 4.1 Spawn failures and the errpipe ---- */

/* ERR-11: a failed spawn closes each of its fds once: fds opened right
 * after it stay open through the next failing spawn. */
TEST(catalogue, err_11_failure_path_closes_no_fd_twice, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p = NULL;
    int fds[8];

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/nonexistent/err-11", NULL);
    for (int i = 0; i < 3; i++)
        o.std[i].kind = SPF_STDIO_PIPE;
    cr_assert_eq(spf_popen(&o, &p, NULL), -ENOENT);
    for (int i = 0; i < 8; i += 2)
        cr_assert_eq(pipe2(fds + i, O_CLOEXEC), 0);
    cr_expect_eq(spf_popen(&o, &p, NULL), -ENOENT);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(close(fds[i]), 0, "fd %d was closed behind our back",
                     fds[i]);
}

struct allocator {
    int fds[40];
    int n;
};

static void *allocate_pipes(void *arg)
{
    struct allocator *a = arg;

    for (a->n = 0; a->n < 40; a->n += 2) {
        if (pipe2(a->fds + a->n, O_CLOEXEC) < 0)
            break;
        usleep(1000);
    }
    return NULL;
}

/* ERR-14: exec failures while another thread creates pipes close none of
 * that thread's fds. */
TEST(catalogue, err_14_exec_failure_while_a_thread_allocates, .timeout = 20)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p = NULL;
    struct allocator a;
    pthread_t t;

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/nonexistent/err-14", NULL);
    for (int i = 0; i < 3; i++)
        o.std[i].kind = SPF_STDIO_PIPE;
    cr_assert_eq(pthread_create(&t, NULL, allocate_pipes, &a), 0);
    for (int i = 0; i < 20; i++)
        cr_expect_eq(spf_popen(&o, &p, NULL), -ENOENT);
    pthread_join(t, NULL);
    cr_expect_eq(a.n, 40);
    for (int i = 0; i < a.n; i++)
        cr_expect_eq(close(a.fds[i]), 0, "fd %d was closed behind our back",
                     a.fds[i]);
}

/* ERR-19: pass_fds is a set: order and repeats do not matter, a negative
 * fd is refused before anything is created. */
TEST(catalogue, err_19_pass_fds_validation, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_spawn_error e = {0};
    struct spf_proc *p = NULL;
    int fds[2], bad[] = {-1}, keep[3];
    char *list;

    helper_opts(&o, av, "fds", NULL);
    o.pass_fds = bad;
    o.n_pass_fds = 1;
    cr_expect_eq(spf_popen(&o, &p, &e), -EINVAL);
    cr_expect_eq(e.stage, SPF_STAGE_INVALID);
    spf_spawn_error_clear(&e);

    cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
    keep[0] = fds[1], keep[1] = fds[0], keep[2] = fds[1];
    o.pass_fds = keep;
    o.n_pass_fds = 3;
    list = child_fds(&o);
    cr_expect(lists_fd(list, fds[0]) && lists_fd(list, fds[1]), "%s", list);
    free(list);
    close(fds[0]);
    close(fds[1]);
}

/* ERR-35: the failed child is reaped before the error is returned (status
 * 255 recorded); a successful spawn reaps nothing. */
TEST(catalogue, err_35_reaped_only_on_failure, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_spawn_error e = {0};
    struct spf_proc *p = NULL;
    siginfo_t si = {0};

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/nonexistent/err-35", NULL);
    cr_assert_eq(spf_popen(&o, &p, &e), -ENOENT);
    cr_expect_eq(e.child_status, 255);
    spf_spawn_error_clear(&e);
    cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "no child is left");

    set_argv(&o, av, "/bin/true", NULL);
    p = start(&o);
    cr_assert_eq(waitid(P_PID, (id_t)spf_proc_pid(p), &si, WEXITED | WNOWAIT),
                 0);
    cr_expect_eq(si.si_pid, spf_proc_pid(p), "the child was not reaped");
    finish(p, 0);
}

/* ---- 4.2 Argument and environment validation ---- */

/* VAL-12: stdout cannot be "wherever stdout goes" (CPython 3.13: ValueError;
 * 3.10-3.12 accept it). */
TEST(catalogue, val_12_stdout_as_stdout_refused)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_spawn_error e = {0};
    struct spf_proc *p = NULL;

    helper_opts(&o, av, NULL);
    o.std[1].kind = SPF_STDIO_STDOUT;
    cr_expect_eq(spf_popen(&o, &p, &e), -EINVAL);
    cr_expect_eq(e.stage, SPF_STAGE_INVALID);
    spf_spawn_error_clear(&e);
}

/* VAL-14: run() refuses input together with a stdin of another kind. */
TEST(catalogue, val_14_run_input_with_other_stdin_refused)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r;
    struct spf_spawn_error e = {0};

    helper_opts(&o, av, NULL);
    o.std[0].kind = SPF_STDIO_DEVNULL;
    cr_expect_eq(spf_run(&o, "x", 1, SPF_FOREVER, false, &r, &e), -EINVAL);
    cr_expect_eq(e.stage, SPF_STAGE_INVALID);
    spf_spawn_error_clear(&e);
}

/* VAL-17: an empty argument list is refused before any fork. */
TEST(catalogue, val_17_empty_argv_refused)
{
    struct spf_popen_opts o;
    struct spf_spawn_error e = {0};
    struct spf_proc *p = NULL;

    spf_popen_opts_init(&o);
    cr_expect_eq(spf_popen(&o, &p, &e), -EINVAL);
    cr_expect_eq(e.stage, SPF_STAGE_INVALID);
    spf_spawn_error_clear(&e);
}

/* ---- 4.4 File-descriptor plumbing ---- */

static int open_tmp(const char *name, const char *content)
{
    char path[512];
    int fd;

    make_file(path, sizeof(path), name, content, 0600);
    fd = open(path, O_RDWR | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    return fd;
}

static char *read_back(int fd)
{
    static char buf[256];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* FD-01, FD-02, FD-03: a raw fd as stdin, stdout, stderr. */
TEST(catalogue, fd_01_02_03_raw_fds, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    int in = open_tmp("in", "pear"), out = open_tmp("out", "");
    int err = open_tmp("err", "");

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/bin/sh", "-c",
             "test \"$(cat)\" = pear && exit 1; exit 0", NULL);
    o.std[0] = (struct spf_stdio){SPF_STDIO_FD, in};
    finish(start(&o), 1);

    helper_opts(&o, av, "out", "orange", "err", "strawberry", NULL);
    o.std[1] = (struct spf_stdio){SPF_STDIO_FD, out};
    o.std[2] = (struct spf_stdio){SPF_STDIO_FD, err};
    finish(start(&o), 0);
    cr_expect_str_eq(read_back(out), "orange");
    cr_expect_str_eq(read_back(err), "strawberry");
    close(in);
    close(out);
    close(err);
}

/* FD-09: the parent has some of 0, 1, 2 closed (mask bit i: fd i closed);
 * the pipes it then makes take those numbers. */
static void closed_std_fds(int mask)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p = NULL;
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);

    for (int i = 0; i < 3; i++)
        if (mask & (1 << i))
            close(i);
    helper_opts(&o, av, "out", "apple", "err", "orange", NULL);
    o.std[0] = (struct spf_stdio){SPF_STDIO_FD, in};
    CHECK(spf_popen(&o, &p, NULL) == 0);
    CHECK(spf_proc_communicate(p, NULL, 0, 10 * SEC) == 0);
    CHECK(!strcmp(spf_proc_output(p, 1).data, "apple"));
    CHECK(!strcmp(spf_proc_output(p, 2).data, "orange"));
    spf_proc_free(p);
}

TEST(catalogue, fd_09_parent_std_fds_closed, .timeout = 20)
{
    for (int mask = 1; mask < 8; mask++)
        in_fork(closed_std_fds, mask);
}

/* FD-10, FD-11: the parent's 0, 1, 2 are three files; the child gets them
 * permuted: stdin from file a, stdout to b, stderr to c. */
static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

static void permuted_std_fds(int k)
{
    const int *f = perms[k];
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p = NULL;
    char buf[32] = "";
    int code;

    for (int i = 0; i < 3; i++) {
        char name[] = "/tmp/spf-fd11-XXXXXX";
        int fd = mkstemp(name);

        CHECK(fd >= 0 && unlink(name) == 0);
        CHECK(dup2(fd, i) == i && close(fd) == 0);
    }
    CHECK(write(f[0], "STDIN", 5) == 5 && lseek(f[0], 0, SEEK_SET) == 0);
    helper_opts(&o, av, "out", "got ", "cat", "err", "err", NULL);
    for (int i = 0; i < 3; i++)
        o.std[i] = (struct spf_stdio){SPF_STDIO_FD, f[i]};
    CHECK(spf_popen(&o, &p, NULL) == 0);
    CHECK(spf_proc_wait(p, 10 * SEC, &code) == 0 && code == 0);
    spf_proc_free(p);
    CHECK(pread(f[1], buf, sizeof(buf) - 1, 0) == 9);
    CHECK(!strcmp(buf, "got STDIN"));
    memset(buf, 0, sizeof(buf));
    CHECK(pread(f[2], buf, sizeof(buf) - 1, 0) == 3 && !strcmp(buf, "err"));
}

TEST(catalogue, fd_10_std_fds_rotated, .timeout = 10)
{
    in_fork(permuted_std_fds, 3); /* stdin=1, stdout=2, stderr=0 */
}

TEST(catalogue, fd_11_std_fds_all_permutations, .timeout = 20)
{
    for (int k = 0; k < 6; k++)
        in_fork(permuted_std_fds, k);
}

/* FD-12: two of the parent's std fds are files, the third is closed; the
 * files go to two of the child's std fds in every order, and each target
 * receives its own digit. */
static void one_std_fd_closed(int k)
{
    int closed = k / 6, src[2], dst[2], n = 0;
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p = NULL;
    char script[64], buf[8];
    int code;

    for (int i = 0; i < 3; i++)
        if (i != closed)
            src[n++] = i;
    dst[0] = perms[k % 6][0], dst[1] = perms[k % 6][1];
    for (int i = 0; i < 2; i++) {
        char name[] = "/tmp/spf-fd12-XXXXXX";
        int fd = mkstemp(name);

        CHECK(fd >= 0 && unlink(name) == 0);
        CHECK(dup2(fd, src[i]) == src[i] && close(fd) == 0);
    }
    close(closed);
    snprintf(script, sizeof(script), "printf %d >&%d; printf %d >&%d", dst[0],
             dst[0], dst[1], dst[1]);
    spf_popen_opts_init(&o);
    set_argv(&o, av, "/bin/sh", "-c", script, NULL);
    for (int i = 0; i < 2; i++)
        o.std[dst[i]] = (struct spf_stdio){SPF_STDIO_FD, src[i]};
    CHECK(spf_popen(&o, &p, NULL) == 0);
    CHECK(spf_proc_wait(p, 10 * SEC, &code) == 0 && code == 0);
    spf_proc_free(p);
    for (int i = 0; i < 2; i++) {
        memset(buf, 0, sizeof(buf));
        CHECK(pread(src[i], buf, sizeof(buf) - 1, 0) == 1);
        CHECK(buf[0] == '0' + dst[i]);
    }
}

TEST(catalogue, fd_12_permutations_with_one_std_fd_closed, .timeout = 30)
{
    for (int k = 0; k < 18; k++)
        in_fork(one_std_fd_closed, k);
}

/* FD-13: one fd (/dev/null, read-write) serves two std streams. */
TEST(catalogue, fd_13_one_fd_for_two_streams, .timeout = 10)
{
    static const int pairs[3][2] = {{0, 1}, {1, 2}, {2, 0}};
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

    cr_assert_geq(fd, 0);
    for (int i = 0; i < 3; i++) {
        struct spf_popen_opts o;
        struct spf_str av[32];

        helper_opts(&o, av, "out", "x", "err", "y", "cat", NULL);
        o.std[0].kind = o.std[1].kind = o.std[2].kind = SPF_STDIO_DEVNULL;
        o.std[pairs[i][0]] = o.std[pairs[i][1]] =
            (struct spf_stdio){SPF_STDIO_FD, fd};
        finish(start(&o), 0);
    }
    close(fd);
}

/* FD-15: fds above a lowered RLIMIT_NOFILE are closed too. */
static void above_rlimit(int unused)
{
    struct rlimit rl;
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p = NULL;
    const char *list;

    (void)unused;
    for (int fd = 30; fd <= 40; fd++)
        CHECK(dup2(2, fd) == fd); /* inheritable */
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = 29;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    helper_opts(&o, av, "fds", NULL);
    CHECK(spf_popen(&o, &p, NULL) == 0);
    CHECK(spf_proc_communicate(p, NULL, 0, 10 * SEC) == 0);
    list = spf_proc_output(p, 1).data;
    for (int fd = 3; fd <= 40; fd++)
        CHECK(!lists_fd(list, fd));
    spf_proc_free(p);
}

TEST(catalogue, fd_15_close_fds_above_lowered_rlimit, .timeout = 10)
{
    in_fork(above_rlimit, 0);
}

/* FD-16: pass_fds keeps exactly the fd listed, and overrides
 * close_fds = false. */
TEST(catalogue, fd_16_pass_fds_keeps_exactly_the_listed_fd, .timeout = 20)
{
    int fds[10];

    for (int i = 0; i < 10; i += 2)
        cr_assert_eq(pipe(fds + i), 0); /* inheritable */
    for (int k = 0; k < 10; k++) {
        struct spf_popen_opts o;
        struct spf_str av[32];
        char *list;

        helper_opts(&o, av, "fds", NULL);
        o.close_fds = false;
        o.pass_fds = fds + k;
        o.n_pass_fds = 1;
        list = child_fds(&o);
        for (int i = 0; i < 10; i++)
            cr_expect_eq(lists_fd(list, fds[i]), i == k, "fd %d in \"%s\"",
                         fds[i], list);
        free(list);
    }
    for (int i = 0; i < 10; i++)
        close(fds[i]);
}

/* FD-17: a passed close-on-exec fd reaches the child; the parent's flags
 * stay as they were. */
TEST(catalogue, fd_17_pass_fds_leaves_parent_flags, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    int inh[2], cloexec[2], keep[2];
    char *list;

    cr_assert_eq(pipe(inh), 0);
    cr_assert_eq(pipe2(cloexec, O_CLOEXEC), 0);
    keep[0] = inh[0], keep[1] = cloexec[0];
    helper_opts(&o, av, "fds", NULL);
    o.pass_fds = keep;
    o.n_pass_fds = 2;
    list = child_fds(&o);
    cr_expect(lists_fd(list, inh[0]) && lists_fd(list, cloexec[0]), "%s", list);
    free(list);
    cr_expect_eq(fcntl(inh[0], F_GETFD), 0);
    cr_expect_eq(fcntl(cloexec[0], F_GETFD), FD_CLOEXEC);
    for (int i = 0; i < 2; i++) {
        close(inh[i]);
        close(cloexec[i]);
    }
}

/* FD-18: fds that are both redirect sources and in pass_fds stay open in
 * the child under their own numbers too. */
TEST(catalogue, fd_18_redirect_sources_in_pass_fds, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int err = open("/dev/null", O_WRONLY | O_CLOEXEC), out[2], keep[3];
    char buf[256] = "";
    ssize_t n;

    cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    keep[0] = in, keep[1] = out[1], keep[2] = err;
    helper_opts(&o, av, "fds", NULL);
    o.std[0] = (struct spf_stdio){SPF_STDIO_FD, in};
    o.std[1] = (struct spf_stdio){SPF_STDIO_FD, out[1]};
    o.std[2] = (struct spf_stdio){SPF_STDIO_FD, err};
    o.pass_fds = keep;
    o.n_pass_fds = 3;
    p = start(&o);
    close(out[1]);
    finish(p, 0);
    n = read(out[0], buf, sizeof(buf) - 1);
    cr_assert_gt(n, 0);
    for (int fd = 0; fd < 64; fd++)
        cr_expect_eq(lists_fd(buf, fd),
                     fd <= 2 || fd == in || fd == out[1] || fd == err,
                     "fd %d in \"%s\"", fd, buf);
    close(in);
    close(err);
    close(out[0]);
}

/* FD-20: another process object's pipes do not leak into a second child,
 * even with close_fds = false. */
TEST(catalogue, fd_20_other_pipes_do_not_leak, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32], av2[32];
    struct spf_proc *p1;
    char *list;

    helper_opts(&o, av, "cat", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p1 = start(&o);
    helper_opts(&o, av2, "fds", NULL);
    o.close_fds = false;
    list = child_fds(&o);
    for (int i = 0; i < 3; i++)
        cr_expect(!lists_fd(list, spf_proc_pipe_fd(p1, i)), "fd %d in %s",
                  spf_proc_pipe_fd(p1, i), list);
    free(list);
    cr_expect_eq(spf_proc_communicate(p1, NULL, 0, 10 * SEC), 0);
    finish(p1, 0);
}

/* FD-21: a two-stage pipeline ends: the second child does not hold the
 * first one's stdin open (close_fds = false). */
TEST(catalogue, fd_21_two_stage_pipeline_terminates, .timeout = 20)
{
    struct spf_popen_opts o;
    struct spf_str av[32], av2[32];
    struct spf_proc *p1, *p2;
    int q[2];

    cr_assert_eq(pipe2(q, O_CLOEXEC), 0);
    helper_opts(&o, av, "cat", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    o.std[1] = (struct spf_stdio){SPF_STDIO_FD, q[1]};
    o.std[2].kind = SPF_STDIO_INHERIT;
    o.close_fds = false;
    p1 = start(&o);
    helper_opts(&o, av2, "cat", NULL);
    o.std[0] = (struct spf_stdio){SPF_STDIO_FD, q[0]};
    o.close_fds = false;
    p2 = start(&o);
    close(q[0]);
    close(q[1]);
    cr_expect_eq(spf_proc_communicate(p1, "lime\n", 5, 10 * SEC), 0);
    cr_expect_eq(spf_proc_communicate(p2, NULL, 0, 10 * SEC), 0);
    cr_expect_str_eq(spf_proc_output(p2, 1).data, "lime\n");
    finish(p1, 0);
    finish(p2, 0);
}

/* FD-23: spawns with three pipes work with ten fds left under the limit. */
static void near_emfile(int unused)
{
    struct rlimit rl;
    int last = -1;

    (void)unused;
    /* The soft limit only: valgrind refuses to change the hard one. */
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = 64;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
        last = fd;
    CHECK(errno == EMFILE && last >= 10);
    for (int i = 0; i < 10; i++)
        close(last - i);
    for (int i = 0; i < 15; i++) {
        struct spf_popen_opts o;
        struct spf_str av[32];
        struct spf_proc *p = NULL;

        helper_opts(&o, av, "cat", NULL);
        o.std[0].kind = SPF_STDIO_PIPE;
        CHECK(spf_popen(&o, &p, NULL) == 0);
        CHECK(spf_proc_communicate(p, "lime", 4, 10 * SEC) == 0);
        CHECK(!strcmp(spf_proc_output(p, 1).data, "lime"));
        spf_proc_free(p);
    }
}

TEST(catalogue, fd_23_spawns_near_the_fd_limit, .timeout = 20)
{
    in_fork(near_emfile, 0);
}

/* FD-24: communicate() closes every pipe the parent holds, in each of the
 * seven combinations. */
TEST(catalogue, fd_24_communicate_closes_the_pipes, .timeout = 20)
{
    for (int mask = 1; mask < 8; mask++) {
        struct spf_popen_opts o;
        struct spf_str av[32];
        struct spf_proc *p;

        helper_opts(&o, av, "cat", NULL);
        for (int i = 0; i < 3; i++)
            o.std[i].kind =
                mask & (1 << i) ? SPF_STDIO_PIPE : SPF_STDIO_DEVNULL;
        p = start(&o);
        cr_expect_eq(spf_proc_communicate(p, NULL, 0, 10 * SEC), 0);
        for (int i = 0; i < 3; i++)
            cr_expect_eq(spf_proc_pipe_fd(p, i), -1, "mask %d stream %d", mask,
                         i);
        finish(p, 0);
    }
}

/* ---- 4.5 Child environment set-up ---- */

/* SET-12: ignored signals other than SIGPIPE and SIGXFSZ stay ignored;
 * the blocked mask is inherited. */
static void ignored_and_blocked(int unused)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p = NULL;
    unsigned long long ign, blk;
    sigset_t set;

    (void)unused;
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    helper_opts(&o, av, "sigign", "sigblk", NULL);
    CHECK(spf_popen(&o, &p, NULL) == 0);
    CHECK(spf_proc_communicate(p, NULL, 0, 10 * SEC) == 0);
    CHECK(sscanf(spf_proc_output(p, 1).data, "%llx %llx", &ign, &blk) == 2);
    CHECK(ign & (1ULL << (SIGINT - 1)));
    CHECK(!(ign & (1ULL << (SIGPIPE - 1))));
    CHECK(blk & (1ULL << (SIGUSR1 - 1)));
    spf_proc_free(p);
}

TEST(catalogue, set_12_ignored_and_blocked_signals_kept, .timeout = 10)
{
    in_fork(ignored_and_blocked, 0);
}

/* ---- 4.6 communicate() ---- */

/* COM-06: what the caller wrote to stdin before communicate() comes
 * first. */
TEST(catalogue, com_06_written_before_communicate_comes_first, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;

    helper_opts(&o, av, "cat", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p = start(&o);
    cr_assert_eq(write(spf_proc_pipe_fd(p, 0), "banana", 6), 6);
    cr_expect_eq(spf_proc_communicate(p, "split", 5, 10 * SEC), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "bananasplit");
    cr_expect_eq(spf_proc_output(p, 2).len, 0);
    finish(p, 0);
}

/* COM-08: input for a child already reaped: EPIPE is swallowed. */
TEST(catalogue, com_08_input_after_the_child_was_reaped, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    size_t len = 1 << 20;
    char *input = calloc(1, len);
    int code;

    helper_opts(&o, av, NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    o.std[1].kind = o.std[2].kind = SPF_STDIO_INHERIT;
    p = start(&o);
    cr_expect_eq(spf_proc_wait(p, 10 * SEC, &code), 0);
    cr_expect_eq(spf_proc_communicate(p, input, len, SPF_FOREVER), 0);
    finish(p, 0);
    free(input);
}

/* COM-19: input is ignored when stdin is not a pipe. */
TEST(catalogue, com_19_input_without_a_stdin_pipe_is_ignored, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;

    helper_opts(&o, av, "out", "pineapple", "err", "pear", NULL);
    p = start(&o);
    cr_expect_eq(spf_proc_communicate(p, "banana", 6, SPF_FOREVER), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "pineapple");
    cr_expect_str_eq(spf_proc_output(p, 2).data, "pear");
    finish(p, 0);
}

/* ---- 4.7 Timeouts and interruption ---- */

struct racer {
    struct spf_proc *p;
    int poll_r, kill_r, w1, w2, c1, c2;
};

static void *poll_kill_wait(void *arg)
{
    struct racer *r = arg;
    int code = INT32_MIN;

    r->poll_r = spf_proc_poll(r->p, &code);
    r->kill_r = spf_proc_kill(r->p);
    r->w1 = spf_proc_wait(r->p, SPF_FOREVER, &r->c1);
    r->w2 = spf_proc_wait(r->p, SPF_FOREVER, &r->c2);
    return NULL;
}

/* TMO-09: wait(timeout) in one thread while another polls, kills and waits
 * twice: both see -SIGKILL, the extra waits change nothing. */
TEST(catalogue, tmo_09_wait_is_thread_safe, .timeout = 20)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct racer r = {0};
    pthread_t t;
    int code = INT32_MIN;

    helper_opts(&o, av, "sleep", "5", NULL);
    r.p = start(&o);
    cr_assert_eq(pthread_create(&t, NULL, poll_kill_wait, &r), 0);
    cr_expect_eq(spf_proc_wait(r.p, 10 * SEC, &code), 0);
    pthread_join(t, NULL);
    cr_expect_eq(code, -SIGKILL);
    cr_expect_eq(r.poll_r, 0, "the thread's poll saw a running child");
    cr_expect_eq(r.kill_r, 0);
    cr_expect(r.w1 == 0 && r.c1 == -SIGKILL);
    cr_expect(r.w2 == 0 && r.c2 == -SIGKILL);
    finish(r.p, -SIGKILL);
}

static pthread_t main_thread;
static volatile sig_atomic_t interrupted;

/* The C form of KeyboardInterrupt: the handler sets the core's flag. */
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void *interrupt_later(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    pthread_kill(main_thread, SIGINT);
    return NULL;
}

/* An interrupt 0.3 s into the call: the handler has no SA_RESTART. */
static pthread_t interrupt_soon(void)
{
    struct sigaction sa = {.sa_handler = on_sigint};
    pthread_t t;

    sigaction(SIGINT, &sa, NULL);
    interrupted = 0;
    main_thread = pthread_self();
    cr_assert_eq(pthread_create(&t, NULL, interrupt_later, NULL), 0);
    return t;
}

/* TMO-10, TMO-11: an interrupted wait gives the child one grace wait of
 * 0.25 s, then returns -EINTR; the child is not killed by wait. */
TEST(catalogue, tmo_10_11_interrupted_wait_has_a_short_grace, .timeout = 20)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    pthread_t t;
    int code;
    double t0;

    helper_opts(&o, av, "sleep", "3", NULL);
    o.interrupt = &interrupted;
    p = start(&o);
    t0 = now_ms();
    t = interrupt_soon();
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), -EINTR);
    cr_expect_geq(now_ms() - t0, 500);
    cr_expect_leq(now_ms() - t0, 1500);
    pthread_join(t, NULL);
    cr_expect_eq(spf_proc_poll(p, &code), 0, "wait does not kill");
    cr_expect_eq(spf_proc_kill(p), 0);
    interrupted = 0; /* the caller's flag: the core never clears it */
    finish(p, -SIGKILL);
}

/* TMO-11: run() interrupted: the grace wait, then the child is killed
 * and released, reaped by the next spf_proc_reap_released(). */
TEST(catalogue, tmo_11_interrupted_run_kills_after_the_grace, .timeout = 20)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r = {0};
    struct spf_spawn_error e = {0};
    pthread_t t;
    double t0;

    helper_opts(&o, av, "sleep", "3", NULL);
    o.interrupt = &interrupted;
    t0 = now_ms();
    t = interrupt_soon();
    cr_expect_eq(spf_run(&o, NULL, 0, SPF_FOREVER, false, &r, &e), -EINTR);
    cr_expect_geq(now_ms() - t0, 500);
    cr_expect_leq(now_ms() - t0, 1500);
    pthread_join(t, NULL);
    for (int i = 0; i < 200 && spf_proc_reap_released() > 0; i++)
        usleep(10 * 1000);
    cr_expect_eq(spf_proc_reap_released(), 0, "the killed child is reaped");
    cr_expect_eq(e.child_status, INT_MIN,
                 "released unreaped: no returncode, as CPython's None");
    spf_run_result_clear(&r);
    spf_spawn_error_clear(&e);
}

/* A timeout while the caller's interrupt flag happens to be set: the kill
 * is still followed by a real wait, so the returncode is the kill's. */
TEST(catalogue, tmo_timeout_with_the_flag_set_collects_the_kill,
     .timeout = 20)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_run_result r = {0};
    struct spf_spawn_error e = {0};

    helper_opts(&o, av, "sleep", "3", NULL);
    o.interrupt = &interrupted;
    interrupted = 1;
    cr_expect_eq(spf_run(&o, NULL, 0, 200 * MSEC, false, &r, &e), -ETIMEDOUT);
    cr_expect(r.timed_out);
    cr_expect_eq(r.returncode, -SIGKILL);
    interrupted = 0;
    spf_run_result_clear(&r);
    spf_spawn_error_clear(&e);
}

/* TMO-14: communicate(timeout 0) on a finished child.  Deliberate
 * difference (docs/conformance.md, section 5 item 4): CPython always times
 * out with pipes; the core returns the output.  Without pipes both return
 * at once. */
TEST(catalogue, tmo_14_zero_timeout_on_a_finished_child, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    siginfo_t si;

    helper_opts(&o, av, "out", "done", NULL);
    p = start(&o);
    cr_assert_eq(waitid(P_PID, (id_t)spf_proc_pid(p), &si, WEXITED | WNOWAIT),
                 0);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 0), 0);
    cr_expect_str_eq(spf_proc_output(p, 1).data, "done");
    finish(p, 0);

    helper_opts(&o, av, NULL);
    o.std[1].kind = o.std[2].kind = SPF_STDIO_INHERIT;
    p = start(&o);
    cr_assert_eq(waitid(P_PID, (id_t)spf_proc_pid(p), &si, WEXITED | WNOWAIT),
                 0);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 0), 0);
    cr_expect(!spf_proc_output(p, 1).captured);
    finish(p, 0);
}

/* TMO-16: input after a timeout is refused ("Cannot send input after
 * starting communication"). */
TEST(catalogue, tmo_16_input_after_a_timeout_is_refused, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;

    helper_opts(&o, av, "sleep", "5", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p = start(&o);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 50 * MSEC), -ETIMEDOUT);
    cr_expect_eq(spf_proc_communicate(p, "y", 1, 50 * MSEC), -EINVAL);
    cr_expect_eq(spf_proc_kill(p), 0);
    finish(p, -SIGKILL);
}

/* TMO-17: wait(timeout) returns soon after the child exits.  Deliberate
 * difference: the core sleeps on a pidfd instead of CPython's 1 to 50 ms
 * back-off; both return well within the bound. */
TEST(catalogue, tmo_17_wait_returns_when_the_child_exits, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code;
    double t0;

    helper_opts(&o, av, "sleep", "0.2", NULL);
    p = start(&o);
    t0 = now_ms();
    cr_expect_eq(spf_proc_wait(p, 5 * SEC, &code), 0);
    cr_expect_eq(code, 0);
    cr_expect_geq(now_ms() - t0, 150);
    cr_expect_leq(now_ms() - t0, 1500);
    spf_proc_free(p);
}

/* ---- 4.8 Exit status, signals, reaping ---- */

/* ST-07: SIGINT to a child with default handling. */
TEST(catalogue, st_07_send_signal_sigint, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;

    helper_opts(&o, av, "out", "x", "sleep", "5", NULL);
    o.std[1].kind = SPF_STDIO_DEVNULL;
    p = start(&o);
    usleep(100 * 1000);
    cr_expect_eq(spf_proc_send_signal(p, SIGINT), 0);
    finish(p, -SIGINT);
}

/* ST-10: signalling an exited child that nobody has reaped sends nothing
 * and fails nothing; its exit status is kept. */
TEST(catalogue, st_10_signal_exited_unreaped, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    siginfo_t si;

    helper_opts(&o, av, "exit", "0", NULL);
    p = start(&o);
    cr_assert_eq(waitid(P_PID, (id_t)spf_proc_pid(p), &si, WEXITED | WNOWAIT),
                 0);
    cr_expect_eq(spf_proc_send_signal(p, SIGINT), 0);
    cr_expect_eq(spf_proc_kill(p), 0);
    cr_expect_eq(spf_proc_terminate(p), 0);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 10 * SEC), 0);
    finish(p, 0);
}

/* ST-11: a child reaped behind the object's back: send_signal finds it
 * finished (ECHILD counts as 0) and signals nothing. */
TEST(catalogue, st_11_signal_child_reaped_elsewhere, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code = INT32_MIN;

    helper_opts(&o, av, "exit", "3", NULL);
    p = start(&o);
    cr_assert_eq(waitpid(spf_proc_pid(p), NULL, 0), spf_proc_pid(p));
    cr_expect_eq(spf_proc_send_signal(p, SIGTERM), 0);
    cr_expect_eq(spf_proc_poll(p, &code), 1, "the code is known now");
    cr_expect_eq(code, 0);
    spf_proc_free(p);
}

/* ST-13: a stopped status decodes as -stopsig. */
TEST(catalogue, st_13_stopped_status_decoding)
{
    cr_expect_eq(spf_status_decode(W_STOPCODE(3)), -3);
}

/* ST-14: with SIGCHLD ignored the kernel reaps the child itself: wait and
 * poll give 0 (ECHILD counts as status 0, bpo-15756). */
static void sigchld_ignored(int unused)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p = NULL;
    int code = INT32_MIN;

    (void)unused;
    signal(SIGCHLD, SIG_IGN);
    helper_opts(&o, av, "exit", "3", NULL);
    CHECK(spf_popen(&o, &p, NULL) == 0);
    CHECK(spf_proc_wait(p, 10 * SEC, &code) == 0 && code == 0);
    spf_proc_free(p);
    CHECK(spf_popen(&o, &p, NULL) == 0);
    usleep(200 * 1000);
    CHECK(spf_proc_poll(p, &code) == 1 && code == 0);
    spf_proc_free(p);
}

TEST(catalogue, st_14_sigchld_ignored_gives_zero, .timeout = 10)
{
    in_fork(sigchld_ignored, 0);
}

/* ST-15: poll says running until the child has its byte, then 0, again
 * and again. */
TEST(catalogue, st_15_poll_before_and_after_exit, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code = INT32_MIN;

    helper_opts(&o, av, "readn", "1", NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p = start(&o);
    cr_expect_eq(spf_proc_poll(p, &code), 0);
    cr_assert_eq(write(spf_proc_pipe_fd(p, 0), "x", 1), 1);
    cr_expect_eq(spf_proc_wait(p, 10 * SEC, &code), 0);
    for (int i = 0; i < 2; i++) {
        code = INT32_MIN;
        cr_expect_eq(spf_proc_poll(p, &code), 1);
        cr_expect_eq(code, 0);
    }
    spf_proc_free(p);
}

/* ST-16: wait twice gives 0 twice. */
TEST(catalogue, st_16_wait_is_idempotent, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int code = INT32_MIN;

    helper_opts(&o, av, NULL);
    p = start(&o);
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, 0);
    code = INT32_MIN;
    cr_expect_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    cr_expect_eq(code, 0);
    spf_proc_free(p);
}

/* ST-17: releasing the object of a running child neither kills it nor
 * leaves it a zombie: a later spawn reaps it once it has exited. */
TEST(catalogue, st_17_released_running_child_is_kept, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    pid_t pid;

    helper_opts(&o, av, "sleep", "0.2", NULL);
    o.std[1].kind = o.std[2].kind = SPF_STDIO_INHERIT;
    p = start(&o);
    pid = spf_proc_pid(p);
    spf_proc_free(p);
    cr_expect_eq(kill(pid, 0), 0, "the child still runs");
    usleep(500 * 1000);
    spf_popen_opts_init(&o);
    set_argv(&o, av, "/bin/true", NULL);
    finish(start(&o), 0);
    cr_expect_eq(waitpid(pid, NULL, WNOHANG), -1);
    cr_expect_eq(errno, ECHILD, "reaped by the later spawn");
}

/* ST-18: a released child killed from outside is reaped by the next spawn,
 * even one whose exec fails. */
TEST(catalogue, st_18_killed_released_child_reaped_by_next_spawn, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    pid_t pid;

    helper_opts(&o, av, "sleep", "5", NULL);
    o.std[1].kind = o.std[2].kind = SPF_STDIO_INHERIT;
    p = start(&o);
    pid = spf_proc_pid(p);
    spf_proc_free(p);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    usleep(100 * 1000);
    spf_popen_opts_init(&o);
    set_argv(&o, av, "/nonexistent/st-18", NULL);
    cr_expect_eq(spf_popen(&o, &p, NULL), -ENOENT);
    cr_expect_eq(waitpid(pid, NULL, WNOHANG), -1);
    cr_expect_eq(errno, ECHILD);
}

/* ST-20: releasing the object closes its pipes. */
TEST(catalogue, st_20_release_closes_the_pipes, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int fds[3], code;

    helper_opts(&o, av, NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    p = start(&o);
    for (int i = 0; i < 3; i++)
        fds[i] = spf_proc_pipe_fd(p, i);
    cr_expect_eq(spf_proc_wait(p, 10 * SEC, &code), 0);
    spf_proc_free(p);
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(fcntl(fds[i], F_GETFD), -1);
        cr_expect_eq(errno, EBADF);
    }
}

static void *wait_forever(void *arg)
{
    struct racer *r = arg;

    r->w1 = spf_proc_wait(r->p, SPF_FOREVER, &r->c1);
    return NULL;
}

/* ST-23: poll while another thread sits in wait: "running" or the code,
 * never an error; the waiting thread gets the code. */
TEST(catalogue, st_23_poll_while_another_thread_waits, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct racer r = {0};
    pthread_t t;
    int code = INT32_MIN, got;

    helper_opts(&o, av, "sleep", "0.2", NULL);
    r.p = start(&o);
    cr_assert_eq(pthread_create(&t, NULL, wait_forever, &r), 0);
    usleep(400 * 1000);
    got = spf_proc_poll(r.p, &code);
    cr_expect(got == 0 || (got == 1 && code == 0), "poll gave %d", got);
    pthread_join(t, NULL);
    cr_expect(r.w1 == 0 && r.c1 == 0);
    finish(r.p, 0);
}
