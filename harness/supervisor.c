/*
 * The supervisor: one process per case, forked from the runner.  It owns a
 * process group and is the child subreaper of everything the case starts,
 * so nothing can escape it: after the agent ends, every process left below
 * it is a stray, reported and killed.  A monotonic watchdog escalates from
 * SIGTERM to SIGKILL.  The case's private folder is removed at the end,
 * whatever happened.
 *
 * With seccomp rules, a second thread answers the seccomp notifications
 * of the agent's tree (spf_seccomp_supervise) while the main thread does
 * all of the above.  The main thread alone reaps: the agent, then the
 * strays; the seccomp thread never waits for a process, and returns once
 * the last process of the tree is reaped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if SPF_HAVE_SECCOMP
#include <spawnfault/seccomp.h>
#endif

#include "capture.h"
#include "census.h"
#include "fdio.h"
#include "supervisor.h"
#include "text.h"
#include "wire.h"

/* Room for fault records: some 8000 of them. */
#define SPF__FAULT_LOG_SIZE (1u << 20)
/* Where the agent's own fds go (move_high()). */
#define SPF__AGENT_FD_MIN 1000

/* How long a process may take to go after SIGTERM before SIGKILL. */
#define TERM_GRACE_NS (1000LL * 1000000)

extern char **environ;

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    stop_requested = sig;
}

struct sv {
    const struct spf_case *c;
    const struct spf_harness_config *cfg;
    char dir[PATH_MAX];
    int case_fd, out_fd, log_fd, std_fd[2];
    pid_t agent;
    int agent_pidfd;     /* the agent's pidfd, or -1 */
    int watchdog_signal; /* what the watchdog had to send, or 0 */
    bool interrupted;    /* stopped because the run was interrupted */
    struct spf_outcome o;
    uint32_t *arm_word; /* the seccomp arm word, mapped; NULL without */
    off_t arm_offset;   /* its page's offset in the log */
    int sc_stop;        /* eventfd: stops the seccomp thread; -1 */
#if SPF_HAVE_SECCOMP
    struct spf_seccomp *sc; /* the seccomp run, NULL without rules */
    pthread_t sc_thread;
    bool sc_running;
    int sc_err;   /* what spf_seccomp_supervise returned */
    int sc_stage; /* and the stage of a failure in the agent */
#endif
};

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Record the first harness problem of the case. */
__attribute__((format(printf, 2, 3))) static void note(struct sv *s,
                                                       const char *fmt, ...)
{
    va_list ap;

    if (s->o.harness_error)
        return;
    va_start(ap, fmt);
    if (vasprintf(&s->o.harness_error, fmt, ap) < 0)
        s->o.harness_error = NULL;
    va_end(ap);
}

static int mem_fd(const char *name)
{
    return memfd_create(name, MFD_CLOEXEC);
}

/* Replace every "{case_dir}" and "{helper}" in b. */
static int expand(struct sv *s, struct spf_bytes *b)
{
    const char *tok[] = {"{case_dir}", "{helper}"};
    const char *val[] = {s->dir, s->cfg->helper_path ? s->cfg->helper_path
                                                     : "{helper}"};

    for (int t = 0; t < 2 && b->data; t++) {
        size_t tl = strlen(tok[t]), vl = strlen(val[t]);
        char *at;

        while ((at = memmem(b->data, b->len, tok[t], tl))) {
            size_t off = (size_t)(at - b->data);
            char *n = malloc(b->len - tl + vl + 1);

            if (!n)
                return -ENOMEM;
            memcpy(n, b->data, off);
            memcpy(n + off, val[t], vl);
            memcpy(n + off + vl, at + tl, b->len - off - tl + 1);
            free(b->data);
            b->data = n;
            b->len = b->len - tl + vl;
        }
    }
    return 0;
}

