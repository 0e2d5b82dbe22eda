/*
 * The preload library: LD_PRELOADed into the agent, it wraps the calls of
 * faults.h, counts them per process and per call, and makes the ones the
 * plan names fail or transfer fewer bytes.
 *
 * Contract of every wrapper (the hot path): it may run in a child between
 * fork, vfork or clone(CLONE_VM) and exec, or in a signal handler, so it
 * only uses async-signal-safe calls, takes no lock, allocates nothing,
 * never uses stdio and never calls dlsym once the constructor has run.
 * Shared counters change through __atomic builtins.  errno is what the
 * wrapped call left, or the injected value; our own log write never leaks
 * into it.  The library never prints: fired faults go, one write(2) per
 * record, to the fd named by SPF_FAULT_LOG_FD, and nowhere else.
 *
 * The constructor, which runs before main in a single thread, does
 * everything that allocates: it reads the environment, parses the plan and
 * edits environ for the programs the agent will exec.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spawnfault/faults.h>

#include "preload.h"

#define SPF_EXPORT __attribute__((visibility("default")))

/* The real functions, resolved once by the constructor. */
static struct {
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execv)(const char *, char *const[]);
    int (*execvp)(const char *, char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    int (*fexecve)(int, char *const[], char *const[]);
    pid_t (*fork)(void);
    int (*clone)(int (*)(void *), void *, int, void *, ...);
    int (*pipe)(int[2]);
    int (*pipe2)(int[2], int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*chdir)(const char *);
    int (*fchdir)(int);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*read_chk)(int, void *, size_t, size_t);
    ssize_t (*write)(int, const void *, size_t);
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*poll_chk)(struct pollfd *, nfds_t, int, size_t);
    int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
                 const sigset_t *);
    int (*ppoll_chk)(struct pollfd *, nfds_t, const struct timespec *,
                     const sigset_t *, size_t);
    pid_t (*waitpid)(pid_t, int *, int);
    pid_t (*wait4)(pid_t, int *, int, struct rusage *);
    pid_t (*wait)(int *);
} real;

/* Read by the x86-64 vfork trampoline, which jumps to it. */
void *spf__real_vfork;

static const struct {
    const char *name;
    void **slot;
} real_table[] = {
    {"execve", (void **)&real.execve},
    {"execv", (void **)&real.execv},
    {"execvp", (void **)&real.execvp},
    {"execvpe", (void **)&real.execvpe},
    {"fexecve", (void **)&real.fexecve},
    {"fork", (void **)&real.fork},
    {"vfork", &spf__real_vfork},
    {"clone", (void **)&real.clone},
    {"pipe", (void **)&real.pipe},
    {"pipe2", (void **)&real.pipe2},
    {"dup2", (void **)&real.dup2},
    {"dup3", (void **)&real.dup3},
    {"chdir", (void **)&real.chdir},
    {"fchdir", (void **)&real.fchdir},
    {"read", (void **)&real.read},
    {"__read_chk", (void **)&real.read_chk},
    {"write", (void **)&real.write},
    {"poll", (void **)&real.poll},
    {"__poll_chk", (void **)&real.poll_chk},
    {"ppoll", (void **)&real.ppoll},
    {"__ppoll_chk", (void **)&real.ppoll_chk},
    {"waitpid", (void **)&real.waitpid},
    {"wait4", (void **)&real.wait4},
    {"wait", (void **)&real.wait},
};

/*
 * Another library's constructor may call a wrapped function before ours
 * has run, so a missing pointer is resolved on the spot.  That can only
 * happen before main, single-threaded and long before anything is armed;
 * once the constructor has run, REAL is a plain load.
 */
static void resolve_real(void)
{
    for (size_t i = 0; i < sizeof(real_table) / sizeof(real_table[0]); i++)
        if (*real_table[i].slot == NULL)
            *real_table[i].slot = dlsym(RTLD_NEXT, real_table[i].name);
}

#define REAL(fn) (real.fn != NULL ? real.fn : (resolve_real(), real.fn))

/* Variables private to the preload, alongside the public ones of
 * faults.h: set by the root for the programs its children exec. */
#define ENV_FAULT_ROOT "SPF_FAULT_ROOT"
#define ENV_FAULT_LOG_ID "SPF_FAULT_LOG_ID"

