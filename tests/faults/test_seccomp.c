/*
 * Tests of faults/seccomp.c: seccomp-target runs under spf_seccomp_run()
 * with a plan; it writes what its calls returned to an inherited memfd,
 * and every fired fault lands in a shared log.  Each test compares both
 * with what the plan implies.  The target is built dynamic, static with
 * glibc and static with musl: the preload sees none of the calls these
 * tests fault (libc's own, or a static program's).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <spawnfault/faults.h>
#include <spawnfault/seccomp.h>

#include "../common/leakcheck.h"

#define LOG_CAPACITY (1024 * 1024)

extern char **environ;

struct run {
    int rc;         /* spf_seccomp_run's */
    int status;     /* the target's wait status */
    char out[8192]; /* what it wrote to its OUTFD */
    char *log;      /* the log's records, malloc'd */
    uint64_t counts[SPF_CALL__COUNT][SPF_FAULT_SCOPES];
};

static const char *target(const char *var)
{
    const char *p = getenv(var);

    if (p == NULL)
        cr_skip_test("%s is unset: run through meson test", var);
    if (*p == '\0')
        cr_skip_test("%s is empty: that target could not be built here "
                     "(see tests/faults/meson.build)",
                     var);
    return p;
}

/* The plans here are all for this backend: every rule is made a
 * seccomp rule, as if each ended in "!seccomp". */
static void parse_plan(const char *text, struct spf_fault_plan *plan)
{
    char err[256];

    cr_assert_eq(
        spf_fault_plan_parse(text, strlen(text), plan, err, sizeof(err)), 0,
        "plan %s: %s", text, err);
    for (size_t i = 0; i < plan->n_rules; i++)
        plan->rules[i].backend = SPF_BACKEND_SECCOMP;
}

/* Clearly a skip, never a silent pass, when the kernel (or a sandbox's
 * own filter) refuses user notification. */
static void skip_if_refused(int rc)
{
    bool valgrind = getenv("SPF_UNDER_VALGRIND") != NULL;

    if (rc == -EOPNOTSUPP || rc == -ENOSYS || rc == -EACCES)
        cr_skip_test("seccomp user notification is refused here (%s%s): "
                     "the seccomp backend cannot be tested",
                     strerror(-rc),
                     valgrind ? "; valgrind implements no seccomp(2)" : "");
}

static void slurp(int fd, char *buf, size_t cap)
{
    ssize_t n = pread(fd, buf, cap - 1, 0);

    cr_assert_geq(n, 0, "reading back: %s", strerror(errno));
    buf[n] = '\0';
}

/* An fd the target inherits: the one place a test wants no close-on-exec;
 * it is closed again before the test ends. */
static int inheritable(int fd)
{
    cr_assert_eq(fcntl(fd, F_SETFD, 0), 0);
    return fd;
}

/* Runs the target with args after OUTFD, under the plan. */
static void run(struct run *r, const char *exe, const char *plan_text,
                const char *a1, const char *a2, const char *a3)
{
    struct spf_fault_plan plan;
    uint64_t dropped, torn;
    char outfd[16];
    int out = memfd_create("spf-test-out", MFD_CLOEXEC);
    int log = spf_fault_log_create(LOG_CAPACITY);
    char *argv[] = {(char *)exe, outfd,      (char *)a1,
                    (char *)a2,  (char *)a3, NULL};

    cr_assert_geq(out, 0);
    cr_assert_geq(log, 0);
    parse_plan(plan_text, &plan);
    snprintf(outfd, sizeof(outfd), "%d", inheritable(out));
    r->rc = spf_seccomp_run(&plan, argv, environ, log, &r->status);
    if (r->rc < 0) {
        close(out);
        close(log);
        skip_if_refused(r->rc);
        cr_assert_fail("spf_seccomp_run: %s", strerror(-r->rc));
    }
    slurp(out, r->out, sizeof(r->out));
    cr_assert_eq(spf_fault_log_read(log, &r->log, &dropped, &torn), 0);
    cr_assert_eq(spf_fault_log_counts(log, r->counts), 0);
    cr_assert_eq(dropped + torn, 0);
    close(out);
    close(log);
}

static void assert_exited(const struct run *r, int code)
{
    cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == code,
              "target status 0x%x, expected exit %d; it wrote: %s", r->status,
              code, r->out);
}