static int expand_case(struct sv *s, struct spf_case *c)
{
    int r = expand(s, &c->executable) | expand(s, &c->cwd);

    for (size_t i = 0; i < c->argc; i++)
        r |= expand(s, &c->argv[i]);
    for (size_t i = 0; i < c->envc; i++)
        r |= expand(s, &c->env_names[i]) | expand(s, &c->env_values[i]);
    return r ? -ENOMEM : 0;
}

/* Create the folders above path (relative to the case folder) that do
 * not exist yet, as `mkdir -p` would. */
static int make_parents(const char *path, size_t dir_len)
{
    char buf[PATH_MAX * 2];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + dir_len + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}

static int make_files(struct sv *s)
{
    for (size_t i = 0; i < s->c->n_files; i++) {
        const struct spf_case_file *f = &s->c->files[i];
        char path[PATH_MAX * 2];
        int fd, r;

        snprintf(path, sizeof(path), "%s/%s", s->dir, f->path);
        if ((r = make_parents(path, strlen(s->dir))) < 0)
            return r;
        if (f->directory) {
            /* Already made as the parent of an earlier file: set its
             * mode all the same. */
            if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
            if (chmod(path, f->mode ? f->mode : 0755) < 0)
                return -errno;
            continue;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return -errno;
        r = spf__write_all(fd, f->content.data ? f->content.data : "",
                           f->content.len);
        if (r == 0 && fchmod(fd, f->mode) < 0)
            r = -errno;
        close(fd);
        if (r < 0)
            return r;
    }
    return 0;
}

static int write_case(struct sv *s, struct spf_case *c)
{
    char *json;
    size_t len;
    int r = expand_case(s, c);

    if (r < 0)
        return r;
    json = spf__case_to_json(c);
    if (!json)
        return -ENOMEM;
    len = strlen(json);
    r = write(s->case_fd, json, len) == (ssize_t)len ? 0 : -EIO;
    free(json);
    if (r == 0 && lseek(s->case_fd, 0, SEEK_SET) < 0)
        r = -errno;
    return r;
}

/* The agent's environment: ours, plus the preload and the fault plan when
 * the case has rules.  The first `borrowed` entries belong to environ. */
struct env {
    char **v;
    size_t borrowed;
};

static int agent_env(struct sv *s, struct env *e)
{
    size_t n = 0;
    char plan[SPF_FAULT_PLAN_TEXT_MAX];
    const char *old = getenv("LD_PRELOAD");
    const struct spf_fault_plan *p = &s->c->faults;

    while (environ[n])
        n++;
    e->v = calloc(n + 6, sizeof(char *));
    if (!e->v)
        return -ENOMEM;
    e->borrowed = 0;
    /* Our own fault variables never pass from the caller: stale ones
     * before the case's would be the ones getenv() finds, and a stray
     * SPF_FAULT_ROOT would make the agent believe it is not the root. */
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "SPF_FAULT", 9) &&
            strncmp(environ[i], SPF__ENV_SECCOMP_ARM "=",
                    sizeof(SPF__ENV_SECCOMP_ARM)) &&
            (!p->n_rules || strncmp(environ[i], "LD_PRELOAD=", 11)))
            e->v[e->borrowed++] = environ[i];
    if (!p->n_rules)
        return 0;
    if (spf_fault_plan_format(p, plan, sizeof(plan)) < 0)
        return -E2BIG;
    e->v[e->borrowed] = spf__strf("LD_PRELOAD=%s%s%s", s->cfg->preload_path,
                                  old ? " " : "", old ? old : "");
    e->v[e->borrowed + 1] = spf__strf("%s=%s", SPF_ENV_FAULTS, plan);
    e->v[e->borrowed + 2] =
        spf__strf("%s=%llx:%llx", SPF_ENV_FAULT_SEED,
                  (unsigned long long)p->seed, (unsigned long long)p->stream);
    e->v[e->borrowed + 3] = spf__strf("%s=%d", SPF_ENV_FAULT_LOG_FD, s->log_fd);
    if (s->arm_word)
        e->v[e->borrowed + 4] = spf__strf("%s=%d:%lld", SPF__ENV_SECCOMP_ARM,
                                          s->log_fd, (long long)s->arm_offset);
    for (int i = 0; i < (s->arm_word ? 5 : 4); i++)
        if (!e->v[e->borrowed + i])
            return -ENOMEM;
    return 0;
}

