/*
 * Tests of faults/preload.c: preload-target runs under LD_PRELOAD of the
 * built library with a plan, makes calls and prints what they returned;
 * each test compares that, and the fault log, with what the plan implies.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <spawnfault/faults.h>

#include "../common/sanitizer.h"

/* The target's log fd, as a number and as its variable. */
#define LOG_FD 20
#define LOG_FD_ENV "SPF_FAULT_LOG_FD=20"
#define MAX_CMDS 64
#define MAX_RECORDS 64

extern char **environ;

static int fds_at_start;

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    cr_assert_not_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void census_start(void)
{
    fds_at_start = count_fds();
}

/* Every test leaves no fd open and no child unreaped. */
static void census_check(void)
{
    cr_assert_eq(count_fds(), fds_at_start, "an fd leaked");
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
    cr_assert_eq(errno, ECHILD);
}

TestSuite(preload, .init = census_start, .fini = census_check, .timeout = 120);

struct opts {
    const char *plan; /* SPF_FAULTS; NULL leaves it unset */
    const char *seed; /* SPF_FAULT_SEED; NULL leaves it unset */
    bool no_log;      /* leave SPF_FAULT_LOG_FD unset */
    bool with_dummy;  /* preload an inert library before ours */
    const char *log;  /* SPF_FAULT_LOG_FD's value, if not LOG_FD */
    bool log_rdonly;  /* the log fd cannot be written to */
    bool shared_log;  /* a shared log (spf_fault_log_create), not a file */
    bool count;       /* count mode: SPF_FAULT_COUNT=1 */
    bool musl;        /* the musl target under the musl build */
    bool other;       /* SPF_TEST_OTHER: the target of the other libc */
    const char *shared_plan; /* put in the shared log before the start */
    const char *arm;         /* SPF_FAULT_ARM; NULL leaves it unset */
    const char *inherit;     /* SPF_FAULT_INHERIT; NULL leaves it unset */
};

struct run {
    pid_t pid;
    int status;
    char out[16384];
    char err[16384];
    char log[16384];
    uint64_t reached[SPF_CALL__COUNT][SPF_FAULT_SCOPES]; /* shared_log */
};

static bool under_valgrind(void)
{
    return getenv("SPF_UNDER_VALGRIND") != NULL;
}

static const char *path_of(const char *var)
{
    const char *p = getenv(var);

    if (p == NULL)
        cr_skip_test("%s is unset: run through meson test", var);
    return p;
}

static int memfd(const char *name)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    cr_assert_geq(fd, 0, "memfd_create: %s", strerror(errno));
    return fd;
}

static void slurp(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t n;

    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
}

static void build_env(const struct opts *o, char **env, char *preload,
                      size_t preload_len, char *faults, char *seed, char *log,
                      char *arm, char *inherit, char *other)
{
    size_t n = 0;

    /* libasan is no musl library: a musl target gets the preload alone. */
    snprintf(preload, preload_len, "LD_PRELOAD=%s%s%s%s",
             o->musl ? "" : spf_test_sanitizer_preload(),
             o->with_dummy ? path_of("SPF_TEST_DUMMY_PRELOAD") : "",
             o->with_dummy ? ":" : "",
             path_of(o->musl ? "SPF_TEST_PRELOAD_MUSL" : "SPF_TEST_PRELOAD"));
    env[n++] = "PATH=/usr/bin:/bin";
    env[n++] = preload;
    if (o->plan != NULL) {
        snprintf(faults, 1024, "SPF_FAULTS=%s", o->plan);
        env[n++] = faults;
    }
    if (o->seed != NULL) {
        snprintf(seed, 128, "SPF_FAULT_SEED=%s", o->seed);
        env[n++] = seed;
    }
    if (o->log != NULL) {
        snprintf(log, 128, "SPF_FAULT_LOG_FD=%s", o->log);
        env[n++] = log;
    } else if (!o->no_log) {
        env[n++] = LOG_FD_ENV;
    }
    if (o->count)
        env[n++] = SPF_ENV_FAULT_COUNT "=1";
    if (o->arm != NULL) {
        snprintf(arm, 64, "SPF_FAULT_ARM=%s", o->arm);
        env[n++] = arm;
    }
    if (o->inherit != NULL) {
        snprintf(inherit, 64, "SPF_FAULT_INHERIT=%s", o->inherit);
        env[n++] = inherit;
    }
    if (o->other) {
        snprintf(other, 4200, "SPF_TEST_OTHER=%s",
                 path_of(o->musl ? "SPF_TEST_TARGET" : "SPF_TEST_TARGET_MUSL"));
        env[n++] = other;
    }
    env[n] = NULL;
}

static void read_shared_log(int fd, struct run *r)
{
    uint64_t dropped, torn;
    char *text;

    cr_assert_geq(fd, 0);
    cr_assert_eq(spf_fault_log_read(fd, &text, &dropped, &torn), 0);
    cr_assert_eq(dropped, 0);
    cr_assert_eq(torn, 0);
    cr_assert_lt(strlen(text), sizeof(r->log));
    strcpy(r->log, text);
    free(text);
    cr_assert_eq(spf_fault_log_reached(fd, r->reached), 0);
    close(fd);
}

/* Runs the target with cmds (NULL-terminated) under the options, and
 * collects its exit, its stdout, its stderr and the fault log. */