static size_t count_lines(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

TEST(seccomp, prepare_builds_a_filter, .timeout = 30)
{
    struct spf_fault_plan plan;
    struct spf_seccomp *ctx;
    int rc;

    parse_plan("read=EIO", &plan);
    rc = spf_seccomp_prepare(&plan, &ctx);
    skip_if_refused(rc);
    cr_assert_eq(rc, 0, "prepare: %s", strerror(-rc));
    spf_seccomp_free(ctx);
}

/* A static glibc program: no preload can enter it. */
TEST(seccomp, static_exec_fails_with_enoent, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "execve@parent#1=ENOENT", "exec",
        "/bin/true", NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "exec errno=2\n");
    cr_assert_eq(count_lines(r.log, "\n"), 1, "log: %s", r.log);
    cr_assert(strstr(r.log, " scope=parent call=spawn/exec n=1 action=errno "
                            "errno=ENOENT\n"),
              "log: %s", r.log);
    cr_assert_eq(r.counts[SPF_CALL_EXECVE][0], 1);
    free(r.log);
}

/* The launched program's own exec is the launcher's: never counted, never
 * faulted, whatever the rule's scope. */
TEST(seccomp, own_exec_never_faulted, .timeout = 30)
{
    struct run r;
    char expect[64];

    run(&r, target("SPF_TEST_SECCOMP_STATIC"),
        "execve@parent+child+exec#*=EACCES", "hello", NULL, NULL);
    assert_exited(&r, 0);
    cr_assert(strncmp(r.out, "hello ", 6) == 0, "it wrote: %s", r.out);
    cr_assert_str_eq(r.log, "");
    free(r.log);
    /* The program's first exec of its own is its call number 1. */
    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "execve@parent#1=EACCES", "exec",
        "/bin/true", NULL);
    cr_assert_str_eq(r.out, "exec errno=13\n");
    snprintf(expect, sizeof(expect), "call=spawn/exec n=1 ");
    cr_assert(strstr(r.log, expect), "log: %s", r.log);
    free(r.log);
}

/* glibc's posix_spawn makes its child with clone3(CLONE_VM | CLONE_VFORK)
 * inside libc: the vfork point.  Its error is posix_spawn's result. */
TEST(seccomp, posix_spawn_clone_fails, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_TARGET"), "vfork@parent#1=EAGAIN", "spawn",
        "/bin/true", NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "spawn=11 status=-1\n");
    cr_assert(strstr(r.log,
                     "scope=parent call=spawn/fork/vfork n=1 action=errno "
                     "errno=EAGAIN\n"),
              "log: %s", r.log);
    free(r.log);
}

/* system()'s child execs /bin/sh before it is anything else: scope child.
 * The shell cannot start, and system reports exit status 127. */
TEST(seccomp, system_exec_in_child_fails, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_TARGET"), "execve@child#1=ENOENT",
        "system", "exit 3", NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "system=32512\n", "127 << 8 expected");
    cr_assert(strstr(r.log, "scope=child call=spawn/exec n=1 action=errno "
                            "errno=ENOENT\n"),
              "log: %s", r.log);
    free(r.log);
    /* Unfaulted, the shell runs and its status comes back. */
    run(&r, target("SPF_TEST_SECCOMP_TARGET"), "execve@child#2=ENOENT",
        "system", "exit 3", NULL);
    cr_assert_str_eq(r.out, "system=768\n");
    cr_assert_str_eq(r.log, "");
    free(r.log);
}

/* Two forked children, one after the other, three pipe2 calls each: per
 * process, each child's second call fails; tree-wide, only the second call
 * of the whole tree does. */
TEST(seccomp, counts_per_process_or_tree, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@child#2=EMFILE", "pipes",
        "2", "3");
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "child 0: 0 24 0\nchild 1: 0 24 0\n");
    cr_assert_eq(r.counts[SPF_CALL_PIPE2][1], 2);
    free(r.log);

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@child#tree:2,5=EMFILE",
        "pipes", "2", "3");
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "child 0: 0 24 0\nchild 1: 0 24 0\n",
                     "tree calls 2 and 5 are each child's second");
    free(r.log);
    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@child#tree:2..3=EMFILE",
        "pipes", "2", "3");
    cr_assert_str_eq(r.out, "child 0: 0 24 24\nchild 1: 0 0 0\n");
    cr_assert(strstr(r.log, "call=fd/pipe n=3 "), "log: %s", r.log);
    free(r.log);
}

/* Making a thread is no fork: it is neither counted nor faulted.  Thread
 * counting gives each thread its own numbers; process counting, one per
 * process. */