/* Everything the constructor sets up; read-only afterwards, except the
 * armed flag and the counters. */
static struct {
    struct spf_fault_plan plan;
    unsigned call_mask; /* bit per call that some rule names */
    bool exec_rules;    /* some rule has the exec scope */
    unsigned own_scope; /* of own_pid: PARENT in the root, else EXEC */
    pid_t own_pid;      /* the process that ran the constructor */
    int log_fd;         /* -1: faults are not logged */
    int armed;          /* __atomic */
    uint32_t counts[SPF_CALL__COUNT]; /* own_pid's calls, __atomic */
} g = {.log_fd = -1};

/*
 * Counters of the processes that share the address space of own_pid's
 * memory image without being own_pid: fork children (their own copy) and
 * vfork or clone(CLONE_VM) children (the very same memory).  A vfork child
 * borrows the thread, the stack and the TLS of the thread that called
 * vfork, and that thread is suspended until the child execs or exits, so
 * per-thread storage gives each such child counters no one else touches,
 * even when several threads vfork at once.
 *
 * The slots form a stack keyed by pid: a vfork child of a child pushes
 * above its parent's slot instead of resetting it, and a process that
 * vforks drops the slots above its own, whose owners are gone.  Initial
 * exec TLS is a plain %fs-relative access: no allocation, no lock.
 */
#define CHILD_DEPTH 8

struct child_counts {
    pid_t pid;
    uint32_t counts[SPF_CALL__COUNT];
};

static __thread struct {
    unsigned depth;
    struct child_counts slot[CHILD_DEPTH];
} children __attribute__((tls_model("initial-exec")));

/* The kernel's pid, never a cached one: glibc's getpid has cached it in
 * the past, and a clone(CLONE_VM) child shares its parent's cache. */
static pid_t raw_getpid(void)
{
    return (pid_t)syscall(SYS_getpid);
}

static uint32_t next_child_count(pid_t pid, enum spf_fault_call call)
{
    unsigned i = children.depth;

    while (i-- > 0)
        if (children.slot[i].pid == pid)
            return ++children.slot[i].counts[call];

    /* XXX: past CHILD_DEPTH nested vforks the deepest slot is reused;
     * nothing in a spawning library nests that deep. */
    i = children.depth < CHILD_DEPTH ? children.depth++ : CHILD_DEPTH - 1;
    memset(&children.slot[i], 0, sizeof(children.slot[i]));
    children.slot[i].pid = pid;
    return ++children.slot[i].counts[call];
}

/*
 * Called before a child that will share our memory is created: every slot
 * above the caller's own belongs to a child that has already exec'd or
 * exited (the caller could not run otherwise), so the new child starts
 * right above it with fresh counters.
 *
 * XXX: a clone(CLONE_VM) child without CLONE_VFORK runs beside its parent
 * on the same TLS; if the parent makes a second such child before the
 * first execs, the two may share a slot.  Spawning code always uses
 * CLONE_VFORK with CLONE_VM.
 */
static void drop_dead_children(void)
{
    pid_t pid;

    if (!__atomic_load_n(&g.armed, __ATOMIC_ACQUIRE))
        return;
    pid = raw_getpid();
    if (pid == g.own_pid) {
        children.depth = 0;
        return;
    }
    for (unsigned i = children.depth; i-- > 0;) {
        if (children.slot[i].pid == pid) {
            children.depth = i + 1;
            return;
        }
    }
}

/* A call that a rule decided to fault. */
struct hit {
    const struct spf_fault_rule *rule;
    enum spf_fault_call call;
    unsigned scope;
    pid_t pid;
    uint32_t n;
};

/*
 * Counts the call in the caller's process and asks the plan.  Nothing is
 * counted while disarmed, nor for calls no rule names: numbers are only
 * ever compared with rules, so skipping those costs nothing and spares
 * the getpid syscall on every read and write of an unrelated plan.
 */
