/*
 * The fault matrix: every point family with every action the model allows
 * on it, on every kind of target, each case asserting what the calling
 * program sees at the libc level (return value, errno, bytes, handler,
 * wait status, time) and the record in the fault log.
 *
 * Targets: preload-target (dynamic glibc) under the preload, the same
 * program built with musl under the musl preload, and seccomp-target
 * (dynamic glibc, static glibc, static musl) under the seccomp backend.
 * Each runs one probe (probe.h): a child of the target makes the call, so
 * the target, its parent, sees it stopped or killed.  Every rule is
 * "POINT@child#1!BACKEND=ACTION".
 *
 * A combination the model refuses (short on fd/pipe, succeed on io/read)
 * is not in the table; the test table_follows_the_model checks the table
 * against the model's parser.  A combination the model allows but a
 * backend carries out differently is in the table with what that backend
 * does, and the comment where it is decided says why (docs/faults.md,
 * faults/README.md).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <spawnfault/faults.h>
#ifdef SPF_TEST_SECCOMP
#include <spawnfault/seccomp.h>
#endif

#include "../common/leakcheck.h"
#include "../common/sanitizer.h"

/* The preload target's log fd. */
#define LOG_FD 20
#define LOG_CAPACITY (64 * 1024)
/* A delay long enough to measure, short enough for some 70 cases. */
#define DELAY_MS 20
/* What the read and write probes ask for, and a short transfer's cap. */
#define PAYLOAD 10
#define SHORT_MAX 3

extern char **environ;

enum target {
    PRELOAD_GLIBC,
    PRELOAD_MUSL,
    SECCOMP_DYNAMIC,
    SECCOMP_STATIC,
    SECCOMP_MUSL,
    TARGET__COUNT
};

static const struct {
    const char *name;
    const char *exe_var;     /* the program's path, from meson */
    const char *preload_var; /* the preload's; NULL: the seccomp backend */
} targets[TARGET__COUNT] = {
    [PRELOAD_GLIBC] = {"preload, dynamic glibc", "SPF_TEST_TARGET",
                       "SPF_TEST_PRELOAD"},
    [PRELOAD_MUSL] = {"preload, dynamic musl", "SPF_TEST_TARGET_MUSL",
                      "SPF_TEST_PRELOAD_MUSL"},
    [SECCOMP_DYNAMIC] = {"seccomp, dynamic glibc", "SPF_TEST_SECCOMP_TARGET",
                         NULL},
    [SECCOMP_STATIC] = {"seccomp, static glibc", "SPF_TEST_SECCOMP_STATIC",
                        NULL},
    [SECCOMP_MUSL] = {"seccomp, static musl", "SPF_TEST_SECCOMP_MUSL", NULL},
};

/* The probed calls: the rule's point, the probe, the leaf a record names
 * and the errno of the errno case (one the leaf's man page lists, and
 * not EINTR, which the signal cases produce). */
static const struct point {
    const char *point;
    const char *probe;
    enum spf_fault_call leaf;
    int err;
} points[] = {
    {"spawn/exec", "exec", SPF_CALL_EXECVE, EACCES},
    {"spawn/exec", "spawn", SPF_CALL_EXECVE, ENOENT},
    {"spawn/fork", "fork", SPF_CALL_FORK, EAGAIN},
    {"fd/pipe", "pipe", SPF_CALL_PIPE2, EMFILE},
    {"fd/dup", "dup", SPF_CALL_DUP2, EMFILE},
    {"fd/close", "close", SPF_CALL_CLOSE, EIO},
    {"io/read", "read", SPF_CALL_READ, EIO},
    {"io/write", "write", SPF_CALL_WRITE, ENOSPC},
    {"io/poll", "poll", SPF_CALL_POLL, ENOMEM},
    {"proc/wait", "wait", SPF_CALL_WAITPID, ECHILD},
    {"proc/kill", "kill", SPF_CALL_KILL, EPERM},
    {"proc/chdir", "chdir", SPF_CALL_CHDIR, ENOENT},
    {"proc/setsid", "setsid", SPF_CALL_SETSID, EPERM},
    {"proc/setpgid", "setpgid", SPF_CALL_SETPGID, EPERM},
    {"sig/mask", "mask", SPF_CALL_SIGMASK, EINVAL},
};
#define N_POINTS (sizeof(points) / sizeof(points[0]))
/* The posix_spawn probe: its exec happens inside libc. */
#define SPAWN_ROW 1