static void free_env(struct env *e)
{
    if (!e->v)
        return;
    for (size_t i = e->borrowed; e->v[i]; i++)
        free(e->v[i]);
    free(e->v);
}

/*
 * What the agent's process does between fork and exec, prepared in full
 * before the fork: the argument strings, the fds it keeps (sorted) and
 * the environment.  The child makes only async-signal-safe calls (no
 * allocation, no stdio, no locks): the supervisor has a second thread
 * once seccomp rules are in play, and its child must not depend on that
 * thread's state.
 */
struct launch {
    char case_arg[16], out_arg[16];
    char *argv[8];
    int open[3]; /* inherited by the agent: case, outcome, log */
    size_t n_open;
    int keep[5]; /* sorted: the above, and the seccomp child's fds */
    size_t n_keep;
    char **env;
    pid_t supervisor;
};

static void launch_argv(struct sv *s, struct launch *l)
{
    const struct spf_target *t = s->cfg->target;
    size_t n = 0;

    snprintf(l->case_arg, sizeof(l->case_arg), "%d", s->case_fd);
    snprintf(l->out_arg, sizeof(l->out_arg), "%d", s->out_fd);
    if (!t || t->kind == SPF_TARGET_CORE) {
        l->argv[n++] = (char *)s->cfg->agent_path;
    } else {
        l->argv[n++] = (char *)t->program;
        /* Isolated (no PYTHON* variables, no user site), no site module,
         * no bytecode written: the interpreter does only what the adapter
         * says. */
        if (t->kind == SPF_TARGET_CPYTHON) {
            l->argv[n++] = "-I";
            l->argv[n++] = "-S";
            l->argv[n++] = "-B";
        }
        l->argv[n++] = (char *)t->script;
    }
    l->argv[n++] = l->case_arg;
    l->argv[n++] = l->out_arg;
    l->argv[n] = NULL;
}

static void launch_fds(struct sv *s, struct launch *l)
{
    l->open[0] = s->case_fd;
    l->open[1] = s->out_fd;
    l->open[2] = s->log_fd;
    l->n_open = s->c->faults.n_rules ? 3 : 2;
    memcpy(l->keep, l->open, sizeof(l->open));
    l->n_keep = l->n_open;
#if SPF_HAVE_SECCOMP
    /* The seccomp fds stay close-on-exec: the agent never sees them. */
    if (s->sc) {
        spf_seccomp_child_fds(s->sc, l->keep + l->n_keep);
        l->n_keep += 2;
    }
#endif
    /* An insertion sort of five. */
    for (size_t i = 1; i < l->n_keep; i++)
        for (size_t j = i; j > 0 && l->keep[j - 1] > l->keep[j]; j--) {
            int t = l->keep[j];

            l->keep[j] = l->keep[j - 1];
            l->keep[j - 1] = t;
        }
}

/* Async-signal-safe from here to the exec. */

static void keep_open(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags >= 0)
        fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

static bool kept(const int *keep, size_t n, int fd)
{
    for (size_t i = 0; i < n; i++)
        if (keep[i] == fd)
            return true;
    return fd <= 2;
}

/* The directory's fds by number, with getdents64 on a buffer of our own:
 * opendir() would allocate. */