static bool should_fault(enum spf_fault_call call, struct hit *ret_hit)
{
    struct hit h = {.call = call};
    int rule;

    if (!__atomic_load_n(&g.armed, __ATOMIC_ACQUIRE))
        return false;
    if ((g.call_mask & (1u << call)) == 0)
        return false;

    h.pid = raw_getpid();
    if (h.pid == g.own_pid) {
        h.scope = g.own_scope;
        h.n = __atomic_add_fetch(&g.counts[call], 1, __ATOMIC_RELAXED);
    } else {
        /* Below the root, everything before exec is the child scope; in
         * an exec'd program, its children are still the exec scope. */
        h.scope =
            g.own_scope == SPF_SCOPE_PARENT ? SPF_SCOPE_CHILD : g.own_scope;
        h.n = next_child_count(h.pid, call);
    }

    rule = spf_fault_decide(&g.plan, call, h.scope, h.n);
    if (rule < 0)
        return false;
    h.rule = &g.plan.rules[rule];
    *ret_hit = h;
    return true;
}

/* One write(2) per line, so concurrent writers to a pipe never interleave
 * (every line is far below PIPE_BUF).  errno survives. */
static void log_line(const char *line, size_t len)
{
    int saved = errno;
    ssize_t rc;

    if (g.log_fd < 0)
        return;
    do
        rc = REAL(write)(g.log_fd, line, len);
    while (rc < 0 && errno == EINTR);
    errno = saved;
}

static void log_hit(const struct hit *h, uint64_t want, uint64_t got)
{
    struct spf_fault_record r = {
        .pid = h->pid,
        .scope = h->scope,
        .call = h->call,
        .n = h->n,
        .action = h->rule->action,
        .err = h->rule->err,
        .want = want,
        .got = got,
    };
    char line[SPF_FAULT_RECORD_MAX];
    int len = spf_fault_record_format(&r, line, sizeof(line));

    if (len > 0)
        log_line(line, (size_t)len);
}

/* For calls that can only fail: true, with errno set, when a rule fires.
 * The parser only lets an errno action reach these calls. */
static bool fails(enum spf_fault_call call)
{
    struct hit h;

    if (!should_fault(call, &h) || h.rule->action != SPF_ACTION_ERRNO)
        return false;
    log_hit(&h, 0, 0);
    errno = h.rule->err;
    return true;
}

/* For read and write.  Returns false to let the call through untouched;
 * otherwise either fails it (*ret_count == 0) or cuts the byte count to
 * *ret_count.  A zero count is passed through so a short transfer is
 * never a zero-byte one, which the caller would take for end of file. */
static bool cut_transfer(enum spf_fault_call call, size_t count,
                         struct hit *ret_hit, size_t *ret_count)
{
    struct hit h;

    if (!should_fault(call, &h))
        return false;
    if (h.rule->action == SPF_ACTION_ERRNO) {
        log_hit(&h, 0, 0);
        errno = h.rule->err;
        *ret_count = 0;
        *ret_hit = h;
        return true;
    }
    if (count == 0)
        return false;
    *ret_count = count < h.rule->short_max ? count : h.rule->short_max;
    *ret_hit = h;
    return true;
}

static ssize_t log_transfer(const struct hit *h, size_t want, ssize_t got)
{
    log_hit(h, want, got < 0 ? UINT64_MAX : (uint64_t)got);
    return got;
}

/* Whether envp makes the exec'd program load the preload in the exec
 * scope (the root put ENV_FAULT_ROOT in environ for that). */
static bool env_has_root(char *const envp[])
{
    static const char key[] = ENV_FAULT_ROOT "=";

    if (envp == NULL)
        return false;
    for (char *const *e = envp; *e != NULL; e++)
        if (strncmp(*e, key, sizeof(key) - 1) == 0)
            return true;
    return false;
}

/*
 * The log fd is close-on-exec like every fd we hold.  A program exec'd in
 * the exec scope needs it, so it crosses that one exec only, and only
 * while armed: the exec'd program arms itself only if it finds the log fd
 * open, so an exec done during the agent's own set-up stays unfaulted.
 * Returns whether the flag was cleared, for exec_end.
 */
static bool exec_begin(char *const envp[])
{
    if (!g.exec_rules || g.log_fd <= STDERR_FILENO)
        return false;
    if (!__atomic_load_n(&g.armed, __ATOMIC_ACQUIRE) || !env_has_root(envp))
        return false;
    return fcntl(g.log_fd, F_SETFD, 0) == 0;
}