static void run_target(const struct opts *o, struct run *r,
                       const char *const *cmds)
{
    const char *argv[MAX_CMDS + 2] = {
        path_of(o->musl ? "SPF_TEST_TARGET_MUSL" : "SPF_TEST_TARGET")};
    char *env[12], preload[4096], faults[1024], seed[128], logvar[128];
    char other[4200], arm[64], inherit[64];
    posix_spawn_file_actions_t fa;
    int out, err;

    /* memcheck traces the target, and a musl program cannot load
     * memcheck's own preload, a glibc library. */
    if ((o->musl || o->other) && under_valgrind())
        cr_skip_test("memcheck cannot run a musl program");
    out = memfd("out");
    err = memfd("err");
    int log =
        o->shared_log ? spf_fault_log_create(sizeof(r->log) - 1) : memfd("log");

    if (o->shared_plan != NULL) {
        struct spf_fault_plan plan;
        char perr[256];
        cr_assert_eq(spf_fault_plan_parse(o->shared_plan,
                                          strlen(o->shared_plan), &plan, perr,
                                          sizeof(perr)),
                     0, "%s", perr);
        cr_assert_eq(spf_fault_log_set_plan(log, &plan), 0);
    }
    size_t n = 1;

    for (; cmds[n - 1] != NULL && n <= MAX_CMDS; n++)
        argv[n] = cmds[n - 1];
    argv[n] = NULL;
    build_env(o, env, preload, sizeof(preload), faults, seed, logvar, arm,
              inherit, other);

    cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
    cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, out, 1), 0);
    cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, err, 2), 0);
    if (o->log_rdonly)
        cr_assert_eq(posix_spawn_file_actions_addopen(&fa, LOG_FD, "/dev/null",
                                                      O_RDONLY, 0),
                     0);
    else
        cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, log, LOG_FD), 0);
    cr_assert_eq(posix_spawn(&r->pid, argv[0], &fa, NULL, (char **)argv, env),
                 0);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(waitpid(r->pid, &r->status, 0), r->pid);

    slurp(out, r->out, sizeof(r->out));
    slurp(err, r->err, sizeof(r->err));
    if (o->shared_log)
        read_shared_log(log, r);
    else
        slurp(log, r->log, sizeof(r->log));
    cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
              "target status %#x, stderr: %s", r->status, r->err);
}

#define RUN(o, r, ...) run_target((o), (r), (const char *[]){__VA_ARGS__, NULL})

/*
 * ASan warns when a clone child that runs on a stack of the target's own
 * exits; that block of three lines is about the target, not the preload.
 */
static bool is_asan_stack_warning(const char *line, size_t len)
{
    static const char *const known[] = {
        "WARNING: ASan is ignoring requested __asan_handle_no_return",
        "False positive error reports may follow",
        "For details see https://github.com/google/sanitizers/issues/189",
    };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (memmem(line, len, known[i], strlen(known[i])) != NULL)
            return true;
    return false;
}

/* Valgrind reports on stderr; elsewhere the target must be silent. */
static void assert_quiet(const struct run *r)
{
    const char *p = r->err;

    if (under_valgrind())
        return;
    while (*p != '\0') {
        size_t len = strcspn(p, "\n");
        cr_assert(is_asan_stack_warning(p, len), "stderr: %s", r->err);
        p += len + (p[len] == '\n');
    }
}

/* Parses every log line; the count of records, or fails the test. */
static size_t records(const struct run *r, struct spf_fault_record *out,
                      size_t max)
{
    const char *p = r->log;
    size_t n = 0;

    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "unterminated log line: %s", p);
        cr_assert_lt(n, max);
        cr_assert_eq(spf_fault_record_parse(p, (size_t)(nl - p), &out[n]), 0,
                     "bad log line: %.*s", (int)(nl - p), p);
        n++;
        p = nl + 1;
    }
    return n;
}

static void assert_record(const struct spf_fault_record *rec, unsigned scope,
                          enum spf_fault_call call, uint32_t n, int err)
{
    cr_assert_eq(rec->scope, scope);
    cr_assert_eq(rec->call, call);
    cr_assert_eq(rec->n, n);
    cr_assert_eq(rec->action, SPF_ACTION_ERRNO);
    cr_assert_eq(rec->err, err);
}

Test(preload, stays_silent_without_a_plan)
{
    struct opts o = {0};
    struct run r;

    RUN(&o, &r, "arm", "pipe2", "write:5", "read:5", "chdir", "fork", "end");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 5\nread 5\nchdir 0\nfork exit=0\n");
    cr_assert_str_eq(r.log, "");
    assert_quiet(&r);
}

Test(preload, stays_silent_when_nothing_fires)
{
    struct opts o = {.plan = "read#3=EINTR;fork@child#1=EAGAIN"};
    struct run r;

    RUN(&o, &r, "pipe2", "write:5", "arm", "read:1", "read:1", "fork", "end");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 5\nread 1\nread 1\nfork exit=0\n");
    cr_assert_str_eq(r.log, "");
    assert_quiet(&r);
}

Test(preload, counts_nothing_before_arm)
{
    struct opts o = {.plan = "read#1=EINTR"};
    struct run r;

    RUN(&o, &r, "pipe2", "write:4", "read:1", "read:1", "arm", "read:1",
        "read:1");
    cr_assert_str_eq(
        r.out, "pipe2 0\nwrite 4\nread 1\nread 1\nread -1 EINTR\nread 1\n");
}

Test(preload, arms_at_load_when_asked)
{
    struct opts o = {.plan = "read#1=EINTR", .arm = "1"};
    struct run r;

    RUN(&o, &r, "pipe2", "write:2", "read:1", "read:1");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 2\nread -1 EINTR\nread 1\n");
}

Test(preload, arms_at_load_only_for_1)
{
    struct opts o = {.plan = "read#1=EINTR", .arm = "yes"};
    struct run r;

    RUN(&o, &r, "pipe2", "write:2", "read:1", "armvar");
    cr_assert_str_eq(r.out,
                     "pipe2 0\nwrite 2\nread 1\nSPF_FAULT_ARM=(unset)\n");
}

/* Only the root is armed this way: its children are its child scope, and
 * a program it execs must not believe itself a root asked to arm. */
Test(preload, the_arm_request_stops_at_the_root)
{
    struct opts o = {.plan = "read@child#1=EINTR", .arm = "1"};
    struct run r;

    RUN(&o, &r, "armvar", "pipe2", "write:2", "fork", "armvar", "read:1",
        "execve:armvar", "end", "read:1");
    cr_assert_str_eq(r.out, "SPF_FAULT_ARM=(unset)\npipe2 0\nwrite 2\n"
                            "SPF_FAULT_ARM=(unset)\nread -1 EINTR\n"
                            "SPF_FAULT_ARM=(unset)\nfork exit=0\nread 1\n");
}

