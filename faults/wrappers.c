/*
 * The wrappers: the part of the preload that runs on every wrapped call.
 *
 * Contract: everything in this file may run in a child between fork,
 * vfork or clone(CLONE_VM) and exec, or in a signal handler.  So it makes
 * async-signal-safe calls only, takes no lock, allocates nothing, never
 * touches stdio and, once the constructor has run, never calls dlsym.
 * Shared counters change through __atomic builtins.  errno is what the
 * wrapped call left, or the injected value; the log write never leaks
 * into it.  Nothing is printed: each fired fault is one line, written
 * with one write(2) to the log fd.  The check-child-symbols test lists
 * the undefined symbols of this file against an allow-list.
 *
 * Everything that allocates (the environment, the plan) happens once, in
 * preload.c, before main.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preload.h"

/* Where the trampoline jumps; resolved by the constructor. */
void *spf__real_vfork;

struct spf__real_fns spf__real;

struct spf__preload spf__preload = {.log_fd = -1};

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

    if (!__atomic_load_n(&spf__preload.armed, __ATOMIC_ACQUIRE))
        return;
    pid = raw_getpid();
    if (pid == spf__preload.own_pid) {
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

    if (!__atomic_load_n(&spf__preload.armed, __ATOMIC_ACQUIRE))
        return false;
    if ((spf__preload.call_mask & (1u << call)) == 0)
        return false;

    h.pid = raw_getpid();
    if (h.pid == spf__preload.own_pid) {
        uint32_t *counter = &spf__preload.counts[call];
        h.scope = spf__preload.own_scope;
        h.n = __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
    } else {
        /* Below the root, everything before exec is the child scope; in
         * an exec'd program, its children are still the exec scope. */
        h.scope = spf__preload.own_scope == SPF_SCOPE_PARENT
                      ? SPF_SCOPE_CHILD
                      : spf__preload.own_scope;
        h.n = next_child_count(h.pid, call);
    }

    rule = spf_fault_decide(&spf__preload.plan, call, h.scope, h.n);
    if (rule < 0)
        return false;
    h.rule = &spf__preload.plan.rules[rule];
    *ret_hit = h;
    return true;
}

/* Reserve room in the shared log with one atomic add, then copy: any
 * number of processes and threads append without a lock. */