enum act {
    ACT_ERRNO,
    ACT_SHORT,
    ACT_DELAY,
    ACT_SIGNAL,  /* the handler has no SA_RESTART */
    ACT_RESTART, /* signal, the handler has SA_RESTART */
    ACT_STOP,
    ACT_KILL,
    ACT_SUCCEED,
    ACT__COUNT
};

static const char *const act_names[ACT__COUNT] = {
    [ACT_ERRNO] = "errno",
    [ACT_SHORT] = "short",
    [ACT_DELAY] = "delay",
    [ACT_SIGNAL] = "signal",
    [ACT_RESTART] = "signal+SA_RESTART",
    [ACT_STOP] = "stop",
    [ACT_KILL] = "kill",
    [ACT_SUCCEED] = "succeed",
};

/* The action as a rule writes it; the errno is the point's. */
static void action_text(const struct point *p, enum act a, char *buf,
                        size_t len)
{
    switch (a) {
    case ACT_ERRNO:
        snprintf(buf, len, "%s", spf_errno_name(p->err));
        break;
    case ACT_SHORT:
        snprintf(buf, len, "short:%d", SHORT_MAX);
        break;
    case ACT_DELAY:
        snprintf(buf, len, "delay:%dms", DELAY_MS);
        break;
    case ACT_SIGNAL:
    case ACT_RESTART:
        snprintf(buf, len, "signal:SIGUSR1");
        break;
    default:
        snprintf(buf, len, "%s", act_names[a]);
        break;
    }
}

static bool can_eintr(const struct point *p)
{
    return spf_fault_errno_valid(p->leaf, EINTR);
}

/*
 * Whether (point, action) is in the table of a backend.  It holds what the
 * model allows (table_follows_the_model checks that), but for two rows of the
 * posix_spawn probe: its exec runs inside libc, where the preload carries
 * out only an errno and a delay (docs/faults.md, "posix_spawn"), and where
 * a stopped or killed exec would stop the spawning child inside
 * posix_spawn, out of the probe's reach.  The exec probe covers them.
 */
static bool in_table(bool seccomp, size_t row, enum act a)
{
    const struct point *p = &points[row];

    if (row == SPAWN_ROW)
        return a == ACT_ERRNO || a == ACT_DELAY;
    switch (a) {
    case ACT_SIGNAL:
        return !seccomp || can_eintr(p);
    case ACT_SHORT:
        return spf_fault_can_be_short(p->leaf);
    case ACT_SUCCEED:
        return spf_fault_can_succeed(p->leaf);
    case ACT_RESTART:
        /* Only a call that could be cut tells SA_RESTART apart. */
        return can_eintr(p);
    default:
        return true;
    }
}

/* One case: indices only, since Criterion hands parameters to the test's
 * own process. */
struct mcase {
    int target;
    int row;
    int act;
};

static void free_cases(struct criterion_test_params *ctp)
{
    cr_free(ctp->params);
}

ParameterizedTestParameters(matrix, fault)
{
    size_t n = 0, cap = TARGET__COUNT * N_POINTS * ACT__COUNT;
    struct mcase *cases = cr_malloc(cap * sizeof(*cases));

    for (int t = 0; t < TARGET__COUNT; t++)
        for (size_t r = 0; r < N_POINTS; r++)
            for (int a = 0; a < ACT__COUNT; a++)
                if (in_table(targets[t].preload_var == NULL, r, (enum act)a))
                    cases[n++] = (struct mcase){t, (int)r, a};
    return cr_make_param_array(struct mcase, cases, n, free_cases);
}

/* ------------------------------------------------------------------ */
/* Running a target                                                    */

struct run {
    char out[4096];
    char err[4096];
    char *log; /* the log's text, malloc'd */
};

/* The target's path, or a skip that says why it is missing. */
static const char *path_of(const char *var)
{
    const char *p = getenv(var);

    if (p == NULL)
        cr_skip_test("%s is unset: run through meson test, in a build "
                     "with musl-gcc (musl targets) and libseccomp "
                     "(seccomp targets)",
                     var);
    if (*p == '\0')
        cr_skip_test("%s is empty: that target could not be built here "
                     "(musl-gcc missing; see tests/faults/meson.build)",
                     var);
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
    ssize_t n = pread(fd, buf, cap - 1, 0);

    cr_assert_geq(n, 0, "reading back: %s", strerror(errno));
    buf[n] = '\0';
}