Test(preload, stops_at_disarm)
{
    struct opts o = {.plan = "read#*=EINTR"};
    struct run r;

    RUN(&o, &r, "pipe2", "write:3", "arm", "read:1", "disarm", "read:1", "arm",
        "read:1");
    cr_assert_str_eq(
        r.out, "pipe2 0\nwrite 3\nread -1 EINTR\nread 1\nread -1 EINTR\n");
}

Test(preload, fails_the_nth_pipe)
{
    struct opts o = {.plan = "pipe2#2=EMFILE"};
    struct run r;

    RUN(&o, &r, "arm", "pipe2", "pipe", "pipe2");
    cr_assert_str_eq(r.out, "pipe2 0\npipe -1 EMFILE\npipe2 0\n");
}

Test(preload, fails_dup2_and_dup3)
{
    struct opts o = {.plan = "dup2#1,3=EBADF"};
    struct run r;

    RUN(&o, &r, "pipe2", "arm", "dup2", "dup3", "dup3", "dup2");
    cr_assert_str_eq(
        r.out, "pipe2 0\ndup2 -1 EBADF\ndup3 100\ndup3 -1 EBADF\ndup2 100\n");
}

Test(preload, fails_chdir_and_fchdir)
{
    struct opts o = {.plan = "chdir#2..=ENOENT"};
    struct run r;

    RUN(&o, &r, "arm", "chdir", "fchdir", "chdir");
    cr_assert_str_eq(r.out, "chdir 0\nfchdir -1 ENOENT\nchdir -1 ENOENT\n");
}

Test(preload, interrupts_read_poll_and_wait)
{
    struct opts o = {.plan = "read#1=EINTR;poll#1=EINTR;waitpid#1..2=EINTR"};
    struct run r;

    RUN(&o, &r, "pipe2", "write:1", "arm", "read_chk:1", "read:1", "poll",
        "ppoll", "zombie", "waitpid", "wait4", "wait");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 1\nread_chk -1 EINTR\nread 1\n"
                            "poll -1 EINTR\nppoll 0\nwaitpid -1 EINTR\n"
                            "wait4 -1 EINTR\nwait reaped status=0\n");
}

Test(preload, fails_fork_but_not_threads)
{
    struct opts o = {.plan = "fork#1=EAGAIN;vfork#1=ENOMEM"};
    struct run r;

    RUN(&o, &r, "arm", "thread", "fork", "say:unseen", "end", "clonevm",
        "say:unseen", "end", "clone", "say:cloned", "end", "vfork",
        "say:vforked", "end");
    cr_assert_str_eq(r.out, "thread ok\nfork -1 EAGAIN\nclonevm -1 ENOMEM\n"
                            "cloned\nclone exit=0\nvforked\nvfork exit=0\n");
}

Test(preload, fails_the_nth_vfork)
{
    struct opts o = {.plan = "vfork#2=EAGAIN"};
    struct run r;

    RUN(&o, &r, "arm", "vfork", "say:one", "end", "vfork", "say:two", "end",
        "vfork", "say:three", "end");
    cr_assert_str_eq(r.out, "one\nvfork exit=0\nvfork -1 EAGAIN\n"
                            "three\nvfork exit=0\n");
}

Test(preload, vfork_survives_many_children)
{
    struct opts o = {.plan = "vfork@parent#20..+100=EAGAIN"};
    const char *loop = under_valgrind() ? "vforkloop:40" : "vforkloop:1000";
    const char *want = under_valgrind() ? "vforkloop ok=39 failed=1 bad=0\n"
                                        : "vforkloop ok=990 failed=10 bad=0\n";

    /* Under valgrind every exec'd child starts a new valgrind. */
    struct run r;

    RUN(&o, &r, "arm", loop);
    cr_assert_str_eq(r.out, want);
}

Test(preload, fails_execve_in_the_child_only)
{
    struct opts o = {.plan = "execve@child#1=ENOENT"};
    struct run r;

    RUN(&o, &r, "arm", "fork", "execve:say:first", "end", "vfork",
        "execve:say:second", "execve:say:third", "end", "execve:say:parent");
    cr_assert_str_eq(r.out, "execve -1 ENOENT\nfork exit=0\n"
                            "execve -1 ENOENT\nthird\nvfork exit=0\n"
                            "parent\n");
}

Test(preload, counts_the_whole_exec_family_as_execve)
{
    struct opts o = {.plan = "execve@parent#1..7=ENOEXEC"};
    struct run r;

    RUN(&o, &r, "arm", "execve", "execv", "execvp", "execvpe", "execl",
        "execlp", "execle", "fexecve:say:eighth");
    cr_assert_str_eq(r.out, "execve -1 ENOEXEC\nexecv -1 ENOEXEC\n"
                            "execvp -1 ENOEXEC\nexecvpe -1 ENOEXEC\n"
                            "execl -1 ENOEXEC\nexeclp -1 ENOEXEC\n"
                            "execle -1 ENOEXEC\neighth\n");
}

Test(preload, short_read_leaves_the_rest)
{
    struct opts o = {.plan = "read#1=short:3"};
    struct spf_fault_record rec[MAX_RECORDS];
    struct run r;

    RUN(&o, &r, "pipe2", "write:10", "arm", "read:100", "read:100");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 10\nread 3\nread 7\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 1);
    cr_assert_eq(rec[0].pid, r.pid);
    cr_assert_eq(rec[0].scope, SPF_SCOPE_PARENT);
    cr_assert_eq(rec[0].call, SPF_CALL_READ);
    cr_assert_eq(rec[0].action, SPF_ACTION_SHORT);
    cr_assert_eq(rec[0].want, 100);
    cr_assert_eq(rec[0].got, 3);
}