/* The exec failed: close the log fd on exec again, keep the exec's errno. */
static int exec_end(bool cleared, int ret)
{
    int saved = errno;

    if (cleared)
        fcntl(g.log_fd, F_SETFD, FD_CLOEXEC);
    errno = saved;
    return ret;
}

SPF_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    bool cleared;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    cleared = exec_begin(envp);
    return exec_end(cleared, REAL(execve)(path, argv, envp));
}

SPF_EXPORT int execv(const char *path, char *const argv[])
{
    bool cleared;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    cleared = exec_begin(environ);
    return exec_end(cleared, REAL(execv)(path, argv));
}

SPF_EXPORT int execvp(const char *file, char *const argv[])
{
    bool cleared;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    cleared = exec_begin(environ);
    return exec_end(cleared, REAL(execvp)(file, argv));
}

SPF_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    bool cleared;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    cleared = exec_begin(envp);
    return exec_end(cleared, REAL(execvpe)(file, argv, envp));
}

SPF_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    bool cleared;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    cleared = exec_begin(envp);
    return exec_end(cleared, REAL(fexecve)(fd, argv, envp));
}

/*
 * The execl family takes its argv as variadic arguments.  It may run
 * between vfork and exec, where malloc is forbidden, so the wrapper builds
 * the vector on its own stack (alloca, as glibc's execl does) and hands it
 * to the matching execv function.  The va_list goes by pointer: a callee
 * that reads a va_list by value leaves the caller's one indeterminate.
 */
static size_t count_args(const char *first, va_list *ap)
{
    va_list c;
    size_t n = 0;

    va_copy(c, *ap);
    if (first != NULL)
        for (n = 1; va_arg(c, char *) != NULL; n++)
            ;
    va_end(c);
    return n;
}

/* Fills argv[0..n] with first, the next n - 1 arguments and the NULL. */
static void fill_args(char **argv, size_t n, const char *first, va_list *ap)
{
    argv[0] = (char *)first;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(*ap, char *);
}

SPF_EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char **argv;
    bool cleared;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    va_end(ap);
    cleared = exec_begin(environ);
    return exec_end(cleared, REAL(execv)(path, argv));
}

SPF_EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char **argv;
    bool cleared;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    va_end(ap);
    cleared = exec_begin(environ);
    return exec_end(cleared, REAL(execvp)(file, argv));
}

SPF_EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char **argv;
    char **envp;
    bool cleared;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    envp = va_arg(ap, char **); /* right after the NULL ending argv */
    va_end(ap);
    cleared = exec_begin(envp);
    return exec_end(cleared, REAL(execve)(path, argv, envp));
}

/* fork runs its child on a copy of our memory, so a C wrapper that
 * returns twice is fine here, unlike vfork. */
SPF_EXPORT pid_t fork(void)
{
    if (fails(SPF_CALL_FORK))
        return -1;
    return REAL(fork)();
}

int spf__vfork_gate(void)
{
    /* Contract: see preload.h. */
    if (spf__real_vfork == NULL)
        resolve_real();
    if (fails(SPF_CALL_VFORK))
        return -1;
    drop_dead_children();
    return 0;
}

/*
 * glibc's clone is variadic: parent_tid, tls and child_tid follow arg
 * when the flags use them.  They are read unconditionally and passed on,
 * as glibc's own clone reads its argument registers whatever the flags;
 * the values of absent arguments are never used.  The child runs fn on
 * its own stack and never returns through this frame, so even a
 * CLONE_VFORK child is safe to wrap in C.
 */
SPF_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    va_list ap;
    pid_t *parent_tid;
    void *tls;
    pid_t *child_tid;

    va_start(ap, arg);
    parent_tid = va_arg(ap, pid_t *);
    tls = va_arg(ap, void *);
    child_tid = va_arg(ap, pid_t *);
    va_end(ap);

    /* A thread is not a process: it is neither counted nor faulted. */
    if ((flags & CLONE_THREAD) == 0) {
        if (fails(flags & CLONE_VFORK ? SPF_CALL_VFORK : SPF_CALL_FORK))
            return -1;
        if (flags & CLONE_VM)
            drop_dead_children();
    }
    return REAL(clone)(fn, stack, flags, arg, parent_tid, tls, child_tid);
}