static void close_listed(const int *keep, size_t n)
{
    char buf[4096];
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long got;

    if (dir < 0)
        return;
    while ((got = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0)
        for (long off = 0; off < got;) {
            struct dirent64 *e = (struct dirent64 *)(buf + off);
            int fd = 0;
            const char *c = e->d_name;

            off += e->d_reclen;
            if (*c < '0' || *c > '9')
                continue;
            while (*c >= '0' && *c <= '9')
                fd = fd * 10 + (*c++ - '0');
            if (fd != dir && !kept(keep, n, fd))
                close(fd);
        }
    close(dir);
}

/* Close every fd from 3 up but the n sorted ones in keep: the agent gets
 * its case, its outcome and its log, nothing the caller happened to hold. */
static void close_others(const int *keep, size_t n)
{
    unsigned lo = 3;

    for (size_t i = 0; i <= n; i++) {
        unsigned hi = i < n ? (unsigned)keep[i] : ~0U;

        /* Without close_range (kernels before 5.9, valgrind 3.19), the
         * list of open fds is walked instead. */
        if (hi > lo && close_range(lo, hi - 1, 0) < 0) {
            close_listed(keep, n);
            return;
        }
        if (i < n && hi + 1 > lo)
            lo = hi + 1;
    }
}

/*
 * With seccomp rules, the filter goes in last, right before the exec: the
 * supervisor lets everything the agent does before its first exec through,
 * and every call it holds costs a round trip to the seccomp thread.
 */
_Noreturn static void exec_agent(struct sv *s, const struct launch *l)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int err;

    setpgid(0, 0);
    /* A supervisor killed outright takes its agent along; the runner
     * then finds the rest of the case below itself. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != l->supervisor)
        _exit(127);
    if (null < 0 || dup2(null, 0) < 0 || dup2(s->std_fd[0], 1) < 0 ||
        dup2(s->std_fd[1], 2) < 0 || chdir(s->dir) < 0)
        _exit(127);
    for (size_t i = 0; i < l->n_open; i++)
        keep_open(l->open[i]);
    close_others(l->keep, l->n_keep);
#if SPF_HAVE_SECCOMP
    if (s->sc && (err = spf_seccomp_child_install(s->sc)) < 0) {
        spf_seccomp_child_report(s->sc, SPF_SECCOMP_STAGE_INSTALL, -err);
        _exit(127);
    }
#endif
    execve(l->argv[0], l->argv, l->env);
    err = errno;
#if SPF_HAVE_SECCOMP
    if (s->sc)
        spf_seccomp_child_report(s->sc, SPF_SECCOMP_STAGE_EXEC, err);
#endif
    (void)err;
    _exit(127);
}

static int start_agent(struct sv *s)
{
    struct env env = {0};
    struct launch l = {.supervisor = getpid()};
    int r = agent_env(s, &env);

    if (r < 0) {
        free_env(&env);
        return r;
    }
    launch_argv(s, &l);
    launch_fds(s, &l);
    l.env = env.v;
    s->agent = fork();
    if (s->agent == 0)
        exec_agent(s, &l);
    r = s->agent < 0 ? -errno : 0;
    free_env(&env);
    if (r < 0)
        return r;
    /* Also from here, so the group exists before we may signal it. */
    setpgid(s->agent, s->agent);
    /* Opened before anyone can reap the agent, it names the agent alone
     * whatever happens to its pid: the seccomp thread may signal it. */
    s->agent_pidfd = (int)syscall(SYS_pidfd_open, s->agent, 0);
    return 0;
}

/* Wait for the agent until deadline; 1 when it has exited, 0 when the
 * deadline passed or a stop was requested. */
/* Without a pidfd (kernels before 5.3, valgrind), nothing wakes us when
 * the agent exits: look again at least this often, in ms. */
#define NO_PIDFD_POLL_MS 10

static int wait_until(pid_t pid, int pidfd, int64_t deadline, int *status)
{
    for (;;) {
        int64_t left = deadline - now_ns();
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
        int ms;

        if (waitpid(pid, status, WNOHANG) == pid)
            return 1;
        if (left <= 0 || stop_requested)
            return 0;
        ms = (int)(left / 1000000 + 1);
        if (pidfd < 0 && ms > NO_PIDFD_POLL_MS)
            ms = NO_PIDFD_POLL_MS;
        poll(&pfd, 1, ms);
    }
}