Test(preload, short_write_sends_k_bytes)
{
    struct opts o = {.plan = "write#1..2=short:4"};
    struct spf_fault_record rec[MAX_RECORDS];
    struct run r;

    RUN(&o, &r, "pipe2", "arm", "write:10", "write:2", "read:100");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 4\nwrite 2\nread 6\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 2);
    cr_assert_eq(rec[0].want, 10);
    cr_assert_eq(rec[0].got, 4);
    cr_assert_eq(rec[1].want, 2);
    cr_assert_eq(rec[1].got, 2);
}

Test(preload, short_never_means_zero_bytes)
{
    struct opts o = {.plan = "read#*=short:1"};
    struct spf_fault_record rec[MAX_RECORDS];
    struct run r;

    RUN(&o, &r, "pipe2", "write:2", "arm", "read:0", "read:5", "read:5",
        "read:5");
    cr_assert_str_eq(
        r.out, "pipe2 0\nwrite 2\nread 0\nread 1\nread 1\nread -1 EAGAIN\n");
    /* The zero-byte read is not a fault; the failed one is logged as -1. */
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 3);
    cr_assert_eq(rec[0].n, 2);
    cr_assert_eq(rec[2].got, UINT64_MAX);
}

Test(preload, counts_children_from_one_apart_from_the_parent)
{
    struct opts o = {.plan = "write@child#2=EIO;chdir@parent#2=ENOENT;"
                             "chdir@child#2=EACCES"};
    struct spf_fault_record rec[MAX_RECORDS];
    struct run r;

    RUN(&o, &r, "pipe2", "arm", "write:1", "write:1", "fork", "write:1",
        "write:1", "write:1", "end", "write:1", "chdir", "vfork", "chdir",
        "chdir", "chdir", "end", "clonevm", "chdir", "chdir", "end", "chdir");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 1\nwrite 1\n"
                            "write 1\nwrite -1 EIO\nwrite 1\nfork exit=0\n"
                            "write 1\nchdir 0\n"
                            "chdir 0\nchdir -1 EACCES\nchdir 0\nvfork exit=0\n"
                            "chdir 0\nchdir -1 EACCES\nclonevm exit=0\n"
                            "chdir -1 ENOENT\n");

    /* One parseable record per fault, each with the pid that made it. */
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 4);
    assert_record(&rec[0], SPF_SCOPE_CHILD, SPF_CALL_WRITE, 2, EIO);
    assert_record(&rec[1], SPF_SCOPE_CHILD, SPF_CALL_CHDIR, 2, EACCES);
    assert_record(&rec[2], SPF_SCOPE_CHILD, SPF_CALL_CHDIR, 2, EACCES);
    assert_record(&rec[3], SPF_SCOPE_PARENT, SPF_CALL_CHDIR, 2, ENOENT);
    cr_assert_neq(rec[0].pid, r.pid);
    cr_assert_neq(rec[1].pid, r.pid);
    cr_assert_neq(rec[2].pid, rec[1].pid);
    cr_assert_eq(rec[3].pid, r.pid);
    assert_quiet(&r);
}

Test(preload, counts_nested_vfork_children_apart)
{
    struct opts o = {.plan = "chdir@child#3=ENOENT"};
    struct run r;

    /* The grandchild borrows the child's memory and thread: its counts
     * must not clobber the child's, which resume when it is gone. */
    RUN(&o, &r, "arm", "vfork", "chdir", "chdir", "vfork", "chdir", "chdir",
        "chdir", "end", "chdir", "end");
    cr_assert_str_eq(r.out, "chdir 0\nchdir 0\nchdir 0\nchdir 0\n"
                            "chdir -1 ENOENT\nvfork exit=0\n"
                            "chdir -1 ENOENT\nvfork exit=0\n");

    /* The same after more children than the preload keeps slots for. */
    RUN(&o, &r, "arm", "vfork", "chdir", "end", "vfork", "chdir", "end",
        "vfork", "chdir", "end", "vfork", "chdir", "end", "vfork", "chdir",
        "end", "vfork", "chdir", "end", "vfork", "chdir", "end", "vfork",
        "chdir", "end", "vfork", "chdir", "end", "vfork", "chdir", "chdir",
        "vfork", "chdir", "chdir", "chdir", "end", "chdir", "end");
    cr_assert_str_eq(r.out, "chdir 0\nvfork exit=0\nchdir 0\nvfork exit=0\n"
                            "chdir 0\nvfork exit=0\nchdir 0\nvfork exit=0\n"
                            "chdir 0\nvfork exit=0\nchdir 0\nvfork exit=0\n"
                            "chdir 0\nvfork exit=0\nchdir 0\nvfork exit=0\n"
                            "chdir 0\nvfork exit=0\n"
                            "chdir 0\nchdir 0\nchdir 0\nchdir 0\n"
                            "chdir -1 ENOENT\nvfork exit=0\n"
                            "chdir -1 ENOENT\nvfork exit=0\n");
}

Test(preload, logs_one_line_per_fault)
{
    struct opts o = {.plan = "read#*=EINTR;write#2=short:1;pipe2@child#1="
                             "ENFILE"};
    struct spf_fault_record rec[MAX_RECORDS];
    struct run r;
    size_t n;

    RUN(&o, &r, "pipe2", "arm", "write:3", "write:3", "read:9", "read:9",
        "fork", "pipe2", "end");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 3\nwrite 1\nread -1 EINTR\n"
                            "read -1 EINTR\npipe2 -1 ENFILE\nfork exit=0\n");
    n = records(&r, rec, MAX_RECORDS);
    cr_assert_eq(n, 4, "log: %s", r.log);
    cr_assert_eq(rec[0].action, SPF_ACTION_SHORT);
    cr_assert_eq(rec[0].n, 2);
    assert_record(&rec[1], SPF_SCOPE_PARENT, SPF_CALL_READ, 1, EINTR);
    assert_record(&rec[2], SPF_SCOPE_PARENT, SPF_CALL_READ, 2, EINTR);
    assert_record(&rec[3], SPF_SCOPE_CHILD, SPF_CALL_PIPE2, 1, ENFILE);
}