SPF_EXPORT int pipe(int fds[2])
{
    if (fails(SPF_CALL_PIPE2))
        return -1;
    return REAL(pipe)(fds);
}

SPF_EXPORT int pipe2(int fds[2], int flags)
{
    if (fails(SPF_CALL_PIPE2))
        return -1;
    return REAL(pipe2)(fds, flags);
}

SPF_EXPORT int dup2(int oldfd, int newfd)
{
    if (fails(SPF_CALL_DUP2))
        return -1;
    return REAL(dup2)(oldfd, newfd);
}

SPF_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    if (fails(SPF_CALL_DUP2))
        return -1;
    return REAL(dup3)(oldfd, newfd, flags);
}

SPF_EXPORT int chdir(const char *path)
{
    if (fails(SPF_CALL_CHDIR))
        return -1;
    return REAL(chdir)(path);
}

SPF_EXPORT int fchdir(int fd)
{
    if (fails(SPF_CALL_CHDIR))
        return -1;
    return REAL(fchdir)(fd);
}

/* The bodies of read, poll and ppoll, shared with their fortified
 * variants without a trip through the PLT. */
static ssize_t faulty_read(int fd, void *buf, size_t count)
{
    struct hit h;
    size_t cut;

    if (!cut_transfer(SPF_CALL_READ, count, &h, &cut))
        return REAL(read)(fd, buf, count);
    if (h.rule->action == SPF_ACTION_ERRNO)
        return -1;
    return log_transfer(&h, count, REAL(read)(fd, buf, cut));
}

SPF_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
    return faulty_read(fd, buf, count);
}

/* Fortified read: an overflow still reaches glibc's check, which aborts;
 * everything else is a plain read. */
SPF_EXPORT ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen)
{
    if (nbytes > buflen)
        return REAL(read_chk)(fd, buf, nbytes, buflen);
    return faulty_read(fd, buf, nbytes);
}

SPF_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
    struct hit h;
    size_t cut;

    if (!cut_transfer(SPF_CALL_WRITE, count, &h, &cut))
        return REAL(write)(fd, buf, count);
    if (h.rule->action == SPF_ACTION_ERRNO)
        return -1;
    return log_transfer(&h, count, REAL(write)(fd, buf, cut));
}

static int faulty_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    if (fails(SPF_CALL_POLL))
        return -1;
    return REAL(poll)(fds, nfds, timeout);
}

SPF_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    return faulty_poll(fds, nfds, timeout);
}

SPF_EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout,
                          size_t fdslen)
{
    if (fdslen / sizeof(*fds) < nfds)
        return REAL(poll_chk)(fds, nfds, timeout, fdslen);
    return faulty_poll(fds, nfds, timeout);
}

static int faulty_ppoll(struct pollfd *fds, nfds_t nfds,
                        const struct timespec *timeout, const sigset_t *sigmask)
{
    if (fails(SPF_CALL_POLL))
        return -1;
    return REAL(ppoll)(fds, nfds, timeout, sigmask);
}

SPF_EXPORT int ppoll(struct pollfd *fds, nfds_t nfds,
                     const struct timespec *timeout, const sigset_t *sigmask)
{
    return faulty_ppoll(fds, nfds, timeout, sigmask);
}

SPF_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t nfds,
                           const struct timespec *timeout,
                           const sigset_t *sigmask, size_t fdslen)
{
    if (fdslen / sizeof(*fds) < nfds)
        return REAL(ppoll_chk)(fds, nfds, timeout, sigmask, fdslen);
    return faulty_ppoll(fds, nfds, timeout, sigmask);
}

SPF_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    if (fails(SPF_CALL_WAITPID))
        return -1;
    return REAL(waitpid)(pid, status, options);
}

SPF_EXPORT pid_t wait4(pid_t pid, int *status, int options,
                       struct rusage *usage)
{
    if (fails(SPF_CALL_WAITPID))
        return -1;
    return REAL(wait4)(pid, status, options, usage);
}

SPF_EXPORT pid_t wait(int *status)
{
    if (fails(SPF_CALL_WAITPID))
        return -1;
    return REAL(wait)(status);
}