TEST(seccomp, threads_count_apart, .timeout = 30)
{
    const char *plan = "pipe2@parent#2=EMFILE;fork@parent#1=EAGAIN";
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), plan, "threads", NULL, NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "thread 0: 0 24\nthread 1: 0 0\nfork=11\n");
    free(r.log);
    run(&r, target("SPF_TEST_SECCOMP_STATIC"),
        "pipe2@parent#thread:2=EMFILE;fork@parent#1=EAGAIN", "threads", NULL,
        NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "thread 0: 0 24\nthread 1: 0 24\nfork=11\n");
    free(r.log);
}

/* The parent is never a child: a child-scope rule leaves its calls. */
TEST(seccomp, parent_scope_is_the_launched_program, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@parent#*=EMFILE", "pipes",
        "1", "2");
    cr_assert_str_eq(r.out, "child 0: 0 0\n");
    cr_assert_str_eq(r.log, "");
    free(r.log);
}

/*
 * The test's files are memfds the target inherits, named by a path that
 * opens them afresh (/proc/self/fd/N, here and in the target alike): a
 * test that fails leaves nothing in /tmp.  Returns the fd; path gets its
 * name.
 */
static int memfile(char path[32])
{
    int fd = memfd_create("spf-seccomp-test", 0);

    cr_assert_geq(fd, 0, "memfd_create: %s", strerror(errno));
    snprintf(path, 32, "/proc/self/fd/%d", fd);
    return fd;
}

static int make_input(char path[32], size_t len)
{
    int fd = memfile(path);
    char *data = malloc(len);

    cr_assert_not_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)('a' + (i * 7 + i / 251) % 26);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    free(data);
    return fd;
}

static void assert_same_file(const char *path, int fd, size_t len)
{
    char *want = malloc(len), *got = malloc(len + 1);
    int in = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    cr_assert(want && got && in >= 0);
    cr_assert_eq(read(in, want, len), (ssize_t)len);
    n = read(fd, got, len + 1);
    cr_assert_eq(n, (ssize_t)len, "got %zd of %zu bytes", n, len);
    cr_assert(memcmp(want, got, len) == 0, "the bytes differ");
    close(in);
    free(want);
    free(got);
}

/* Short writes through a pipe (the supervisor writes without waiting,
 * when the pipe is ready), and short reads from a file: every byte
 * arrives, in order, in as many calls as the cap implies. */
TEST(seccomp, short_transfers_deliver_every_byte, .timeout = 60)
{
    char in[32], fdname[16], expect[64];
    int pipefd[2];
    struct run r;
    size_t len = 20000;
    int in_fd = make_input(in, len);

    cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
    snprintf(fdname, sizeof(fdname), "%d", inheritable(pipefd[1]));
    run(&r, target("SPF_TEST_SECCOMP_STATIC"),
        "read@parent#*=short:3000;write@parent#*=short:1000", "copy", in,
        fdname);
    close(pipefd[1]);
    assert_exited(&r, 0);
    /* 6 reads of 3000, one of 2000, then the 0 at EOF (a short read of at
     * most 3000 bytes too); each piece written 1000 bytes at a time. */
    snprintf(expect, sizeof(expect), "reads=7 writes=20\n");
    cr_assert_str_eq(r.out, expect);
    assert_same_file(in, pipefd[0], len);
    /* And the line the target writes to OUTFD, shorter than 1000. */
    cr_assert_eq(r.counts[SPF_CALL_WRITE][0], 21);
    cr_assert_eq(r.counts[SPF_CALL_READ][0], 8);
    cr_assert(
        strstr(r.log, "call=io/write n=1 action=short want=3000 got=1000"),
        "log: %s", r.log);
    cr_assert(strstr(r.log, "call=io/read n=8 action=short want=8192 got=0"),
              "log: %s", r.log);
    close(pipefd[0]);
    close(in_fd);
    free(r.log);
}

/* Short writes into a pipe its reader leaves full for 100 ms: the
 * supervisor waits for room (answering other calls meanwhile) and every
 * byte arrives in order.  sum is 0 when each byte matched its pattern. */
TEST(seccomp, short_writes_wait_for_a_full_pipe, .timeout = 60)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "write@parent#*=short:20000",
        "flow", "300000", NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "got=300000 sum=0\nsent=300000\n");
    cr_assert_geq(r.counts[SPF_CALL_WRITE][0], 300000 / 20000 + 1);
    free(r.log);
}