Test(preload, faults_without_a_log_fd)
{
    struct opts o = {.plan = "read#1=EINTR", .no_log = true};
    struct run r;

    RUN(&o, &r, "pipe2", "write:1", "arm", "read:1");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 1\nread -1 EINTR\n");
    cr_assert_str_eq(r.log, "");
    assert_quiet(&r);
}

Test(preload, hides_itself_from_exec_d_programs)
{
    struct opts o = {.plan = "read#1=EINTR", .seed = "1:2", .with_dummy = true};
    char want[8192];
    struct run r;

    RUN(&o, &r, "arm", "fork", "execve:env", "end", "env");
    snprintf(want, sizeof(want),
             "SPF_FAULTS=(unset)\nSPF_FAULT_SEED=(unset)\n"
             "SPF_FAULT_LOG_FD=(unset)\nSPF_FAULT_ROOT=(unset)\n"
             "SPF_FAULT_LOG_ID=(unset)\nLD_PRELOAD=%s%s\npreload=absent\n"
             "fork exit=0\n"
             "SPF_FAULTS=(unset)\nSPF_FAULT_SEED=(unset)\n"
             "SPF_FAULT_LOG_FD=(unset)\nSPF_FAULT_ROOT=(unset)\n"
             "SPF_FAULT_LOG_ID=(unset)\nLD_PRELOAD=%s%s\npreload=loaded\n",
             spf_test_sanitizer_preload(), getenv("SPF_TEST_DUMMY_PRELOAD"),
             spf_test_sanitizer_preload(), getenv("SPF_TEST_DUMMY_PRELOAD"));
    cr_assert_str_eq(r.out, want);
}

Test(preload, applies_exec_rules_in_exec_d_programs)
{
    struct opts o = {.plan = "read@exec#1=EINTR"};
    struct spf_fault_record rec[MAX_RECORDS];
    struct run r;

    RUN(&o, &r, "pipe2", "write:3", "arm", "read:1", "fork",
        "execve:pipe2,write:2,read:1,read:1", "end");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 3\nread 1\n"
                            "pipe2 0\nwrite 2\nread -1 EINTR\nread 1\n"
                            "fork exit=0\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 1);
    assert_record(&rec[0], SPF_SCOPE_EXEC, SPF_CALL_READ, 1, EINTR);
    cr_assert_neq(rec[0].pid, r.pid);
}

Test(preload, exec_scope_counts_each_process_from_one)
{
    struct opts o = {.plan = "chdir@exec#2=ENOENT"};
    struct run r;

    RUN(&o, &r, "arm", "fork", "execve:chdir,chdir,fork,chdir,chdir,end",
        "end");
    cr_assert_str_eq(r.out, "chdir 0\nchdir -1 ENOENT\n"
                            "chdir 0\nchdir -1 ENOENT\nfork exit=0\n"
                            "fork exit=0\n");
}

Test(preload, exec_before_arm_stays_unfaulted)
{
    struct opts o = {.plan = "read@exec#1=EINTR"};
    struct run r;

    RUN(&o, &r, "fork", "execve:pipe2,write:1,read:1,env", "end", "arm");
    cr_assert(strstr(r.out, "read 1\n") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "SPF_FAULT_ROOT=(unset)") == NULL, "%s", r.out);
    cr_assert_str_eq(r.log, "");
}

Test(preload, logs_a_bad_plan_and_disables_it)
{
    struct opts o = {.plan = "read#1=EINTR;write@parnt#1=short:1"};
    struct spf_fault_record rec;
    struct run r;

    RUN(&o, &r, "pipe2", "arm", "write:1", "read:1", "fork", "execve:env",
        "end");
    cr_assert_str_eq(r.log, "spf-fault error=rule 2 (\"write@parnt#1=short:1"
                            "\"): unknown scope \"parnt\" (expected parent,"
                            " child or exec)\n");
    cr_assert_eq(spf_fault_record_parse(r.log, strlen(r.log), &rec), -EINVAL);
    cr_assert(strncmp(r.out, "pipe2 0\nwrite 1\nread 1\n", 23) == 0, "%s",
              r.out);
    cr_assert(strstr(r.out, "SPF_FAULTS=(unset)") != NULL, "%s", r.out);
    assert_quiet(&r);
}

Test(preload, logs_a_bad_seed_and_disables_the_plan)
{
    struct opts o = {.plan = "read#1=EINTR", .seed = "12345"};
    struct run r;

    RUN(&o, &r, "pipe2", "write:1", "arm", "read:1");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 1\nread 1\n");
    cr_assert_str_eq(r.log, "spf-fault error=SPF_FAULT_SEED: expected"
                            " SEED:STREAM, two hexadecimal numbers of 1 to 16"
                            " digits\n");
}

static void run_coin(const char *seed, struct run *r)
{
    struct opts o = {.plan = "chdir#*%0.5=ENOENT", .seed = seed};
    const char *cmds[MAX_CMDS + 1] = {"arm"};

    for (int i = 1; i < MAX_CMDS; i++)
        cmds[i] = "chdir";
    run_target(&o, r, cmds);
}

Test(preload, draws_from_the_seed)
{
    static struct run a, b, c;

    run_coin("abc:1", &a);
    run_coin("abc:1", &b);
    run_coin("abd:1", &c);
    static struct spf_fault_record ra[MAX_RECORDS], rb[MAX_RECORDS];
    size_t n;

    cr_assert_str_eq(a.out, b.out);
    cr_assert_str_neq(a.out, c.out);
    /* The logs match too, but for the pids. */
    n = records(&a, ra, MAX_RECORDS);
    cr_assert_eq(records(&b, rb, MAX_RECORDS), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ra[i].n, rb[i].n);
    cr_assert(strstr(a.out, "chdir 0") != NULL);
    cr_assert(strstr(a.out, "chdir -1 ENOENT") != NULL);
}

Test(preload, keeps_errno_when_the_log_write_fails)
{
    struct opts o = {.plan = "read#*=short:1", .log_rdonly = true};
    struct run r;

    /* The real read fails with EAGAIN, then the log write with EBADF. */
    RUN(&o, &r, "pipe2", "arm", "read:5");
    cr_assert_str_eq(r.out, "pipe2 0\nread -1 EAGAIN\n");
}