SPF_EXPORT void spf_fault_arm(void)
{
    /* Contract: starts counting and faulting in the calling process, and
     * in the children it makes from then on, with every counter back at
     * zero.  Meant for the process that loaded the preload, typically
     * right before it spawns.  Thread-safe and async-signal-safe. */
    for (size_t i = 0; i < SPF_CALL__COUNT; i++)
        __atomic_store_n(&g.counts[i], 0, __ATOMIC_RELAXED);
    children.depth = 0;
    __atomic_store_n(&g.armed, 1, __ATOMIC_RELEASE);
}

SPF_EXPORT void spf_fault_disarm(void)
{
    /* Contract: stops counting and faulting in the calling process, and in
     * the children it makes from then on; children already running keep
     * their state.  Thread-safe and async-signal-safe. */
    __atomic_store_n(&g.armed, 0, __ATOMIC_RELEASE);
}

/* Everything below runs once, in the constructor. */

/* Writes "spf-fault error=MESSAGE\n".  The model quotes every untrusted
 * byte of its messages, so the line is one line whatever the plan held. */
static void log_error(const char *message)
{
    static const char tag[] = "spf-fault error=";
    char line[512];
    size_t len = strlen(message);

    if (len > sizeof(line) - sizeof(tag))
        len = sizeof(line) - sizeof(tag);
    memcpy(line, tag, sizeof(tag) - 1);
    memcpy(line + sizeof(tag) - 1, message, len);
    line[sizeof(tag) - 1 + len] = '\n';
    log_line(line, sizeof(tag) + len);
}

/* "SEED:STREAM", each one to sixteen hexadecimal digits. */
static int parse_seed(const char *s, uint64_t *ret_seed, uint64_t *ret_stream)
{
    uint64_t v[2] = {0, 0};
    size_t digits = 0;
    int part = 0;

    for (; *s != '\0'; s++) {
        int d = *s >= '0' && *s <= '9'   ? *s - '0'
                : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                         : -1;
        if (*s == ':' && part == 0 && digits > 0) {
            part = 1;
            digits = 0;
            continue;
        }
        if (d < 0 || ++digits > 16)
            return -EINVAL;
        v[part] = v[part] << 4 | (uint64_t)d;
    }
    if (part != 1 || digits == 0)
        return -EINVAL;
    *ret_seed = v[0];
    *ret_stream = v[1];
    return 0;
}

static void load_plan(void)
{
    const char *text = getenv(SPF_ENV_FAULTS);
    const char *seed = getenv(SPF_ENV_FAULT_SEED);
    struct spf_fault_plan plan;
    char err[256];

    if (text == NULL)
        return;
    if (spf_fault_plan_parse(text, strlen(text), &plan, err, sizeof(err)) < 0) {
        log_error(err);
        return;
    }
    if (seed != NULL && parse_seed(seed, &plan.seed, &plan.stream) < 0) {
        log_error(SPF_ENV_FAULT_SEED ": expected SEED:STREAM, two"
                                     " hexadecimal numbers of 1 to 16 digits");
        return;
    }

    g.plan = plan;
    for (size_t i = 0; i < plan.n_rules; i++) {
        g.call_mask |= 1u << plan.rules[i].call;
        if (plan.rules[i].scope & SPF_SCOPE_EXEC)
            g.exec_rules = true;
    }
}

/* Identifies the open file behind fd, so an exec'd program can tell its
 * inherited log fd from an unrelated file that reuses the number. */
static int log_fd_id(int fd, char *buf, size_t len)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -errno;
    snprintf(buf, len, "%llx:%llx", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    return 0;
}

static int parse_fd(const char *s)
{
    long v = 0;

    if (*s == '\0')
        return -EINVAL;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > INT_MAX / 10)
            return -EINVAL;
        v = v * 10 + (*s - '0');
    }
    return v <= INT_MAX ? (int)v : -EINVAL;
}

/*
 * Returns false when SPF_FAULT_LOG_FD is set but unusable: not a number,
 * not open, or (in an exec'd program) not the root's log.  Faults are then
 * disabled, since a fault nobody can see only makes a verdict wrong.
 * Without the variable, faults fire unlogged, for manual runs.
 */