static void log_append(struct spf_fault_log_header *h, const char *line,
                       size_t len)
{
    uint64_t at = __atomic_fetch_add(&h->used, len, __ATOMIC_RELAXED);

    if (at + len > h->capacity) {
        __atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    memcpy((char *)(h + 1) + at, line, len);
}

/* Into the shared log when there is one; otherwise one write(2) per line,
 * so concurrent writers to a pipe never interleave (every line is far
 * below PIPE_BUF).  errno survives. */
void spf__log_line(const char *line, size_t len)
{
    int saved = errno;
    ssize_t rc;

    if (spf__preload.log_map) {
        log_append(spf__preload.log_map, line, len);
        return;
    }
    if (spf__preload.log_fd < 0)
        return;
    do
        rc = SPF_REAL(write)(spf__preload.log_fd, line, len);
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

    /* Counted first: the count stays exact when the record finds no room. */
    if (spf__preload.log_map)
        __atomic_fetch_add(
            &spf__preload.log_map->counts[h->call][__builtin_ctz(h->scope)], 1,
            __ATOMIC_RELAXED);
    if (len > 0)
        spf__log_line(line, (size_t)len);
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

/*
 * For read and write.  Returns false to let the call through untouched,
 * or true with *ret_hit set: for an errno rule the fault is logged and
 * errno set, and the caller returns -1; for a short rule the caller
 * transfers *ret_count bytes, then logs.  A zero count is passed through,
 * so a short transfer is never a zero-byte one, which the caller would
 * take for end of file.
 */
static bool cut_transfer(enum spf_fault_call call, size_t count,
                         struct hit *ret_hit, size_t *ret_count)
{
    struct hit h;

    if (!should_fault(call, &h))
        return false;
    if (h.rule->action == SPF_ACTION_ERRNO) {
        log_hit(&h, 0, 0);
        errno = h.rule->err;
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
 * scope (the root put SPF_ENV_FAULT_ROOT in environ for that). */
static bool env_has_root(char *const envp[])
{
    static const char key[] = SPF_ENV_FAULT_ROOT "=";

    if (envp == NULL)
        return false;
    for (char *const *e = envp; *e != NULL; e++)
        if (strncmp(*e, key, sizeof(key) - 1) == 0)
            return true;
    return false;
}

/* Decimal digits of v at the end of buf (no NUL); returns the start. */
static char *format_uint(char *end, unsigned long v)
{
    do
        *--end = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return end;
}

/*
 * close_fds, the default of every spawn API, closes the log fd before
 * exec.  The root holds it for the whole case, so the child takes it
 * again from there, at the same number, without close-on-exec.  Returns
 * whether it did.
 */
static bool reopen_log(void)
{
    char path[64], *p = path + sizeof(path);
    int fd, log_fd = spf__preload.log_fd;

    if (spf__preload.root_pid <= 0)
        return false;
    *--p = '\0';
    p = format_uint(p, (unsigned long)log_fd);
    p -= 4;
    memcpy(p, "/fd/", 4);
    p = format_uint(p, (unsigned long)spf__preload.root_pid);
    p -= 6;
    memcpy(p, "/proc/", 6);
    fd = open(p, O_RDWR);
    if (fd < 0)
        return false;
    if (fd != log_fd) {
        int moved = SPF_REAL(dup2)(fd, log_fd);

        close(fd);
        if (moved < 0)
            return false;
    }
    return true;
}

enum exec_log { LOG_KEPT, LOG_CLEARED, LOG_REOPENED };

/*
 * The log fd is close-on-exec like every fd we hold.  A program exec'd in
 * the exec scope needs it, so it crosses that one exec only, and only
 * while armed: the exec'd program arms itself only if it finds the log fd
 * open, so an exec done during the agent's own set-up stays unfaulted.
 * Returns what it did, for exec_end to undo.
 *
 * XXX: while the flag is clear, a fork and exec in another thread of the
 * same process inherits the log fd too.  Only plans with exec-scope rules
 * clear it, and only in a process that is about to exec.
 */
static enum exec_log exec_begin(char *const envp[])
{
    if (!spf__preload.exec_rules || spf__preload.log_fd <= STDERR_FILENO)
        return LOG_KEPT;
    if (!__atomic_load_n(&spf__preload.armed, __ATOMIC_ACQUIRE) ||
        !env_has_root(envp))
        return LOG_KEPT;
    if (fcntl(spf__preload.log_fd, F_SETFD, 0) == 0)
        return LOG_CLEARED;
    return errno == EBADF && reopen_log() ? LOG_REOPENED : LOG_KEPT;
}

/* The exec failed: put the log fd back as it was, keep the exec's errno. */
static int exec_end(enum exec_log how, int ret)
{
    int saved = errno;

    if (how == LOG_CLEARED)
        fcntl(spf__preload.log_fd, F_SETFD, FD_CLOEXEC);
    else if (how == LOG_REOPENED)
        close(spf__preload.log_fd);
    errno = saved;
    return ret;
}

/*
 * The wrappers.  Each keeps the contract of the libc function it replaces
 * (see its man page), with one difference: when a rule of the plan fires,
 * it returns -1 with the rule's errno without calling the real function
 * (fork, vfork and clone included), or, for read and write, transfers at
 * most the rule's K bytes.  All are async-signal-safe when the function
 * they wrap is.
 */

SPF_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    enum exec_log log;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    log = exec_begin(envp);
    return exec_end(log, SPF_REAL(execve)(path, argv, envp));
}

SPF_EXPORT int execv(const char *path, char *const argv[])
{
    enum exec_log log;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    log = exec_begin(environ);
    return exec_end(log, SPF_REAL(execv)(path, argv));
}

SPF_EXPORT int execvp(const char *file, char *const argv[])
{
    enum exec_log log;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    log = exec_begin(environ);
    return exec_end(log, SPF_REAL(execvp)(file, argv));
}

SPF_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    enum exec_log log;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    log = exec_begin(envp);
    return exec_end(log, SPF_REAL(execvpe)(file, argv, envp));
}

SPF_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    enum exec_log log;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    log = exec_begin(envp);
    return exec_end(log, SPF_REAL(fexecve)(fd, argv, envp));
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
    enum exec_log log;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    va_end(ap);
    log = exec_begin(environ);
    return exec_end(log, SPF_REAL(execv)(path, argv));
}

SPF_EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char **argv;
    enum exec_log log;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    va_end(ap);
    log = exec_begin(environ);
    return exec_end(log, SPF_REAL(execvp)(file, argv));
}

SPF_EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char **argv;
    char **envp;
    enum exec_log log;

    if (fails(SPF_CALL_EXECVE))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    envp = va_arg(ap, char **); /* right after the NULL ending argv */
    va_end(ap);
    log = exec_begin(envp);
    return exec_end(log, SPF_REAL(execve)(path, argv, envp));
}

/* fork runs its child on a copy of our memory, so a C wrapper that
 * returns twice is fine here, unlike vfork. */
SPF_EXPORT pid_t fork(void)
{
    if (fails(SPF_CALL_FORK))
        return -1;
    return SPF_REAL(fork)();
}