static void read_log(int fd, struct run *r)
{
    uint64_t dropped, torn;

    cr_assert_eq(spf_fault_log_read(fd, &r->log, &dropped, &torn), 0);
    cr_assert_eq(dropped + torn, 0);
}

static void run_preload(enum target t, const char *plan, const char *probe,
                        struct run *r)
{
    char preload[8192], faults[512], cmd[64];
    const char *exe = path_of(targets[t].exe_var);
    const char *lib = path_of(targets[t].preload_var);
    char *argv[] = {(char *)exe, (char *)"arm", cmd, NULL};
    char *env[] = {(char *)"PATH=/usr/bin:/bin", preload, faults,
                   (char *)"SPF_FAULT_LOG_FD=20", NULL};
    posix_spawn_file_actions_t fa;
    int out = memfd("out"), err = memfd("err");
    int log = spf_fault_log_create(LOG_CAPACITY);
    int status;
    pid_t pid;

    cr_assert_geq(log, 0);
    if (t == PRELOAD_MUSL && getenv("SPF_UNDER_VALGRIND") != NULL)
        cr_skip_test("valgrind cannot run a dynamic musl program (its "
                     "launcher loads glibc's libc.so: \"invalid ELF "
                     "header\"); the musl preload is tested outside it");
    snprintf(preload, sizeof(preload), "LD_PRELOAD=%s%s",
             t == PRELOAD_MUSL ? "" : spf_test_sanitizer_preload(), lib);
    snprintf(faults, sizeof(faults), "SPF_FAULTS=%s", plan);
    snprintf(cmd, sizeof(cmd), "probe:%s", probe);
    cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
    cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, out, 1), 0);
    cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, err, 2), 0);
    cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, log, LOG_FD), 0);
    cr_assert_eq(posix_spawn(&pid, exe, &fa, NULL, argv, env), 0);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    slurp(out, r->out, sizeof(r->out));
    slurp(err, r->err, sizeof(r->err));
    close(out);
    close(err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "target status %#x, stdout: %s, stderr: %s", status, r->out,
              r->err);
    read_log(log, r);
    close(log);
}

#ifdef SPF_TEST_SECCOMP
/* Clearly a skip, never a silent pass, when the kernel (or valgrind,
 * which implements no seccomp(2)) refuses user notification. */
static void skip_if_refused(int rc)
{
    if (rc == -EOPNOTSUPP || rc == -ENOSYS || rc == -EACCES)
        cr_skip_test("seccomp user notification is refused here (%s%s): "
                     "the seccomp backend cannot be tested",
                     strerror(-rc),
                     getenv("SPF_UNDER_VALGRIND") != NULL
                         ? "; valgrind implements no seccomp(2)"
                         : "");
}

static void run_seccomp(enum target t, const char *plan_text, const char *probe,
                        struct run *r)
{
    struct spf_fault_plan plan;
    char outfd[16], name[32], perr[256], *opts;
    const char *exe = path_of(targets[t].exe_var);
    int out = memfd("out"), log = spf_fault_log_create(LOG_CAPACITY);
    char *argv[] = {(char *)exe, outfd, (char *)"probe", name, NULL, NULL};
    int status, rc;

    cr_assert_geq(log, 0);
    cr_assert_eq(spf_fault_plan_parse(plan_text, strlen(plan_text), &plan, perr,
                                      sizeof(perr)),
                 0, "plan %s: %s", plan_text, perr);
    snprintf(name, sizeof(name), "%s", probe);
    if ((opts = strchr(name, ',')) != NULL) {
        *opts++ = '\0';
        argv[4] = opts;
    }
    /* The one fd the target inherits; closed again below. */
    cr_assert_eq(fcntl(out, F_SETFD, 0), 0);
    snprintf(outfd, sizeof(outfd), "%d", out);
    rc = spf_seccomp_run(&plan, argv, environ, log, &status);
    if (rc < 0) {
        close(out);
        close(log);
        skip_if_refused(rc);
        cr_assert_fail("spf_seccomp_run: %s", strerror(-rc));
    }
    slurp(out, r->out, sizeof(r->out));
    r->err[0] = '\0';
    read_log(log, r);
    close(out);
    close(log);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "target status %#x, it wrote: %s", status, r->out);
}
#else
static void run_seccomp(enum target t, const char *plan_text, const char *probe,
                        struct run *r)
{
    (void)plan_text;
    (void)probe;
    (void)r;
    cr_skip_test("%s: built without libseccomp, so without the seccomp "
                 "backend",
                 targets[t].name);
}
#endif