Test(preload, disables_faults_on_an_unusable_log_fd)
{
    struct opts o = {.plan = "read#*=EINTR", .log = "77"};
    struct run r;

    RUN(&o, &r, "pipe2", "write:2", "arm", "read:1");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 2\nread 1\n");
    o.log = "2x";
    RUN(&o, &r, "pipe2", "write:2", "arm", "read:1");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 2\nread 1\n");
    assert_quiet(&r);
}

/* A program started by posix_spawn is exec scope too: it gets the log and
 * the rules, and counts its calls from 1. */
Test(preload, applies_exec_rules_in_posix_spawned_programs)
{
    struct opts o = {.plan = "read@exec#1=EINTR"};
    struct spf_fault_record rec[MAX_RECORDS];
    struct run r;

    RUN(&o, &r, "arm", "pspawn:pipe2,write:1,read:1,read:1");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 1\nread -1 EINTR\nread 1\n"
                            "spawn exit=0\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 1);
    assert_record(&rec[0], SPF_SCOPE_EXEC, SPF_CALL_READ, 1, EINTR);
    cr_assert_neq(rec[0].pid, r.pid);
}

Test(preload, exec_scope_ignores_a_reused_log_fd)
{
    struct opts o = {.plan = "read@exec#1=EINTR"};
    struct run r;

    /* Through posix_spawn, fd 20 is /dev/null: not the log, no faults. */
    RUN(&o, &r, "arm", "spawn:pipe2,write:1,read:1", "fork",
        "execve:pipe2,write:1,read:1", "end");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 1\nread 1\nspawn exit=0\n"
                            "pipe2 0\nwrite 1\nread -1 EINTR\n"
                            "fork exit=0\n");
}