/* /bin/cat, exec'd by a shell: its own (libc's) writes, shortened, into a
 * pipe to a second cat and from it to a file.  (Between two regular files
 * cat copies with copy_file_range, which writes nothing.)  The first cat
 * needs one write per 7 bytes; the second, at least as many. */
TEST(seccomp, short_writes_of_cat, .timeout = 60)
{
    char in[32], outp[32], cmd[160];
    struct run r;
    size_t len = 10000;
    int fd = memfile(outp), in_fd = make_input(in, len);

    snprintf(cmd, sizeof(cmd), "/bin/cat %s | /bin/cat > %s", in, outp);
    run(&r, target("SPF_TEST_SECCOMP_TARGET"), "write@exec#*=short:7", "system",
        cmd, NULL);
    cr_assert_str_eq(r.out, "system=0\n");
    cr_assert_geq(r.counts[SPF_CALL_WRITE][2], 2 * ((len + 6) / 7));
    cr_assert_eq(r.counts[SPF_CALL_WRITE][0] + r.counts[SPF_CALL_WRITE][1], 0);
    assert_same_file(in, fd, len);
    close(fd);
    close(in_fd);
    free(r.log);
}

/* A delayed poll takes the delay; meanwhile the child's ten polls, also
 * notified, are answered at once. */
TEST(seccomp, delay_blocks_only_its_caller, .timeout = 30)
{
    struct run r;
    long parent_ms = -1, child_ms = -1;
    const char *p;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "poll@parent#1=delay:400ms",
        "delay", NULL, NULL);
    assert_exited(&r, 0);
    p = strstr(r.out, "parent_ms=");
    cr_assert_not_null(p, "it wrote: %s", r.out);
    parent_ms = strtol(p + 10, NULL, 10);
    p = strstr(r.out, "child_ms=");
    cr_assert_not_null(p, "it wrote: %s", r.out);
    child_ms = strtol(p + 9, NULL, 10);
    cr_assert_geq(parent_ms, 400);
    cr_assert_lt(child_ms, 300, "the child waited for the parent's delay");
    free(r.log);
}

/* The supervisor answers until the whole tree is gone: a background
 * grandchild that outlives the program is still supervised, and run
 * returns only after it exited. */
TEST(seccomp, outlives_the_program, .timeout = 30)
{
    struct timespec t0, t1;
    struct run r;
    long ms;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    run(&r, target("SPF_TEST_SECCOMP_TARGET"), "chdir@exec#1=EIO", "system",
        "/bin/sleep 0.4 &", NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    cr_assert_str_eq(r.out, "system=0\n");
    cr_assert_geq(ms, 400);
    free(r.log);
}

/* A signal during the call: the handler runs, and the call fails with
 * EINTR (the handler has no SA_RESTART). */
TEST(seccomp, signal_interrupts_the_call, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "poll@parent#1=signal:SIGUSR1",
        "signal", NULL, NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "poll=-1 errno=4 handled=1\n");
    cr_assert(
        strstr(r.log, "call=io/poll n=1 action=signal sig=SIGUSR1 errno=EINTR"),
        "log: %s", r.log);
    free(r.log);
}

/* A plain fd instead of a shared log gets one line per record. */
TEST(seccomp, plain_log_fd, .timeout = 30)
{
    struct spf_fault_plan plan;
    char outfd[16], text[1024];
    int out = memfd_create("spf-test-out", MFD_CLOEXEC);
    int log = memfd_create("spf-test-log", MFD_CLOEXEC);
    char *argv[] = {(char *)target("SPF_TEST_SECCOMP_STATIC"), outfd,
                    (char *)"exec", (char *)"/nonexistent", NULL};
    int status, rc;

    cr_assert(out >= 0 && log >= 0);
    parse_plan("execve@parent#1=E2BIG", &plan);
    snprintf(outfd, sizeof(outfd), "%d", inheritable(out));
    rc = spf_seccomp_run(&plan, argv, environ, log, &status);
    skip_if_refused(rc);
    cr_assert_eq(rc, 0);
    slurp(log, text, sizeof(text));
    cr_assert(strncmp(text, "spf-fault pid=", 14) == 0, "log: %s", text);
    cr_assert(strstr(text, " scope=parent call=spawn/exec n=1 action=errno "
                           "errno=E2BIG\n"),
              "log: %s", text);
    close(out);
    close(log);
}