static bool load_log_fd(bool exec_scope)
{
    const char *value = getenv(SPF_ENV_FAULT_LOG_FD);
    const char *want = getenv(ENV_FAULT_LOG_ID);
    char id[64];
    int fd, flags;

    if (value == NULL)
        return true;
    fd = parse_fd(value);
    if (fd < 0 || (flags = fcntl(fd, F_GETFD)) < 0)
        return false;
    if (exec_scope &&
        (want == NULL || log_fd_id(fd, id, sizeof(id)) < 0 || strcmp(id, want)))
        return false;

    /* 0, 1 and 2 are the children's too: closing them on exec would take
     * a manual run's terminal away from every program it starts. */
    if (fd > STDERR_FILENO)
        fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    g.log_fd = fd;
    return true;
}

/* The part of a path after its last '/'. */
static void base_name(const char *s, size_t n, const char **ret, size_t *ret_n)
{
    size_t i = n;

    while (i > 0 && s[i - 1] != '/')
        i--;
    *ret = s + i;
    *ret_n = n - i;
}

/* Whether an LD_PRELOAD entry names this library.  Entries are matched by
 * file name, since LD_PRELOAD may hold a relative path or a bare name. */
static bool is_self(const char *entry, size_t n, const char *self)
{
    const char *a, *b;
    size_t an, bn;

    base_name(entry, n, &a, &an);
    base_name(self, strlen(self), &b, &bn);
    return an == bn && memcmp(a, b, an) == 0;
}

/* Rewrites LD_PRELOAD without this library, keeping the other entries in
 * order; ld.so separates entries with spaces or colons. */
static void remove_self_from_preload(void)
{
    const char *list = getenv("LD_PRELOAD");
    Dl_info info;
    char *kept;
    size_t len = 0;

    if (list == NULL || dladdr((void *)&remove_self_from_preload, &info) == 0 ||
        info.dli_fname == NULL)
        return;
    kept = malloc(strlen(list) + 1);
    if (kept == NULL)
        return;

    for (const char *p = list; *p != '\0';) {
        size_t n = strcspn(p, " :");
        if (n > 0 && !is_self(p, n, info.dli_fname)) {
            if (len > 0)
                kept[len++] = ':';
            memcpy(kept + len, p, n);
            len += n;
        }
        p += n + (p[n] != '\0');
    }
    kept[len] = '\0';
    if (len == 0)
        unsetenv("LD_PRELOAD");
    else
        setenv("LD_PRELOAD", kept, 1);
    free(kept);
}

/*
 * The root decides what the programs its children exec will see.  With no
 * exec-scope rule they must run unfaulted and never learn about us, so the
 * variables and the library go.  Otherwise the variables stay, and two are
 * added: the root's pid, which makes a program exec scope, and the log's
 * identity, which it checks before trusting the inherited log fd.
 */
static void prepare_children_env(void)
{
    char value[64];

    if (!g.exec_rules) {
        unsetenv(SPF_ENV_FAULTS);
        unsetenv(SPF_ENV_FAULT_SEED);
        unsetenv(SPF_ENV_FAULT_LOG_FD);
        unsetenv(ENV_FAULT_LOG_ID);
        remove_self_from_preload();
        return;
    }
    snprintf(value, sizeof(value), "%d", (int)g.own_pid);
    setenv(ENV_FAULT_ROOT, value, 1);
    if (g.log_fd >= 0 && log_fd_id(g.log_fd, value, sizeof(value)) == 0)
        setenv(ENV_FAULT_LOG_ID, value, 1);
    else
        unsetenv(ENV_FAULT_LOG_ID);
}

/*
 * A process without ENV_FAULT_ROOT is the root: scope parent, disarmed
 * until spf_fault_arm.  With it, the process is a program exec'd below a
 * root: scope exec, armed from the start.
 */
__attribute__((constructor)) static void preload_init(void)
{
    bool exec_scope = getenv(ENV_FAULT_ROOT) != NULL;

    resolve_real();
    g.own_pid = raw_getpid();
    g.own_scope = exec_scope ? SPF_SCOPE_EXEC : SPF_SCOPE_PARENT;
    if (load_log_fd(exec_scope))
        load_plan();
    if (!exec_scope)
        prepare_children_env();
    else if (g.plan.n_rules > 0)
        spf_fault_arm();
}