int spf__vfork_gate(void)
{
    /* Contract: see preload.h. */
    if (spf__real_vfork == NULL)
        spf__resolve_real();
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
 *
 * XXX: a process made with CLONE_SETTLS but without CLONE_THREAD finds
 * the children counters in the TLS block its creator gave it, which may
 * have no room for them.  Only threads get a TLS block of their own in
 * practice, and threads are not counted.
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
    return SPF_REAL(clone)(fn, stack, flags, arg, parent_tid, tls, child_tid);
}

SPF_EXPORT int pipe(int fds[2])
{
    if (fails(SPF_CALL_PIPE2))
        return -1;
    return SPF_REAL(pipe)(fds);
}

SPF_EXPORT int pipe2(int fds[2], int flags)
{
    if (fails(SPF_CALL_PIPE2))
        return -1;
    return SPF_REAL(pipe2)(fds, flags);
}

SPF_EXPORT int dup2(int oldfd, int newfd)
{
    if (fails(SPF_CALL_DUP2))
        return -1;
    return SPF_REAL(dup2)(oldfd, newfd);
}

SPF_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    if (fails(SPF_CALL_DUP2))
        return -1;
    return SPF_REAL(dup3)(oldfd, newfd, flags);
}

SPF_EXPORT int chdir(const char *path)
{
    if (fails(SPF_CALL_CHDIR))
        return -1;
    return SPF_REAL(chdir)(path);
}

SPF_EXPORT int fchdir(int fd)
{
    if (fails(SPF_CALL_CHDIR))
        return -1;
    return SPF_REAL(fchdir)(fd);
}

/* The bodies of read, poll and ppoll, shared with their fortified
 * variants without a trip through the PLT. */
static ssize_t faulty_read(int fd, void *buf, size_t count)
{
    struct hit h;
    size_t cut;

    if (!cut_transfer(SPF_CALL_READ, count, &h, &cut))
        return SPF_REAL(read)(fd, buf, count);
    if (h.rule->action == SPF_ACTION_ERRNO)
        return -1;
    return log_transfer(&h, count, SPF_REAL(read)(fd, buf, cut));
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
        return SPF_REAL(read_chk)(fd, buf, nbytes, buflen);
    return faulty_read(fd, buf, nbytes);
}

SPF_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
    struct hit h;
    size_t cut;

    if (!cut_transfer(SPF_CALL_WRITE, count, &h, &cut))
        return SPF_REAL(write)(fd, buf, count);
    if (h.rule->action == SPF_ACTION_ERRNO)
        return -1;
    return log_transfer(&h, count, SPF_REAL(write)(fd, buf, cut));
}

static int faulty_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    if (fails(SPF_CALL_POLL))
        return -1;
    return SPF_REAL(poll)(fds, nfds, timeout);
}

SPF_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    return faulty_poll(fds, nfds, timeout);
}

SPF_EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout,
                          size_t fdslen)
{
    if (fdslen / sizeof(*fds) < nfds)
        return SPF_REAL(poll_chk)(fds, nfds, timeout, fdslen);
    return faulty_poll(fds, nfds, timeout);
}

static int faulty_ppoll(struct pollfd *fds, nfds_t nfds,
                        const struct timespec *timeout, const sigset_t *sigmask)
{
    if (fails(SPF_CALL_POLL))
        return -1;
    return SPF_REAL(ppoll)(fds, nfds, timeout, sigmask);
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
        return SPF_REAL(ppoll_chk)(fds, nfds, timeout, sigmask, fdslen);
    return faulty_ppoll(fds, nfds, timeout, sigmask);
}

SPF_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    if (fails(SPF_CALL_WAITPID))
        return -1;
    return SPF_REAL(waitpid)(pid, status, options);
}

SPF_EXPORT pid_t wait4(pid_t pid, int *status, int options,
                       struct rusage *usage)
{
    if (fails(SPF_CALL_WAITPID))
        return -1;
    return SPF_REAL(wait4)(pid, status, options, usage);
}

SPF_EXPORT pid_t wait(int *status)
{
    if (fails(SPF_CALL_WAITPID))
        return -1;
    return SPF_REAL(wait)(status);
}

SPF_EXPORT void spf_fault_arm(void)
{
    /* Contract: starts counting and faulting in the calling process, and
     * in the children it makes from then on, with every counter back at
     * zero.  Meant for the process that loaded the preload, typically
     * right before it spawns.  Thread-safe and async-signal-safe. */
    for (size_t i = 0; i < SPF_CALL__COUNT; i++)
        __atomic_store_n(&spf__preload.counts[i], 0, __ATOMIC_RELAXED);
    children.depth = 0;
    __atomic_store_n(&spf__preload.armed, 1, __ATOMIC_RELEASE);
}

SPF_EXPORT void spf_fault_disarm(void)
{
    /* Contract: stops counting and faulting in the calling process, and in
     * the children it makes from then on; children already running keep
     * their state.  Thread-safe and async-signal-safe. */
    __atomic_store_n(&spf__preload.armed, 0, __ATOMIC_RELEASE);
}