/* ------------------------------------------------------------------ */
/* What the caller must see                                            */

struct want {
    bool call;                   /* a "call" line: the probe's call returned */
    long ret;                    /* its ret= */
    int err;                     /* its errno= */
    long done;                   /* its done= */
    char end[32];                /* the child's end: "exit=0", "signal=9" */
    int stops;                   /* "stopped 19" lines */
    int handled;                 /* "handled 10" lines */
    long min_ms;                 /* a lower bound on the child's life */
    struct spf_fault_record rec; /* action, and its err, want, got... */
};

/* The success value of the probe's call, made for real. */
static void made(const struct point *p, struct want *w)
{
    static const struct {
        const char *probe;
        long ret, done;
    } ok[] = {
        {"spawn", 0, 1},
        {"fork", 0, -1},
        {"pipe", 0, -1},
        {"dup", 0, -1},
        {"close", 0, 1},
        {"read", PAYLOAD, 0},
        {"write", PAYLOAD, PAYLOAD},
        {"poll", 1, -1},
        {"wait", 0, 1},
        {"kill", 0, -1},
        {"chdir", 0, 1},
        {"setsid", 0, 1},
        {"setpgid", 0, 1},
        {"mask", 0, 1},
    };

    snprintf(w->end, sizeof(w->end), "exit=0");
    w->err = 0;
    if (strcmp(p->probe, "exec") == 0) {
        /* Replaced by /bin/false. */
        w->call = false;
        snprintf(w->end, sizeof(w->end), "exit=1");
        return;
    }
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(p->probe, ok[i].probe) == 0) {
            w->call = true;
            w->ret = ok[i].ret;
            w->done = ok[i].done;
            return;
        }
    cr_assert_fail("no success value for probe %s", p->probe);
}

/* The call was not made (an errno, a fake success): its effect is not
 * there; what done= says then. */
static long not_done(const struct point *p)
{
    if (!strcmp(p->probe, "read"))
        return PAYLOAD;
    if (!strcmp(p->probe, "close") || !strcmp(p->probe, "write") ||
        !strcmp(p->probe, "wait") || !strcmp(p->probe, "chdir") ||
        !strcmp(p->probe, "setsid") || !strcmp(p->probe, "setpgid") ||
        !strcmp(p->probe, "mask"))
        return 0;
    return -1;
}

static void failed(const struct point *p, int err, struct want *w)
{
    w->call = true;
    w->ret = -1;
    w->err = err;
    w->done = not_done(p);
    snprintf(w->end, sizeof(w->end), "exit=0");
}

/*
 * A signal whose handler lacks SA_RESTART cuts a call that can fail with
 * EINTR; otherwise the call is made (docs/faults.md).  The seccomp
 * supervisor cannot see the handler's flags and cuts every call it
 * signals (faults/README.md, "Actions"), under SA_RESTART too.  A signal
 * on a point that cannot fail with EINTR is refused for seccomp by the
 * model (a continued fork would restart and count twice, a continued exec
 * die of the signal in the new image): those rows are not in its table,
 * and table_follows_the_model sees the refusal.
 */
static void signalled(const struct point *p, enum act a, bool seccomp,
                      struct want *w)
{
    bool cut = (a == ACT_SIGNAL && can_eintr(p)) || seccomp;

    w->handled = 1;
    w->rec.sig = SIGUSR1;
    w->rec.err = cut ? EINTR : 0;
    if (cut)
        failed(p, EINTR, w);
    else
        made(p, w);
}

/* musl's close() takes EINTR from the system call for a closed fd and
 * returns 0 (Linux always frees the fd), but a call the supervisor cut
 * was never made: the caller sees a success and its fd still open. */