static void escalate(struct sv *s, int pidfd, int *status)
{
    kill(-s->agent, SIGTERM);
    s->watchdog_signal = SIGTERM;
    if (wait_until(s->agent, pidfd, now_ns() + TERM_GRACE_NS, status))
        return;
    kill(-s->agent, SIGKILL);
    s->watchdog_signal = SIGKILL;
    while (waitpid(s->agent, status, 0) < 0 && errno == EINTR)
        ;
}

static void watch_agent(struct sv *s, int *status)
{
    int64_t deadline = s->c->watchdog_ns == SPF_FOREVER
                           ? INT64_MAX
                           : now_ns() + s->c->watchdog_ns;

    if (!wait_until(s->agent, s->agent_pidfd, deadline, status)) {
        s->interrupted = stop_requested != 0;
        escalate(s, s->agent_pidfd, status);
    }
}

static void note_stray(pid_t pid, void *ctx)
{
    struct sv *s = ctx;
    char *d = spf__proc_describe(pid);

    if (d)
        spf__strv_addf(&s->o.strays, &s->o.n_strays, "%s", d);
    free(d);
}

static void read_fault_log(struct sv *s)
{
    uint64_t dropped, torn;
    char *text, *line, *end;

    if (spf_fault_log_read(s->log_fd, &text, &dropped, &torn) < 0 ||
        spf_fault_log_counts(s->log_fd, s->o.fired_counts) < 0) {
        note(s, "cannot read the fault log");
        return;
    }
    /* Records that did not fit are still counted: nothing is lost that a
     * verdict looks at, so a full log is no error. */
    (void)dropped;
    for (int c = 0; c < SPF_CALL__COUNT; c++)
        for (int k = 0; k < SPF_FAULT_SCOPES; k++)
            s->o.fired_total += s->o.fired_counts[c][k];
    if (torn)
        note(s,
             "fault log: %llu records were torn (a writer died while "
             "writing)",
             (unsigned long long)torn);
    for (line = text; *line; line = end + 1) {
        struct spf_fault_record rec, *n;

        end = strchr(line, '\n');
        if (!end)
            break;
        *end = '\0';
        if (spf_fault_record_parse(line, (size_t)(end - line), &rec) < 0) {
            note(s, "fault log: %s", line);
            continue;
        }
        if (s->o.n_fired >= SPF_FIRED_KEEP)
            continue;
        n = realloc(s->o.fired, (s->o.n_fired + 1) * sizeof(*n));
        if (!n)
            break;
        s->o.fired = n;
        s->o.fired[s->o.n_fired++] = rec;
    }
    free(text);
}

/*
 * Only a peer can lack what a case asks for: the core implements every
 * option, so "not applicable" from its agent is a bug of ours, which must
 * fail the case rather than leave it unjudged.
 */
static void refuse_core_not_applicable(struct sv *s, struct spf_outcome *got)
{
    const struct spf_target *t = s->cfg->target;

    if (!got->not_applicable || (t && t->kind != SPF_TARGET_CORE))
        return;
    note(s, "the core's agent reported the case not applicable (%s)",
         got->not_applicable);
    free(got->not_applicable);
    got->not_applicable = NULL;
    got->result = SPF_RESULT_HARNESS;
}

static void read_outcome(struct sv *s, int status)
{
    struct spf_outcome got;
    char err[256], *raw = NULL;
    size_t len = 0;

    if (spf__read_all(s->out_fd, &raw, &len) == 0 && len &&
        spf__outcome_from_json(raw, len, &got, err, sizeof(err)) == 0) {
        refuse_core_not_applicable(s, &got);
        /* Keep our own note (watchdog, interruption) over the agent's. */
        if (s->o.harness_error) {
            free(got.harness_error);
            got.harness_error = s->o.harness_error;
            s->o.harness_error = NULL;
        }
        spf_outcome_clear(&s->o);
        s->o = got;
        free(raw);
        return;
    }
    free(raw);
    s->o.result = SPF_RESULT_HARNESS;
    if (s->interrupted)
        return;
    if (WIFSIGNALED(status))
        note(s,
             "the agent was killed by signal %d before reporting an "
             "outcome",
             WTERMSIG(status));
    else
        note(s, "the agent exited with status %d without an outcome",
             WEXITSTATUS(status));
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    /* Files and folders the case made unwritable must still go. */
    if (flag == FTW_DP || flag == FTW_D)
        chmod(path, 0700);
    return remove(path);
}