/* The points added with the hierarchy, each failing under its own name. */
Test(preload, fails_the_newer_points)
{
    struct opts o = {.plan = "fd/dup#1=EMFILE;fd/close#1=EIO;proc/kill#1=EPERM;"
                             "proc/setsid#1=EPERM;proc/setpgid#1=EACCES;"
                             "sig/mask#1,2=EINVAL"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "pipe2", "opennull:50", "arm", "dup", "dup", "close:50",
        "isopen:50", "kill", "kill", "setsid", "setpgid", "sigprocmask",
        "pthread_sigmask", "pthread_sigmask");
    cr_assert_str_eq(r.out, "pipe2 0\nopennull 0\ndup -1 EMFILE\ndup 0\n"
                            "close -1 EIO\nisopen 50 no\nkill -1 EPERM\n"
                            "kill 0\nsetsid -1 EPERM\nsetpgid -1 EACCES\n"
                            "sigprocmask -1 EINVAL\n"
                            "pthread_sigmask EINVAL errno=0\n"
                            "pthread_sigmask 0 errno=0\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 7);
    assert_record(&rec[0], SPF_SCOPE_PARENT, SPF_CALL_DUP2, 1, EMFILE);
    assert_record(&rec[1], SPF_SCOPE_PARENT, SPF_CALL_CLOSE, 1, EIO);
    assert_record(&rec[6], SPF_SCOPE_PARENT, SPF_CALL_SIGMASK, 2, EINVAL);
    assert_quiet(&r);
}

/* spawn/fork counts fork, _Fork, vfork and clone together. */
Test(preload, family_rules_count_the_whole_family)
{
    struct opts o = {.plan = "spawn/fork#2,4=EAGAIN"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "arm", "fork", "end", "vfork", "end", "_Fork", "end", "clone",
        "end", "thread", "clonevm", "end");
    cr_assert_str_eq(r.out, "fork exit=0\nvfork -1 EAGAIN\n_Fork exit=0\n"
                            "clone -1 EAGAIN\nthread ok\nclonevm exit=0\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 2);
    assert_record(&rec[0], SPF_SCOPE_PARENT, SPF_CALL_VFORK, 2, EAGAIN);
    assert_record(&rec[1], SPF_SCOPE_PARENT, SPF_CALL_FORK, 4, EAGAIN);
}

/* A tree-wide count runs on through the child's calls and back. */
Test(preload, tree_counts_span_processes)
{
    struct opts o = {.plan = "pipe2#tree:2,3=EMFILE", .shared_log = true};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "arm", "pipe2", "fork", "pipe2", "end", "vfork", "pipe2", "end",
        "pipe2");
    cr_assert_str_eq(r.out, "pipe2 0\npipe2 -1 EMFILE\nfork exit=0\n"
                            "pipe2 -1 EMFILE\nvfork exit=0\npipe2 0\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 2);
    assert_record(&rec[0], SPF_SCOPE_CHILD, SPF_CALL_PIPE2, 2, EMFILE);
    assert_record(&rec[1], SPF_SCOPE_CHILD, SPF_CALL_PIPE2, 3, EMFILE);
}

/* Without the shared log there are no tree counts: the rule never fires
 * rather than firing on a guess. */
Test(preload, tree_counts_need_the_shared_log)
{
    struct opts o = {.plan = "pipe2#tree:1..=EMFILE"};
    struct run r;

    RUN(&o, &r, "arm", "pipe2", "fork", "pipe2", "end");
    cr_assert_str_eq(r.out, "pipe2 0\npipe2 0\nfork exit=0\n");
    cr_assert_str_eq(r.log, "");
}

Test(preload, delays_then_calls)
{
    struct opts o = {.plan = "pipe2#1=delay:300ms"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "arm", "tic", "pipe2", "toc:300");
    cr_assert_str_eq(r.out, "pipe2 0\ntoc ok\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 1);
    cr_assert_eq(rec[0].action, SPF_ACTION_DELAY);
    cr_assert_eq(rec[0].delay_ns, 300000000);
    cr_assert_gt(rec[0].t_ns, 0);
    cr_assert_gt(rec[0].tid, 0);
}

/* A real signal: the handler runs, and the call fails with EINTR only
 * when the kernel would have cut it, that is without SA_RESTART. */
Test(preload, signals_the_caller_as_the_kernel_would)
{
    struct opts o = {.plan = "read#1..2=signal:SIGUSR1;poll#1=signal:SIGUSR1;"
                             "pipe2#1=signal:SIGUSR1"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "pipe2", "write:3", "handler:SIGUSR1", "arm", "read:1",
        "restart:SIGUSR1", "read:1", "poll", "pipe2", "handled");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 3\nhandler 0\nread -1 EINTR\n"
                            "restart 0\nread 1\npoll 1\npipe2 0\n"
                            "handled 4\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 4);
    cr_assert_eq(rec[0].action, SPF_ACTION_SIGNAL);
    cr_assert_eq(rec[0].sig, SIGUSR1);
    cr_assert_eq(rec[0].err, EINTR);
    cr_assert_eq(rec[1].err, 0); /* SA_RESTART: the read went on */
    cr_assert_eq(rec[3].call, SPF_CALL_PIPE2);
    cr_assert_eq(rec[3].err, 0); /* pipe2 cannot fail with EINTR */
}

Test(preload, stops_and_kills_the_caller)
{
    struct opts o = {.plan = "pipe2@child#1=stop;pipe2@child#2=kill"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "arm", "fork", "pipe2", "pipe2", "say:unseen", "end");
    cr_assert_str_eq(r.out, "fork stopped sig=19\npipe2 0\nfork signal=9\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 2);
    cr_assert_eq(rec[0].action, SPF_ACTION_STOP);
    cr_assert_eq(rec[1].action, SPF_ACTION_KILL);
}

/* A fake success does nothing: the fd stays open, the mask unchanged. */
Test(preload, fakes_success_only_when_asked)
{
    struct opts o = {.plan = "close#1=succeed;setsid#1=succeed;"
                             "write#1=succeed;sig/mask#1=succeed"};
    struct run r;

    RUN(&o, &r, "pipe2", "opennull:50", "arm", "close:50", "isopen:50",
        "close:50", "isopen:50", "setsid", "write:5", "read:5",
        "pthread_sigmask");
    cr_assert_str_eq(r.out, "pipe2 0\nopennull 0\nclose 0\nisopen 50 yes\n"
                            "close 0\nisopen 50 no\nsetsid self\nwrite 5\n"
                            "read -1 EAGAIN\npthread_sigmask 0 errno=0\n");
}

Test(preload, short_half_and_seeded_errnos)
{
    struct opts o = {.plan = "write#1=short:half;read#1=errno:any",
                     .seed = "5:0"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "pipe2", "arm", "write:10", "read:10", "read:10");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 2);
    cr_assert_eq(rec[0].got, 5);
    cr_assert_eq(rec[1].action, SPF_ACTION_ERRNO);
    cr_assert(spf_fault_errno_valid(SPF_CALL_READ, rec[1].err));
    char want[256];
    snprintf(want, sizeof(want), "pipe2 0\nwrite 5\nread -1 %s\nread 5\n",
             spf_errno_name(rec[1].err));
    cr_assert_str_eq(r.out, want);
}

/* Count mode counts every point reached, in every scope, firing nothing. */
Test(preload, count_mode_counts_what_was_reached)
{
    struct opts o = {.shared_log = true, .count = true};
    struct run r;

    RUN(&o, &r, "arm", "pipe2", "write:2", "read:1", "fork", "read:1", "end");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite 2\nread 1\nread 1\n"
                            "fork exit=0\n");
    cr_assert_str_eq(r.log, "");
    cr_assert_eq(r.reached[SPF_CALL_PIPE2][0], 1);
    cr_assert_eq(r.reached[SPF_CALL_WRITE][0], 1);
    cr_assert_eq(r.reached[SPF_CALL_READ][0], 1);
    cr_assert_eq(r.reached[SPF_CALL_READ][1], 1);
    cr_assert_eq(r.reached[SPF_CALL_FORK][0], 1);
}

/* musl: the same preload built against musl, in a musl program. */
Test(preload, musl_build_faults_a_musl_program)
{
    struct opts o = {.plan = "pipe2#2=EMFILE;spawn/fork#1=EAGAIN;"
                             "read#1=signal:SIGUSR1",
                     .musl = true};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "libc", "arm", "pipe2", "pipe2", "fork", "end", "vfork",
        "say:vforked", "end", "handler:SIGUSR1", "pipe2", "write:1", "read:1",
        "handled", "close:50");
    cr_assert_str_eq(r.out, "libc musl\npipe2 0\npipe2 -1 EMFILE\n"
                            "fork -1 EAGAIN\nvforked\nvfork exit=0\n"
                            "handler 0\npipe2 0\nwrite 1\nread -1 EINTR\n"
                            "handled 1\nclose -1 EBADF\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 3);
    assert_record(&rec[0], SPF_SCOPE_PARENT, SPF_CALL_PIPE2, 2, EMFILE);
    assert_quiet(&r);
}

/* A glibc program exec'ing a musl one in the exec scope: the musl program
 * gets the musl build, loads it, and is faulted; without the swap its
 * loader would refuse the glibc build and it would never run. */
Test(preload, exec_scope_gives_a_musl_program_the_musl_build)
{
    struct opts o = {.plan = "pipe2@exec#1=EMFILE", .other = true};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    path_of("SPF_TEST_TARGET_MUSL");
    if (spf_test_sanitizer_preload()[0] != '\0')
        cr_skip_test("libasan, first in LD_PRELOAD, is no library a musl "
                     "program can load");
    RUN(&o, &r, "arm", "fork", "execother:libc,pipe2,pipe2", "end");
    cr_assert_str_eq(r.out,
                     "libc musl\npipe2 -1 EMFILE\npipe2 0\nfork exit=0\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 1);
    assert_record(&rec[0], SPF_SCOPE_EXEC, SPF_CALL_PIPE2, 1, EMFILE);
}

/* And back: a musl program exec'ing a glibc one. */
Test(preload, exec_scope_gives_a_glibc_program_the_glibc_build)
{
    struct opts o = {
        .plan = "pipe2@exec#1=EMFILE", .other = true, .musl = true};
    struct run r;

    if (spf_test_sanitizer_preload()[0] != '\0')
        cr_skip_test("the glibc program would need libasan first in "
                     "LD_PRELOAD, which a musl parent cannot give it");
    RUN(&o, &r, "arm", "fork", "execother:libc,pipe2,pipe2", "end");
    cr_assert_str_eq(r.out,
                     "libc glibc\npipe2 -1 EMFILE\npipe2 0\nfork exit=0\n");
}

/* SPF_FAULT_INHERIT=libc: the exec'd program of the other libc runs
 * without the preload, and unfaulted, while one of the same libc still
 * carries it. */
Test(preload, inherit_libc_leaves_the_other_libc_alone)
{
    struct opts o = {
        .plan = "pipe2@exec#1=EMFILE", .other = true, .inherit = "libc"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    path_of("SPF_TEST_TARGET_MUSL");
    if (spf_test_sanitizer_preload()[0] != '\0')
        cr_skip_test("libasan, first in LD_PRELOAD, is no library a musl "
                     "program can load");
    RUN(&o, &r, "arm", "fork", "execother:libc,pipe2,pipe2", "end", "fork",
        "execve:pipe2,pipe2", "end");
    cr_assert_str_eq(r.out, "libc musl\npipe2 0\npipe2 0\nfork exit=0\n"
                            "pipe2 -1 EMFILE\npipe2 0\nfork exit=0\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 1);
    assert_record(&rec[0], SPF_SCOPE_EXEC, SPF_CALL_PIPE2, 1, EMFILE);
}

/* SPF_FAULT_INHERIT=none: no exec'd program carries the preload, even with
 * an exec-scope rule, and none sees our variables. */
Test(preload, inherit_none_stops_at_exec)
{
    struct opts o = {.plan = "pipe2@exec#1=EMFILE", .inherit = "none"};
    struct run r;

    RUN(&o, &r, "arm", "fork", "execve:pipe2,env", "end");
    cr_assert(strncmp(r.out, "pipe2 0\nSPF_FAULTS=(unset)\n", 27) == 0, "%s",
              r.out);
    cr_assert_not_null(strstr(r.out, "SPF_FAULT_ROOT=(unset)\n"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "preload=absent\nfork exit=0\n"), "%s",
                       r.out);
    cr_assert_str_eq(r.log, "");
}

/* A plan kept in the shared log applies from its start, and a change
 * reaches the process and its children at their next call; exec'd
 * programs carry the preload, so a later exec-scope rule reaches them. */
Test(preload, follows_the_plan_in_the_shared_log)
{
    struct opts o = {.shared_log = true, .shared_plan = "pipe2#1=EMFILE"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "arm", "pipe2", "pipe2", "setplan:pipe2#*=ENFILE", "pipe2",
        "fork", "pipe2", "end", "setplan:pipe2@exec#2=EMFILE", "fork",
        "execve:pipe2,pipe2,pipe2", "end", "setplan:", "pipe2");
    cr_assert_str_eq(r.out, "pipe2 -1 EMFILE\npipe2 0\nsetplan 0\n"
                            "pipe2 -1 ENFILE\npipe2 -1 ENFILE\n"
                            "fork exit=0\nsetplan 0\npipe2 0\n"
                            "pipe2 -1 EMFILE\npipe2 0\nfork exit=0\n"
                            "setplan 0\npipe2 0\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 4);
    assert_record(&rec[3], SPF_SCOPE_EXEC, SPF_CALL_PIPE2, 2, EMFILE);
}

/* posix_spawn makes its child and execs it inside libc: the wrapper
 * decides both at the door, and posix_spawn returns the errno. */
Test(preload, posix_spawn_fails_at_the_door)
{
    struct opts o = {.plan = "execve@child#1=ENOENT;vfork#2=EAGAIN"};
    struct run r;
    struct spf_fault_record rec[MAX_RECORDS];

    RUN(&o, &r, "arm", "spawn:true", "spawn:true");
    cr_assert_str_eq(r.out, "spawn -1 ENOENT\nspawn -1 EAGAIN\n");
    cr_assert_eq(records(&r, rec, MAX_RECORDS), 2);
    assert_record(&rec[0], SPF_SCOPE_CHILD, SPF_CALL_EXECVE, 1, ENOENT);
    assert_record(&rec[1], SPF_SCOPE_PARENT, SPF_CALL_VFORK, 2, EAGAIN);

    o.plan = "execve@child#2=ENOENT";
    RUN(&o, &r, "arm", "spawn:true");
    cr_assert_str_eq(r.out, "spawn exit=0\n");
}

/* Predicates: the fd, what it is, the exec's path, the program's name. */
Test(preload, predicates_pick_the_calls)
{
    struct opts o = {.plan = "write?kind:char=EIO;read?fd:1000=EIO;"
                             "execve@child?path:*/nothing*=ENOENT;"
                             "pipe2?exe:preload-tar*=EMFILE;"
                             "chdir?exe:python*=EIO"};
    struct run r;

    /* pipe fails (this program is preload-target), so write and read have
     * no fd (-1: neither a char device nor 1000) and fail for real; the
     * exec runs this program, not one called *nothing*; chdir's program is
     * not python. */
    RUN(&o, &r, "arm", "pipe", "write:2", "read:1", "fork", "execve:say:ran",
        "end", "chdir");
    cr_assert_str_eq(r.out, "pipe -1 EMFILE\nwrite -1 EBADF\nread -1 EBADF\n"
                            "ran\nfork exit=0\nchdir 0\n");

    o.plan = "write?kind:pipe=EIO;execve@child?path:*target*=ENOENT";
    RUN(&o, &r, "pipe2", "arm", "write:2", "fork", "execve:say:ran", "end");
    cr_assert_str_eq(r.out, "pipe2 0\nwrite -1 EIO\nexecve -1 ENOENT\n"
                            "fork exit=0\n");
}