static void musl_close(const struct point *p, enum act a, enum target t,
                       struct want *w)
{
    if (t == SECCOMP_MUSL && p->leaf == SPF_CALL_CLOSE &&
        (a == ACT_SIGNAL || a == ACT_RESTART)) {
        w->ret = 0;
        w->err = 0;
    }
}

static void expect(const struct point *p, enum act a, enum target t,
                   struct want *w)
{
    static const enum spf_fault_action rec_action[ACT__COUNT] = {
        [ACT_ERRNO] = SPF_ACTION_ERRNO,    [ACT_SHORT] = SPF_ACTION_SHORT,
        [ACT_DELAY] = SPF_ACTION_DELAY,    [ACT_SIGNAL] = SPF_ACTION_SIGNAL,
        [ACT_RESTART] = SPF_ACTION_SIGNAL, [ACT_STOP] = SPF_ACTION_STOP,
        [ACT_KILL] = SPF_ACTION_KILL,      [ACT_SUCCEED] = SPF_ACTION_SUCCEED,
    };

    memset(w, 0, sizeof(*w));
    w->rec.scope = SPF_SCOPE_CHILD;
    w->rec.call = p->leaf;
    w->rec.n = 1;
    w->rec.action = rec_action[a];
    switch (a) {
    case ACT_ERRNO:
        failed(p, p->err, w);
        w->rec.err = p->err;
        break;
    case ACT_SHORT:
        made(p, w);
        w->ret = SHORT_MAX;
        w->done = !strcmp(p->probe, "read") ? PAYLOAD - SHORT_MAX : SHORT_MAX;
        w->rec.want = PAYLOAD;
        w->rec.got = SHORT_MAX;
        break;
    case ACT_DELAY:
        made(p, w);
        w->min_ms = DELAY_MS;
        w->rec.delay_ns = DELAY_MS * 1000000ull;
        break;
    case ACT_SIGNAL:
    case ACT_RESTART:
        signalled(p, a, targets[t].preload_var == NULL, w);
        musl_close(p, a, t, w);
        break;
    case ACT_STOP:
        made(p, w);
        w->stops = 1;
        break;
    case ACT_KILL:
        w->call = false;
        snprintf(w->end, sizeof(w->end), "signal=%d", SIGKILL);
        break;
    case ACT_SUCCEED:
        made(p, w);
        w->done = not_done(p);
        break;
    default:
        cr_assert_fail("no action %d", a);
    }
    /* Linux releases the fd whatever close returns but EBADF, and so does
     * the preload's failed close; the supervisor cannot close the
     * caller's fd, which stays open under seccomp. */
    if (!strcmp(p->probe, "close") && w->call && w->ret == -1 &&
        w->err != EBADF && targets[t].preload_var != NULL)
        w->done = 1;
}

/* ------------------------------------------------------------------ */
/* Checking                                                            */

static size_t count_lines(const char *text, const char *line)
{
    size_t n = 0, len = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p += len)
        if ((p == text || p[-1] == '\n') && p[len] == '\n')
            n++;
    return n;
}

static void check_out(const char *what, const struct point *p,
                      const struct want *w, const struct run *r)
{
    char line[128];
    const char *ms;

    snprintf(line, sizeof(line), "call %s ret=%ld errno=%d done=%ld", p->probe,
             w->ret, w->err, w->done);
    if (w->call)
        cr_assert_eq(count_lines(r->out, line), 1,
                     "%s: expected \"%s\" (%s), it wrote:\n%s", what, line,
                     w->err ? spf_errno_name(w->err) : "success", r->out);
    else
        cr_assert_null(strstr(r->out, "call "),
                       "%s: the call should not have returned:\n%s", what,
                       r->out);
    snprintf(line, sizeof(line), "status %s", w->end);
    cr_assert_eq(count_lines(r->out, line), 1, "%s: expected \"%s\":\n%s", what,
                 line, r->out);
    snprintf(line, sizeof(line), "stopped %d", SIGSTOP);
    cr_assert_eq(count_lines(r->out, line), (size_t)w->stops,
                 "%s: %d stop(s) expected:\n%s", what, w->stops, r->out);
    snprintf(line, sizeof(line), "handled %02d", SIGUSR1);
    cr_assert_eq(count_lines(r->out, line), (size_t)w->handled,
                 "%s: the handler should have run %d time(s):\n%s", what,
                 w->handled, r->out);
    ms = strstr(r->out, "ms ");
    cr_assert_not_null(ms, "%s: no time:\n%s", what, r->out);
    cr_assert_geq(strtol(ms + 3, NULL, 10), w->min_ms,
                  "%s: the call took less than the delay:\n%s", what, r->out);
}