/* A failed exec of the program itself is spf_seccomp_run's error.  The
 * child's report of it is a write, let through as the launcher's. */
TEST(seccomp, exec_failure_is_reported, .timeout = 30)
{
    struct spf_fault_plan plan;
    char *argv[] = {(char *)"/nonexistent/spf", NULL};
    int status = -1, rc;

    parse_plan("write=EIO", &plan);
    rc = spf_seccomp_run(&plan, argv, environ, -1, &status);
    skip_if_refused(rc);
    cr_assert_eq(rc, -ENOENT, "got %d (%s)", rc, strerror(-rc));
}

/* musl's own exec: nothing of glibc's, nothing a preload sees. */
TEST(seccomp, musl_exec_fails, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_MUSL"), "execve@parent#1=ENOENT", "exec",
        "/bin/true", NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "exec errno=2\n");
    cr_assert(strstr(r.log, "call=spawn/exec n=1 action=errno errno=ENOENT"),
              "log: %s", r.log);
    free(r.log);
}

/* The points past spawning, with the actions only a plan can ask for:
 * fake successes leave the fd open and the mask unchanged. */
TEST(seccomp, newer_points_and_fake_successes, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"),
        "fd/dup#1=EMFILE;kill#1=EPERM;setpgid#1=succeed;sig/mask#1=succeed;"
        "setsid#1=succeed",
        "points", NULL, NULL);
    assert_exited(&r, 0);
    /* dup failed, so close(-1) is EBADF for real. */
    cr_assert_str_eq(r.out, "dup=24 close=9 kill=1 setpgid=0 mask=0 "
                            "usr2=open setsid=self\n");
    cr_assert(strstr(r.log, "call=sig/mask n=1 action=succeed"), "log: %s",
              r.log);
    free(r.log);

    run(&r, target("SPF_TEST_SECCOMP_MUSL"), "close#1=succeed;kill#1=ESRCH",
        "points", NULL, NULL);
    assert_exited(&r, 0);
    cr_assert(strncmp(r.out, "dup=0 close=0 kill=3 setpgid=0", 30) == 0,
              "it wrote: %s", r.out);
    free(r.log);
}

TEST(seccomp, stop_and_kill_the_caller, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@child#1=stop",
        "stopchild", NULL, NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, "stopped=19 status=0x0\n");
    cr_assert(strstr(r.log, "call=fd/pipe n=1 action=stop"), "log: %s", r.log);
    free(r.log);

    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@child#1=kill",
        "stopchild", NULL, NULL);
    assert_exited(&r, 0);
    cr_assert_str_eq(r.out, " status=0x9\n");
    free(r.log);
}

/* errno:any draws from the seed: the same seed, the same errno. */
TEST(seccomp, seeded_errno_replays, .timeout = 30)
{
    struct run a, b;

    run(&a, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@child#1..=errno:any",
        "pipes", "2", "3");
    run(&b, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@child#1..=errno:any",
        "pipes", "2", "3");
    assert_exited(&a, 0);
    cr_assert_str_eq(a.out, b.out);
    cr_assert_str_neq(a.out, "child 0: 0 0 0\nchild 1: 0 0 0\n");
    free(a.log);
    free(b.log);
}

/* Predicates, read from the caller: its fd, the exec's path in its
 * memory, its program's name. */
TEST(seccomp, predicates_read_from_the_caller, .timeout = 30)
{
    struct run r;

    run(&r, target("SPF_TEST_SECCOMP_STATIC"),
        "execve@parent?path:*/nothing=ENOENT;"
        "execve@parent?path:/bin/t*&exe:seccomp-target*=E2BIG",
        "exec", "/bin/true", NULL);
    cr_assert_str_eq(r.out, "exec errno=7\n");
    free(r.log);
    run(&r, target("SPF_TEST_SECCOMP_STATIC"), "pipe2@child?exe:python*=EMFILE",
        "pipes", "1", "2");
    cr_assert_str_eq(r.out, "child 0: 0 0\n");
    free(r.log);
}

/* The three steps by hand, for the options spf_seccomp_run() has none of:
 * the caller sets them on ctx between prepare and start. */
struct hand {
    struct spf_seccomp *ctx;
    pid_t pid;
    int out, log, rc;
};