void spf__case_dir_remove(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static void close_fds(struct sv *s)
{
    int *fds[] = {&s->case_fd,   &s->out_fd,    &s->log_fd,
                  &s->std_fd[0], &s->std_fd[1], &s->agent_pidfd};

    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}

/*
 * The agent's own fds live at SPF__AGENT_FD_MIN and above, out of the way
 * of the numbers a scenario names (stdout: {fd: 5}, pass_fds: [6]): a
 * case must find such an fd closed, never the harness's outcome.  Where
 * the fd limit is too low for that, the fd stays where it is.
 */
static int move_high(int fd)
{
    int high;

    if (fd < 0 || fd >= SPF__AGENT_FD_MIN)
        return fd;
    high = fcntl(fd, F_DUPFD_CLOEXEC, SPF__AGENT_FD_MIN);
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

static int open_fds(struct sv *s)
{
    s->case_fd = move_high(mem_fd("spf-case"));
    s->out_fd = move_high(mem_fd("spf-outcome"));
    s->log_fd = move_high(spf_fault_log_create(SPF__FAULT_LOG_SIZE));
    s->std_fd[0] = mem_fd("spf-stdout");
    s->std_fd[1] = mem_fd("spf-stderr");
    if (s->log_fd < 0)
        return s->log_fd;
    if (s->case_fd < 0 || s->out_fd < 0 || s->std_fd[0] < 0 || s->std_fd[1] < 0)
        return -errno;
    return 0;
}

int spf__case_dir_make(const struct spf_harness_config *cfg, char *buf,
                       size_t len)
{
    const char *root = cfg->tmp_root ? cfg->tmp_root : getenv("TMPDIR");
    int n =
        snprintf(buf, len, "%s/spf-case-XXXXXX", root && *root ? root : "/tmp");

    if (n < 0 || (size_t)n >= len)
        return -ENAMETOOLONG;
    return mkdtemp(buf) ? 0 : -errno;
}

static int prepare(struct sv *s, struct spf_case *c)
{
    int r;

    if ((r = open_fds(s)) < 0 || (r = make_files(s)) < 0)
        return r;
    return write_case(s, c);
}

/* A case the harness cannot run here, for a reason of the machine's or of
 * the build's: reported, not judged.  Returns 1. */
static int not_applicable(struct sv *s, const char *why)
{
    s->o.result = SPF_RESULT_NOT_APPLICABLE;
    s->o.not_applicable = strdup(why);
    if (!s->o.not_applicable) {
        s->o.result = SPF_RESULT_HARNESS;
        note(s, "out of memory");
    }
    return 1;
}

static bool wants_seccomp(const struct spf_case *c)
{
    for (size_t i = 0; i < c->faults.n_rules; i++)
        if (c->faults.rules[i].backend == SPF_BACKEND_SECCOMP)
            return true;
    return false;
}

#if SPF_HAVE_SECCOMP
/* How long the seccomp thread may take to see the tree gone once the
 * census has reaped it, before it is told to stop. */
#define SECCOMP_JOIN_NS (5LL * 1000000000)

/*
 * The arm word lives in a page of the log memfd past the records (which
 * the preload and spf_fault_log_read() never look at), so the agent needs
 * no fd of its own for it: SPF__ENV_SECCOMP_ARM names the log's fd and
 * the page's offset.
 */
static int map_arm_word(struct sv *s)
{
    long page = sysconf(_SC_PAGESIZE);
    off_t end =
        (off_t)(sizeof(struct spf_fault_log_header) + SPF__FAULT_LOG_SIZE);
    void *map;

    s->arm_offset = (end + page - 1) / page * page;
    if (ftruncate(s->log_fd, s->arm_offset + page) < 0)
        return -errno;
    map = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED,
               s->log_fd, s->arm_offset);
    if (map == MAP_FAILED)
        return -errno;
    s->arm_word = map;
    return 0;
}

static int seccomp_prepare(struct sv *s)
{
    char why[256];
    int r;

    if (!wants_seccomp(s->c))
        return 0;
    r = spf_seccomp_prepare(&s->c->faults, &s->sc);
    if (r == -ENOSYS || r == -EOPNOTSUPP) {
        snprintf(why, sizeof(why),
                 "the case has seccomp rules, and seccomp user "
                 "notification is unavailable here (%s; valgrind, for one, "
                 "implements no seccomp(2))",
                 strerror(-r));
        return not_applicable(s, why);
    }
    if (r < 0 || (r = map_arm_word(s)) < 0)
        return r;
    s->sc_stop = eventfd(0, EFD_CLOEXEC);
    if (s->sc_stop < 0)
        return -errno;
    spf_seccomp_set_arm_word(s->sc, s->arm_word);
    spf_seccomp_leave_root(s->sc);
    spf_seccomp_set_stop_fd(s->sc, s->sc_stop);
    return 0;
}

/*
 * A supervisor that fails leaves the tree running, every notified call
 * failing with ENOSYS: the case means nothing from then on, so the agent
 * is killed at once, through its pidfd since the main thread may have
 * reaped it already.  The census then kills what is left.  A stop
 * (-ECANCELED) comes after the census: nothing is left to kill.
 */
static void *seccomp_main(void *arg)
{
    struct sv *s = arg;

    s->sc_err =
        spf_seccomp_supervise(s->sc, s->agent, s->log_fd, NULL, &s->sc_stage);
    if (s->sc_err < 0 && s->sc_err != -ECANCELED)
        syscall(SYS_pidfd_send_signal, s->agent_pidfd, SIGKILL, NULL, 0);
    return NULL;
}

/* Signals are the main thread's: the thread starts with all blocked, so
 * that a stop request always wakes the watchdog's poll. */
static void seccomp_start(struct sv *s)
{
    sigset_t all, old;
    int r;

    if (!s->sc)
        return;
    if (s->agent_pidfd < 0) {
        /* Without one, its failure could not stop the agent safely. */
        note(s, "cannot start the seccomp supervisor: the kernel gives no "
                "pidfd for the agent");
        kill(-s->agent, SIGKILL);
        return;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r = pthread_create(&s->sc_thread, NULL, seccomp_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r == 0) {
        s->sc_running = true;
        return;
    }
    note(s, "cannot start the seccomp supervisor: %s", strerror(r));
    /* Its exec would wait for an answer forever. */
    kill(-s->agent, SIGKILL);
}

/* What the seccomp thread's failure means for the case: it outranks the
 * agent's own complaint (no outcome), which it explains. */
static void seccomp_failed(struct sv *s)
{
    const char *what = s->sc_stage == SPF_SECCOMP_STAGE_INSTALL
                           ? "cannot install the seccomp filter in the agent"
                       : s->sc_stage == SPF_SECCOMP_STAGE_EXEC
                           ? "cannot exec the agent under the seccomp filter"
                           : "the seccomp supervisor failed";

    if (s->sc_err >= 0 || s->sc_err == -ECANCELED)
        return;
    free(s->o.harness_error);
    s->o.harness_error = NULL;
    s->o.result = SPF_RESULT_HARNESS;
    note(s, "%s: %s%s", what, strerror(-s->sc_err),
         s->sc_err == -EBUSY ? " (the run is already under a seccomp "
                               "supervisor)"
                             : "");
}

/* Once the census has reaped the whole tree, the thread sees it gone. */
static void seccomp_finish(struct sv *s)
{
    int64_t at = now_ns() + SECCOMP_JOIN_NS;
    struct timespec ts = {.tv_sec = at / 1000000000,
                          .tv_nsec = at % 1000000000};
    uint64_t one = 1;

    if (!s->sc_running)
        return;
    if (pthread_clockjoin_np(s->sc_thread, NULL, CLOCK_MONOTONIC, &ts)) {
        s->o.result = SPF_RESULT_HARNESS;
        note(s, "the seccomp supervisor still saw processes of the case "
                "after the census: stopped");
        if (write(s->sc_stop, &one, sizeof(one)) < 0)
            s->sc_err = -errno;
        pthread_join(s->sc_thread, NULL);
    }
    s->sc_running = false;
    seccomp_failed(s);
}

static void seccomp_free(struct sv *s)
{
    spf_seccomp_free(s->sc);
    s->sc = NULL;
    if (s->sc_stop >= 0)
        close(s->sc_stop);
    s->sc_stop = -1;
    if (s->arm_word)
        munmap(s->arm_word, (size_t)sysconf(_SC_PAGESIZE));
    s->arm_word = NULL;
}
#else
static int seccomp_prepare(struct sv *s)
{
    if (!wants_seccomp(s->c))
        return 0;
    return not_applicable(s, "the case has seccomp rules, and this build "
                             "has no seccomp supervisor (built without "
                             "libseccomp: meson option seccomp)");
}

static void seccomp_start(struct sv *s)
{
}

static void seccomp_finish(struct sv *s)
{
}

static void seccomp_free(struct sv *s)
{
}
#endif

static void finish_outcome(struct sv *s)
{
    spf__capture_fd(&s->o.inherited_out, s->std_fd[0]);
    spf__capture_fd(&s->o.inherited_err, s->std_fd[1]);
    read_fault_log(s);
}

static void setup_process(void)
{
    struct sigaction sa = {.sa_handler = on_stop};

    setpgid(0, 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* If the runner dies, clean up as if it had asked us to stop. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
}

int spf__supervise(struct spf_case *c, const struct spf_harness_config *cfg,
                   const char *dir, int result_fd)
{
    struct sv s = {.c = c,
                   .cfg = cfg,
                   .case_fd = -1,
                   .out_fd = -1,
                   .log_fd = -1,
                   .std_fd = {-1, -1},
                   .sc_stop = -1,
                   .agent = -1,
                   .agent_pidfd = -1};
    int status = 0, r;
    char *json;

    snprintf(s.dir, sizeof(s.dir), "%s", dir);
    setup_process();
    r = prepare(&s, c);
    if (r == 0)
        r = seccomp_prepare(&s);
    if (r == 0 && (r = start_agent(&s)) == 0)
        seccomp_start(&s);
    if (r > 0) {
        /* Not applicable: nothing was started. */
    } else if (r < 0) {
        s.o.result = SPF_RESULT_HARNESS;
        note(&s, "cannot set the case up: %s", strerror(-r));
    } else {
        watch_agent(&s, &status);
        /* A case stopped by an interrupt is only that: what the stop
         * did to it (signals, strays) is no finding. */
        if (s.watchdog_signal && !s.interrupted)
            note(&s,
                 "watchdog: the case exceeded its %.3g s and was sent "
                 "%s",
                 (double)c->watchdog_ns / 1e9,
                 s.watchdog_signal == SIGKILL ? "SIGTERM, then SIGKILL"
                                              : "SIGTERM");
        read_outcome(&s, status);
        s.o.watchdog_signal = s.interrupted ? 0 : s.watchdog_signal;
        s.o.interrupted = s.interrupted;
    }
    /* Every process still below us is a stray: reported, killed, reaped. */
    spf__kill_descendants(note_stray, &s);
    seccomp_finish(&s);
    if (s.agent > 0)
        finish_outcome(&s);
    seccomp_free(&s);
    close_fds(&s);
    spf__case_dir_remove(s.dir);
    json = spf__outcome_to_json(&s.o);
    r = json ? spf__write_all(result_fd, json, strlen(json)) : -1;
    free(json);
    spf_outcome_clear(&s.o);
    return r < 0 ? 1 : 0;
}