/* Exactly one record, the rule's, with every field the action sets. */
static void check_log(const char *what, const struct want *w,
                      const struct run *r)
{
    struct spf_fault_record rec;
    const char *nl = strchr(r->log, '\n');
    const struct spf_fault_record *x = &w->rec;

    cr_assert_not_null(nl, "%s: no record in the log", what);
    cr_assert_str_eq(nl + 1, "", "%s: more than one record:\n%s", what, r->log);
    cr_assert_eq(spf_fault_record_parse(r->log, (size_t)(nl - r->log), &rec), 0,
                 "%s: bad record: %s", what, r->log);
    cr_assert(rec.scope == x->scope && rec.call == x->call && rec.n == x->n &&
                  rec.action == x->action,
              "%s: record %s", what, r->log);
    cr_assert(rec.err == x->err && rec.want == x->want && rec.got == x->got &&
                  rec.delay_ns == x->delay_ns && rec.sig == x->sig,
              "%s: record %s", what, r->log);
    cr_assert_gt(rec.pid, 0, "%s: record %s", what, r->log);
}

/* The sanitizers and valgrind may speak on stderr; nothing else may. */
static void check_quiet(const char *what, const struct run *r)
{
    if (getenv("SPF_UNDER_VALGRIND") != NULL ||
        getenv("SPF_UNDER_SANITIZERS") != NULL)
        return;
    cr_assert_str_eq(r->err, "", "%s: stderr: %s", what, r->err);
}

ParameterizedTest(struct mcase *c, matrix, fault, .timeout = 60)
{
    const struct point *p = &points[c->row];
    enum act a = (enum act)c->act;
    enum target t = (enum target)c->target;
    bool seccomp = targets[t].preload_var == NULL;
    char action[64], plan[256], probe[32], what[512];
    struct want w;
    struct run r = {0};

    action_text(p, a, action, sizeof(action));
    snprintf(plan, sizeof(plan), "%s@child#1!%s=%s", p->point,
             seccomp ? "seccomp" : "preload", action);
    snprintf(probe, sizeof(probe), "%s%s", p->probe,
             a == ACT_SIGNAL    ? ",h"
             : a == ACT_RESTART ? ",r"
                                : "");
    snprintf(what, sizeof(what), "%s, %s probe, rule %s (%s)", targets[t].name,
             p->probe, plan, act_names[a]);
    expect(p, a, t, &w);

    leak_begin();
    if (seccomp)
        run_seccomp(t, plan, probe, &r);
    else
        run_preload(t, plan, probe, &r);
    check_out(what, p, &w, &r);
    check_log(what, &w, &r);
    check_quiet(what, &r);
    free(r.log);
    leak_end();
}

/* The table of each backend holds every (point, action) the model
 * accepts for it, and only those: the rule parses exactly when the row is
 * there. */
Test(matrix, table_follows_the_model)
{
    struct spf_fault_plan plan;
    char action[64], rule[128], err[256];

    for (int seccomp = 0; seccomp < 2; seccomp++)
        for (size_t r = 0; r < N_POINTS; r++) {
            if (r == SPAWN_ROW)
                continue; /* the exec probe's row says it for spawn/exec */
            for (int a = 0; a < ACT__COUNT; a++) {
                action_text(&points[r], (enum act)a, action, sizeof(action));
                snprintf(rule, sizeof(rule), "%s!%s=%s", points[r].point,
                         seccomp ? "seccomp" : "preload", action);
                bool ok = spf_fault_plan_parse(rule, strlen(rule), &plan, err,
                                               sizeof(err)) == 0;
                /* SA_RESTART is the target's, not the rule's: its rule
                 * is the signal's. */
                bool listed = in_table(
                    seccomp, r, a == ACT_RESTART ? ACT_SIGNAL : (enum act)a);
                cr_assert_eq(ok, listed, "%s: the model says %s, the table %s",
                             rule, ok ? "yes" : err, listed ? "yes" : "no");
            }
        }
}