static void hand_prepare(struct hand *h, const char *plan_text)
{
    struct spf_fault_plan plan;
    int rc;

    parse_plan(plan_text, &plan);
    rc = spf_seccomp_prepare(&plan, &h->ctx);
    skip_if_refused(rc);
    cr_assert_eq(rc, 0, "prepare: %s", strerror(-rc));
    h->out = memfd_create("spf-test-out", MFD_CLOEXEC);
    h->log = spf_fault_log_create(LOG_CAPACITY);
    cr_assert_geq(h->out, 0);
    cr_assert_geq(h->log, 0);
}

static void hand_start(struct hand *h, const char *a1, const char *a2)
{
    char outfd[16];
    char *argv[] = {(char *)target("SPF_TEST_SECCOMP_STATIC"), outfd,
                    (char *)a1, (char *)a2, NULL};

    snprintf(outfd, sizeof(outfd), "%d", inheritable(h->out));
    cr_assert_eq(spf_seccomp_start(h->ctx, argv[0], argv, environ, &h->pid), 0);
}

static void hand_free(struct hand *h, char *out, size_t cap)
{
    slurp(h->out, out, cap);
    spf_seccomp_free(h->ctx);
    close(h->out);
    close(h->log);
}

/* While the arm word is even, calls go through uncounted; odd, the plan
 * applies. */
TEST(seccomp, arm_word_gates_the_plan, .timeout = 30)
{
    static const char plan[] = "execve@parent#1=ENOENT";
    uint32_t word = 0;
    char out[256];
    int status = -1;
    struct hand h;

    hand_prepare(&h, plan);
    spf_seccomp_set_arm_word(h.ctx, &word);
    hand_start(&h, "exec", "/bin/true");
    cr_assert_eq(spf_seccomp_supervise(h.ctx, h.pid, h.log, &status, NULL), 0);
    hand_free(&h, out, sizeof(out));
    /* Disarmed: /bin/true replaced the target, which wrote nothing. */
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_str_eq(out, "");

    word = 1;
    hand_prepare(&h, plan);
    spf_seccomp_set_arm_word(h.ctx, &word);
    hand_start(&h, "exec", "/bin/true");
    cr_assert_eq(spf_seccomp_supervise(h.ctx, h.pid, h.log, &status, NULL), 0);
    hand_free(&h, out, sizeof(out));
    cr_assert_str_eq(out, "exec errno=2\n");
}

static void *supervise_in_thread(void *arg)
{
    struct hand *h = arg;

    h->rc = spf_seccomp_supervise(h->ctx, h->pid, h->log, NULL, NULL);
    return NULL;
}

static uint64_t fired_polls(int log)
{
    uint64_t counts[SPF_CALL__COUNT][SPF_FAULT_SCOPES];

    cr_assert_eq(spf_fault_log_counts(log, counts), 0);
    return counts[SPF_CALL_POLL][0];
}

/*
 * A caller that reaps root itself (spf_seccomp_leave_root) and stops the
 * supervisor (spf_seccomp_set_stop_fd) while it holds a call: supervise
 * returns -ECANCELED at once, the held call fails (ENOSYS, ignored by the
 * target), and root is still there for the caller to reap.
 */
TEST(seccomp, stop_fd_and_a_caller_that_reaps, .timeout = 30)
{
    struct hand h = {0};
    pthread_t thread;
    uint64_t one = 1;
    int stop = eventfd(0, EFD_CLOEXEC), status;
    char out[256];

    cr_assert_geq(stop, 0);
    hand_prepare(&h, "poll@parent#1=delay:60s");
    spf_seccomp_leave_root(h.ctx);
    spf_seccomp_set_stop_fd(h.ctx, stop);
    hand_start(&h, "loop", "1");
    cr_assert_eq(pthread_create(&thread, NULL, supervise_in_thread, &h), 0);
    for (int i = 0; i < 1000 && fired_polls(h.log) == 0; i++)
        usleep(10000);
    cr_assert_eq(fired_polls(h.log), 1, "the poll was never held");
    cr_assert_eq(waitpid(h.pid, &status, WNOHANG), 0, "root went on");

    cr_assert_eq(write(stop, &one, sizeof(one)), (ssize_t)sizeof(one));
    cr_assert_eq(pthread_join(thread, NULL), 0);
    cr_assert_eq(h.rc, -ECANCELED);
    cr_assert_eq(waitpid(h.pid, &status, 0), h.pid, "root was reaped: %s",
                 strerror(errno));
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    hand_free(&h, out, sizeof(out));
    cr_assert(strncmp(out, "ns=", 3) == 0, "it wrote: %s", out);
    close(stop);
}
