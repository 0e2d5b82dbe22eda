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
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>
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
    uint64_t id; /* spf_fault_site.proc */
    uint32_t counts[SPF_CALL__COUNT];
};

/* The identity the next child made on this thread will have: set before
 * the real fork, vfork or clone, so the child finds it in its copy of
 * this thread's storage (fork) or in the storage itself (vfork). */
static __thread uint64_t pending_child
    __attribute__((tls_model("initial-exec")));

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

/* Children that run on this thread's stack and TLS (vfork, and clone
 * with CLONE_VM|CLONE_VFORK) may be running: set by the gate before the
 * real call, cleared by the first call the memory's owner makes again. */
static __thread unsigned borrowed __attribute__((tls_model("initial-exec")));

/*
 * The caller's pid, without a system call on the usual path.  The pid
 * page (preload.c) holds the pid of the process whose memory it is, and
 * the kernel zeroes it in every child that gets a copy of the memory
 * (MADV_WIPEONFORK): a zero is a fork child's first sight of it.  A child
 * that shares the memory (vfork) is told apart by the borrowed mark of
 * the thread it runs on, or, after a clone(CLONE_VM) without
 * CLONE_VFORK, by always asking the kernel.
 *
 * XXX: a process made by a raw clone(CLONE_VM) system call, past every
 * wrapper, is taken for its parent.  No spawning code does that.
 */
static pid_t current_pid(void)
{
    struct spf__pid_page *page = spf__preload.pid_page;
    pid_t owner, pid;

    if (page == NULL)
        return raw_getpid();
    owner = __atomic_load_n(&page->pid, __ATOMIC_RELAXED);
    if (__builtin_expect(
            owner != 0 && borrowed == 0 &&
                !__atomic_load_n(&spf__preload.shared_vm, __ATOMIC_RELAXED),
            1))
        return owner;
    pid = raw_getpid();
    if (owner == 0)
        __atomic_store_n(&page->pid, owner = pid, __ATOMIC_RELAXED);
    if (pid == owner)
        borrowed = 0;
    return pid;
}

/* Adds one to a count and returns the new value.  While the process has
 * one thread, one instruction without the bus lock is enough, and it
 * stays whole against a signal handler that counts too (a handler runs
 * between instructions). */
extern char __libc_single_threaded __attribute__((weak));

static uint32_t count_one(uint32_t *n)
{
#if defined(__x86_64__)
    if (&__libc_single_threaded != NULL && __libc_single_threaded) {
        uint32_t old = 1;
        __asm__ volatile("xaddl %0, %1" : "+r"(old), "+m"(*n));
        return old + 1;
    }
#endif
    return __atomic_add_fetch(n, 1, __ATOMIC_RELAXED);
}

/* Counts the call in the slot of child pid, and copies its counts out. */
static uint64_t next_child_counts(pid_t pid, enum spf_fault_call call,
                                  uint32_t ret[SPF_CALL__COUNT])
{
    unsigned i = children.depth;

    while (i-- > 0)
        if (children.slot[i].pid == pid)
            goto found;

    /* XXX: past CHILD_DEPTH nested vforks the deepest slot is reused;
     * nothing in a spawning library nests that deep. */
    i = children.depth < CHILD_DEPTH ? children.depth++ : CHILD_DEPTH - 1;
    memset(&children.slot[i], 0, sizeof(children.slot[i]));
    children.slot[i].pid = pid;
    children.slot[i].id = pending_child;
found:
    children.slot[i].counts[call]++;
    memcpy(ret, children.slot[i].counts, sizeof(children.slot[i].counts));
    return children.slot[i].id;
}

/* The identity of the calling process: the root's (or an exec'd
 * program's) own, or a child's from its slot; a child that has made no
 * counted call yet has none, and takes the one it was given. */
static uint64_t own_id(pid_t pid)
{
    if (pid == spf__preload.own_pid)
        return spf__preload.proc_id;
    for (unsigned i = children.depth; i-- > 0;)
        if (children.slot[i].pid == pid)
            return children.slot[i].id;
    return pending_child;
}

/* Before a process is made: the identity it will have. */
static void name_next_child(void)
{
    uint64_t k;

    if (!__atomic_load_n(&spf__preload.armed, __ATOMIC_ACQUIRE))
        return;
    k = __atomic_add_fetch(&spf__preload.children_made, 1, __ATOMIC_RELAXED);
    pending_child = spf_fault_child_id(own_id(raw_getpid()), k);
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

/*
 * Per-thread counts, for rules that count a thread's calls.  A thread's
 * counts belong to the arming that started them: when the generation
 * moved on (spf_fault_arm), the thread starts again from zero on its next
 * call, without arm having to reach into other threads' storage.
 */
static __thread struct {
    uint32_t generation;
    uint32_t counts[SPF_CALL__COUNT];
} thread_counts __attribute__((tls_model("initial-exec")));

static uint32_t arm_generation; /* __atomic */

static const uint32_t *count_thread(enum spf_fault_call call)
{
    uint32_t gen = __atomic_load_n(&arm_generation, __ATOMIC_RELAXED);

    if (thread_counts.generation != gen) {
        memset(thread_counts.counts, 0, sizeof(thread_counts.counts));
        thread_counts.generation = gen;
    }
    thread_counts.counts[call]++;
    return thread_counts.counts;
}

/* What the predicates of a rule look at: the call's fd and path. */
struct call_args {
    int fd;           /* -1: none */
    const char *path; /* NULL: none */
};

#define NO_ARGS (&(const struct call_args){-1, NULL})

/* A call a rule decided to act on. */
struct hit {
    struct spf_fault_hit h;
    enum spf_fault_call call;
    unsigned scope;
    pid_t pid;
};

/*
 * The decision on the plan in the shared log, which the launcher may
 * rewrite at any time: read under its sequence lock, and decided again if
 * it changed meanwhile.  A writer that died halfway leaves the count odd
 * for good, so the wait is bounded: then nothing fires.
 */
static int decide_shared(struct spf_fault_log_header *log,
                         const struct spf_fault_site *site,
                         struct spf_fault_hit *hit)
{
    for (unsigned tries = 0; tries < (1u << 20); tries++) {
        uint32_t seq = __atomic_load_n(&log->plan_seq, __ATOMIC_ACQUIRE);
        int rule;

        if (seq & 1)
            continue;
        rule = spf_fault_decide(&log->plan, site, hit);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&log->plan_seq, __ATOMIC_RELAXED) == seq)
            return rule;
    }
    return -1;
}

/*
 * Counts the call in the caller's process (and thread, and tree, when some
 * rule counts those) and asks the plan.  Nothing is counted while
 * disarmed, nor for calls no rule names: numbers are only ever compared
 * with rules, so skipping those costs nothing and spares the getpid
 * syscall on every read and write of an unrelated plan.
 */
/* What fd is, for a kind= predicate: fstat and, for a character device,
 * the terminal ioctl, as raw system calls. */
static enum spf_fault_fd_kind fd_kind(int fd)
{
    struct stat st;
    struct termios t;
    int saved = errno;
    enum spf_fault_fd_kind kind = SPF_FD_OTHER;

    if (syscall(SYS_fstat, fd, &st) == 0)
        kind = spf_fault_fd_kind_of(
            st.st_mode,
            S_ISCHR(st.st_mode) && syscall(SYS_ioctl, fd, TCGETS, &t) == 0);
    errno = saved;
    return kind;
}

static bool shared_plan(const struct spf_fault_log_header *log)
{
    return log != NULL && __atomic_load_n(&log->plan_set, __ATOMIC_ACQUIRE);
}

/* Whether any rule names the call: the whole cost of the preload for
 * every other call, so it is inlined into each wrapper. */
static inline bool worth_asking(enum spf_fault_call call)
{
    const struct spf_fault_log_header *log = spf__preload.log_map;
    uint32_t mask;

    if (!__atomic_load_n(&spf__preload.armed, __ATOMIC_ACQUIRE))
        return false;
    mask = spf__preload.call_mask;
    if (__builtin_expect(shared_plan(log), 0))
        mask = __atomic_load_n(&log->plan_leaves[SPF_BACKEND_PRELOAD],
                               __ATOMIC_RELAXED) |
               (spf__preload.count_reached ? mask : 0);
    return (mask & (1u << call)) != 0;
}

__attribute__((noinline)) static bool should_fault(enum spf_fault_call call,
                                                   uint64_t count,
                                                   const struct call_args *args,
                                                   struct hit *ret_hit)
{
    struct spf_fault_site site = {.call = call,
                                  .backend = SPF_BACKEND_PRELOAD,
                                  .count = count,
                                  .fd = args->fd,
                                  .path = args->path,
                                  .exe = spf__preload.exe};
    uint32_t child_counts[SPF_CALL__COUNT];
    uint64_t tree[SPF_CALL__COUNT];
    struct spf_fault_log_header *log = spf__preload.log_map;
    struct hit h = {.call = call};
    bool shared = shared_plan(log);

    h.pid = current_pid();
    if (h.pid == spf__preload.own_pid) {
        uint32_t n = count_one(&spf__preload.counts[call]);

        /* Below every rule's first call number: nothing can fire yet, and
         * nothing else needs counting (see load_plan). */
        if (!shared && n < spf__preload.first_call[call] &&
            !spf__preload.count_reached)
            return false;
        h.scope = spf__preload.own_scope;
        site.proc = spf__preload.proc_id;
        site.process = spf__preload.counts;
        if (shared || spf__preload.count_thread)
            site.thread = count_thread(call);
    } else {
        /* Below the root, everything before exec is the child scope; in
         * an exec'd program, its children are still the exec scope.  A
         * child has one thread: its thread counts are its own. */
        h.scope = spf__preload.own_scope == SPF_SCOPE_PARENT
                      ? SPF_SCOPE_CHILD
                      : spf__preload.own_scope;
        site.proc = next_child_counts(h.pid, call, child_counts);
        site.process = child_counts;
    }
    site.scope = h.scope;
    if (site.fd >= 0 &&
        (shared || (spf__preload.predicates & SPF_PRED_KIND) != 0))
        site.kind = fd_kind(site.fd);
    if (log != NULL && spf__preload.count_reached)
        __atomic_fetch_add(&log->reached[call][__builtin_ctz(h.scope)], 1,
                           __ATOMIC_RELAXED);
    if (log != NULL &&
        (shared ? __atomic_load_n(&log->plan_tree[SPF_BACKEND_PRELOAD],
                                  __ATOMIC_RELAXED) != 0
                : spf__preload.count_tree)) {
        for (unsigned i = 0; i < SPF_CALL__COUNT; i++)
            tree[i] = __atomic_load_n(&log->tree[i], __ATOMIC_RELAXED);
        tree[call] = __atomic_add_fetch(&log->tree[call], 1, __ATOMIC_RELAXED);
        site.tree = tree;
    }

    if ((shared ? decide_shared(log, &site, &h.h)
                : spf_fault_decide(&spf__preload.plan, &site, &h.h)) < 0)
        return false;
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

static void log_hit(const struct hit *h, int err, uint64_t want, uint64_t got)
{
    struct spf_fault_record r = {
        .pid = h->pid,
        .tid = (pid_t)syscall(SYS_gettid),
        .scope = h->scope,
        .call = h->call,
        .n = h->h.n,
        .action = h->h.action,
        .err = err,
        .want = want,
        .got = got,
        .delay_ns = h->h.delay_ns,
        .sig = h->h.sig,
    };
    char line[SPF_FAULT_RECORD_MAX];
    struct timespec now;
    int saved = errno, len;

    if (clock_gettime(CLOCK_MONOTONIC, &now) == 0)
        r.t_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    len = spf_fault_record_format(&r, line, sizeof(line));
    /* Counted first: the count stays exact when the record finds no room. */
    if (spf__preload.log_map)
        __atomic_fetch_add(
            &spf__preload.log_map->counts[h->call][__builtin_ctz(h->scope)], 1,
            __ATOMIC_RELAXED);
    if (len > 0)
        spf__log_line(line, (size_t)len);
    errno = saved;
}

/* Sleeps the whole delay on the monotonic clock, whatever signals come. */
static void sleep_ns(uint64_t ns)
{
    struct timespec t = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

    while (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &t, &t) != 0 &&
           errno == EINTR)
        ;
}

/*
 * Whether sig, sent to the calling thread now, would make a blocking call
 * fail with EINTR: it is not blocked, and its disposition is a handler
 * installed without SA_RESTART.  Asked before the signal is sent, since
 * the handler may change the disposition, and the default action may end
 * the process.
 */
static bool would_interrupt(int sig)
{
    struct sigaction sa;
    uint64_t blocked = 0;

    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked, sizeof(blocked));
    if (blocked & (1ull << (sig - 1)))
        return false;
    if (sigaction(sig, NULL, &sa) < 0)
        return false;
    if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
        return false;
    return (sa.sa_flags & SA_RESTART) == 0;
}

/* The kernel runs an unblocked handler on the way back from tgkill, before
 * this returns; a signal whose default action ends the process ends it
 * here. */
static void signal_self(int sig)
{
    syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid),
            sig);
}

/* What a wrapper does after asking the plan. */
enum verdict {
    GO_ON,   /* call the real function (maybe with fewer bytes) */
    FAIL,    /* return -1; errno is set */
    SUCCEED, /* return the call's success value without calling it */
};

/*
 * Asks the plan about one call and carries out every action that happens
 * before the real call: the delay, the signal, the stop, the kill.  A
 * short transfer is logged by the caller, once it knows what moved.
 */
__attribute__((noinline)) static enum verdict
intercept_slow(enum spf_fault_call call, uint64_t count,
               const struct call_args *args, struct hit *ret_hit)
{
    struct hit h;

    if (!should_fault(call, count, args, &h))
        return GO_ON;
    *ret_hit = h;
    switch (h.h.action) {
    case SPF_ACTION_ERRNO:
        log_hit(&h, h.h.err, 0, 0);
        errno = h.h.err;
        return FAIL;
    case SPF_ACTION_SHORT:
        return GO_ON;
    case SPF_ACTION_DELAY:
        log_hit(&h, 0, 0, 0);
        sleep_ns(h.h.delay_ns);
        return GO_ON;
    case SPF_ACTION_SIGNAL: {
        int saved = errno;
        bool cut =
            would_interrupt(h.h.sig) && spf_fault_errno_valid(call, EINTR);

        /* Logged first: the signal may end the process. */
        log_hit(&h, cut ? EINTR : 0, 0, 0);
        signal_self(h.h.sig);
        errno = cut ? EINTR : saved;
        return cut ? FAIL : GO_ON;
    }
    case SPF_ACTION_STOP:
        log_hit(&h, 0, 0, 0);
        syscall(SYS_kill, (pid_t)syscall(SYS_getpid), SIGSTOP);
        return GO_ON;
    case SPF_ACTION_KILL:
        log_hit(&h, 0, 0, 0);
        syscall(SYS_kill, (pid_t)syscall(SYS_getpid), SIGKILL);
        return FAIL; /* not reached */
    case SPF_ACTION_SUCCEED:
        log_hit(&h, 0, 0, 0);
        return SUCCEED;
    default:
        return GO_ON;
    }
}

static inline enum verdict intercept(enum spf_fault_call call, uint64_t count,
                                     const struct call_args *args,
                                     struct hit *ret_hit)
{
    ret_hit->h.action = SPF_ACTION__COUNT; /* nothing fired */
    if (__builtin_expect(!worth_asking(call), 1))
        return GO_ON;
    return intercept_slow(call, count, args, ret_hit);
}

/* For calls that can only fail or go on: true, with errno set, when the
 * caller must return -1. */
static bool fails_at(enum spf_fault_call call, int fd, const char *path)
{
    struct hit h;

    return intercept(call, 0, &(const struct call_args){fd, path}, &h) == FAIL;
}

static bool fails(enum spf_fault_call call)
{
    return fails_at(call, -1, NULL);
}

static ssize_t log_transfer(const struct hit *h, size_t want, ssize_t got)
{
    log_hit(h, 0, want, got < 0 ? UINT64_MAX : (uint64_t)got);
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
 * A glibc program cannot load the musl build of this library, nor a musl
 * program the glibc build: the loader fails and the program never runs.
 * So when an exec-scope exec starts a program of the other libc, our entry
 * in its LD_PRELOAD is swapped for the build it can load, or dropped when
 * that build is missing or SPF_FAULT_INHERIT=libc says so (the program
 * then runs unfaulted, never broken).
 * The new environment is built on the caller's stack: this runs between
 * vfork and exec.
 */
#define SWAP_ENV_MAX 4096   /* entries; a larger environment is kept as is */
#define SWAP_ENTRY_MAX 4096 /* bytes of the rewritten LD_PRELOAD entry */

static const char preload_key[] = "LD_PRELOAD=";

static size_t env_count(char *const envp[])
{
    size_t n = 0;

    while (envp != NULL && envp[n] != NULL)
        n++;
    return n;
}

/* The room the caller allocates for a swapped environment: none unless
 * this process propagates the preload at all. */
static size_t swap_room(char *const envp[])
{
    size_t n = spf__preload.exec_rules ? env_count(envp) : 0;

    return (n < SWAP_ENV_MAX ? n + 2 : 1) * sizeof(char *);
}

/* "SPF_FAULT_ID=" and 16 hexadecimal digits, NUL-terminated. */
#define ID_ENTRY_MAX (sizeof(SPF_ENV_FAULT_ID) + 17)

static void format_id(char *out, uint64_t id)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = sizeof(SPF_ENV_FAULT_ID) - 1;

    memcpy(out, SPF_ENV_FAULT_ID "=", k + 1);
    for (int i = 15; i >= 0; i--)
        out[k + 1 + (size_t)(15 - i)] = hex[(id >> (4 * i)) & 0xf];
    out[k + 17] = '\0';
}

static bool is_our_build(const char *tok, size_t n)
{
    size_t i = n;

    while (i > 0 && tok[i - 1] != '/')
        i--;
    return (n - i == sizeof(SPF_PRELOAD_GLIBC_NAME) - 1 &&
            memcmp(tok + i, SPF_PRELOAD_GLIBC_NAME, n - i) == 0) ||
           (n - i == sizeof(SPF_PRELOAD_MUSL_NAME) - 1 &&
            memcmp(tok + i, SPF_PRELOAD_MUSL_NAME, n - i) == 0);
}

/* "LD_PRELOAD=" and the list of value with our entries replaced by lib, or
 * dropped when lib is "".  False when it does not fit. */
static bool rewrite_preload(const char *value, const char *lib, char *out)
{
    size_t len = sizeof(preload_key) - 1, cap = SWAP_ENTRY_MAX;

    memcpy(out, preload_key, len);
    for (const char *p = value; *p != '\0';) {
        size_t n = strcspn(p, " :");
        const char *tok = p;

        if (n > 0 && is_our_build(p, n)) {
            tok = lib;
            n = strlen(lib);
        }
        if (n > 0) {
            if (len + n + 2 > cap)
                return false;
            if (len > sizeof(preload_key) - 1)
                out[len++] = ':';
            memcpy(out + len, tok, n);
            len += n;
        }
        p += strcspn(p, " :");
        p += *p != '\0';
    }
    out[len] = '\0';
    return true;
}

/* The value of NAME in envp, or NULL: getenv, on any environment. */
static const char *env_value(char *const envp[], const char *name, size_t len)
{
    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++)
        if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
            return envp[i] + len + 1;
    return NULL;
}

/* The libc of what execvp would run: file itself when it has a '/',
 * else the first executable found along PATH (glibc's default when it is
 * unset).  A probe only: the real execvp still searches on its own. */
static enum spf_libc libc_along_path(const char *file)
{
    const char *path = env_value(environ, "PATH", 4);
    size_t flen = strlen(file);
    char buf[4096];

    if (strchr(file, '/') != NULL)
        return spf_fault_program_libc(file);
    if (path == NULL)
        path = "/bin:/usr/bin";
    for (const char *p = path;; p++) {
        size_t n = strcspn(p, ":");

        if (n + flen + 2 <= sizeof(buf)) {
            memcpy(buf, n > 0 ? p : ".", n > 0 ? n : 1);
            size_t at = n > 0 ? n : 1;
            buf[at++] = '/';
            memcpy(buf + at, file, flen + 1);
            if (access(buf, X_OK) == 0)
                return spf_fault_program_libc(buf);
        }
        p += n;
        if (*p == '\0')
            return SPF_LIBC_UNKNOWN;
    }
}

/*
 * The environment the exec'd program must get: envp itself, or a copy in
 * room (swap_room bytes) whose LD_PRELOAD names the build of the
 * program's libc, written to entry (SWAP_ENTRY_MAX bytes).
 */
static char *const *swap_env(const char *file, bool search, char *const envp[],
                             char **room, char *entry, char *id_entry,
                             uint64_t id)
{
    static const char id_key[] = SPF_ENV_FAULT_ID "=";
    size_t n = env_count(envp), at = n, id_at = n;
    enum spf_libc libc;
    const char *lib;

    if (!spf__preload.exec_rules || n >= SWAP_ENV_MAX ||
        !__atomic_load_n(&spf__preload.armed, __ATOMIC_ACQUIRE) ||
        !env_has_root(envp))
        return envp;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(envp[i], preload_key, sizeof(preload_key) - 1) == 0)
            at = i;
        if (strncmp(envp[i], id_key, sizeof(id_key) - 1) == 0)
            id_at = i;
    }
    memcpy(room, envp, n * sizeof(char *));
    /* The exec'd program goes on as the process that execs it: its
     * identity too. */
    format_id(id_entry, id);
    room[id_at] = id_entry;
    room[id_at == n ? n + 1 : n] = NULL;
    libc = search ? libc_along_path(file) : spf_fault_program_libc(file);
    if ((libc != SPF_LIBC_GLIBC && libc != SPF_LIBC_MUSL) ||
        libc == spf__preload.own_libc || at == n)
        return room;
    lib = spf__preload.same_libc_only ? ""
          : libc == SPF_LIBC_MUSL     ? spf__preload.lib_musl
                                      : spf__preload.lib_glibc;
    if (rewrite_preload(envp[at] + sizeof(preload_key) - 1, lib, entry))
        room[at] = entry;
    return room;
}

/*
 * The wrappers.  Each keeps the contract of the libc function it replaces
 * (see its man page), with one difference: when a rule of the plan fires,
 * it returns -1 with the rule's errno without calling the real function
 * (fork, vfork and clone included), or, for read and write, transfers at
 * most the rule's K bytes.  All are async-signal-safe when the function
 * they wrap is.
 */

/* The stack room of swap_env, in the caller's frame: alloca, since the
 * exec wrappers run between vfork and exec. */
#define SWAP_ROOM(envp)                                                        \
    char **room = __builtin_alloca(swap_room(envp));                           \
    char *entry = __builtin_alloca(SWAP_ENTRY_MAX);                            \
    char *id_entry = __builtin_alloca(ID_ENTRY_MAX)

SPF_EXEC_FRAME SPF_EXPORT int execve(const char *path, char *const argv[],
                                     char *const envp[])
{
    enum exec_log log;
    char *const *env;

    if (fails_at(SPF_CALL_EXECVE, -1, path))
        return -1;
    SWAP_ROOM(envp);
    env = swap_env(path, false, envp, room, entry, id_entry,
                   own_id(current_pid()));
    log = exec_begin(env);
    return exec_end(log, SPF_REAL(execve)(path, argv, env));
}

SPF_EXEC_FRAME SPF_EXPORT int execv(const char *path, char *const argv[])
{
    enum exec_log log;
    char *const *env;

    if (fails_at(SPF_CALL_EXECVE, -1, path))
        return -1;
    SWAP_ROOM(environ);
    env = swap_env(path, false, environ, room, entry, id_entry,
                   own_id(current_pid()));
    log = exec_begin(env);
    if (env == environ)
        return exec_end(log, SPF_REAL(execv)(path, argv));
    return exec_end(log, SPF_REAL(execve)(path, argv, env));
}

SPF_EXEC_FRAME SPF_EXPORT int execvp(const char *file, char *const argv[])
{
    enum exec_log log;
    char *const *env;

    if (fails_at(SPF_CALL_EXECVE, -1, file))
        return -1;
    SWAP_ROOM(environ);
    env = swap_env(file, true, environ, room, entry, id_entry,
                   own_id(current_pid()));
    log = exec_begin(env);
    if (env == environ)
        return exec_end(log, SPF_REAL(execvp)(file, argv));
    return exec_end(log, SPF_REAL(execvpe)(file, argv, env));
}

SPF_EXEC_FRAME SPF_EXPORT int execvpe(const char *file, char *const argv[],
                                      char *const envp[])
{
    enum exec_log log;
    char *const *env;

    if (fails_at(SPF_CALL_EXECVE, -1, file))
        return -1;
    SWAP_ROOM(envp);
    env = swap_env(file, true, envp, room, entry, id_entry,
                   own_id(current_pid()));
    log = exec_begin(env);
    return exec_end(log, SPF_REAL(execvpe)(file, argv, env));
}

SPF_EXEC_FRAME SPF_EXPORT int fexecve(int fd, char *const argv[],
                                      char *const envp[])
{
    enum exec_log log;
    char *const *env;
    char path[32], *p = path + sizeof(path);

    if (fails(SPF_CALL_EXECVE))
        return -1;
    *--p = '\0';
    p = format_uint(p, (unsigned long)(fd >= 0 ? fd : 0));
    p -= 14;
    memcpy(p, "/proc/self/fd/", 14);
    SWAP_ROOM(envp);
    env =
        swap_env(p, false, envp, room, entry, id_entry, own_id(current_pid()));
    log = exec_begin(env);
    return exec_end(log, SPF_REAL(fexecve)(fd, argv, env));
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

/* The execl family's common end, once the fault was decided: argv was
 * built on the caller's stack, the environment is swapped on ours. */
SPF_EXEC_FRAME static int exec_list(const char *file, bool search, char **argv,
                                    char *const envp[])
{
    enum exec_log log;
    char *const *env;

    SWAP_ROOM(envp);
    env = swap_env(file, search, envp, room, entry, id_entry,
                   own_id(current_pid()));
    log = exec_begin(env);
    if (search)
        return exec_end(log, SPF_REAL(execvpe)(file, argv, env));
    return exec_end(log, SPF_REAL(execve)(file, argv, env));
}

/* Fills argv[0..n] with first, the next n - 1 arguments and the NULL. */
static void fill_args(char **argv, size_t n, const char *first, va_list *ap)
{
    argv[0] = (char *)first;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(*ap, char *);
}

SPF_EXEC_FRAME SPF_EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char **argv;

    if (fails_at(SPF_CALL_EXECVE, -1, path))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    va_end(ap);
    return exec_list(path, false, argv, environ);
}

SPF_EXEC_FRAME SPF_EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char **argv;

    if (fails_at(SPF_CALL_EXECVE, -1, file))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    va_end(ap);
    return exec_list(file, true, argv, environ);
}

SPF_EXEC_FRAME SPF_EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char **argv;
    char **envp;

    if (fails_at(SPF_CALL_EXECVE, -1, path))
        return -1;
    va_start(ap, arg);
    n = count_args(arg, &ap);
    argv = __builtin_alloca((n + 1) * sizeof(char *));
    fill_args(argv, n, arg, &ap);
    envp = va_arg(ap, char **); /* right after the NULL ending argv */
    va_end(ap);
    return exec_list(path, false, argv, envp);
}

/* fork runs its child on a copy of our memory, so a C wrapper that
 * returns twice is fine here, unlike vfork. */
SPF_EXPORT pid_t fork(void)
{
    if (fails(SPF_CALL_FORK))
        return -1;
    name_next_child();
    return SPF_REAL(fork)();
}

/*
 * posix_spawn and posix_spawnp make their child and exec it inside libc,
 * where no wrapper is called.  So the wrapper decides for both itself:
 * the process creation is the caller's spawn/fork/vfork call (glibc makes
 * the child with CLONE_VM|CLONE_VFORK), and the exec is call 1 of
 * spawn/exec in a new child.  A fault fails the call with the errno as
 * its return value, as posix_spawn reports a failed exec, and no child is
 * made: the caller sees what it sees when the child's exec fails.  Of the
 * other actions, the caller's own (delay, signal, stop, kill) apply to
 * the creation; for the exec, only a delay can be carried out from here,
 * and the others do not fire: the seccomp backend reaches that child.
 */
static int spawn_exec_fault(const char *path)
{
    uint32_t counts[SPF_CALL__COUNT] = {[SPF_CALL_EXECVE] = 1};
    struct spf_fault_log_header *log = spf__preload.log_map;
    struct spf_fault_site site = {.call = SPF_CALL_EXECVE,
                                  .scope = SPF_SCOPE_CHILD,
                                  .backend = SPF_BACKEND_PRELOAD,
                                  .process = counts,
                                  .fd = -1,
                                  .path = path,
                                  .exe = spf__preload.exe,
                                  .proc = pending_child};
    uint64_t tree[SPF_CALL__COUNT];
    bool shared = shared_plan(log);
    struct hit h = {.call = SPF_CALL_EXECVE, .scope = SPF_SCOPE_CHILD};
    int rule;

    if (!worth_asking(SPF_CALL_EXECVE) ||
        spf__preload.own_scope != SPF_SCOPE_PARENT)
        return 0;
    if (log != NULL &&
        (shared ? __atomic_load_n(&log->plan_tree[SPF_BACKEND_PRELOAD],
                                  __ATOMIC_RELAXED) != 0
                : spf__preload.count_tree)) {
        for (unsigned i = 0; i < SPF_CALL__COUNT; i++)
            tree[i] = __atomic_load_n(&log->tree[i], __ATOMIC_RELAXED);
        tree[SPF_CALL_EXECVE] = __atomic_add_fetch(&log->tree[SPF_CALL_EXECVE],
                                                   1, __ATOMIC_RELAXED);
        site.tree = tree;
    }
    rule = shared ? decide_shared(log, &site, &h.h)
                  : spf_fault_decide(&spf__preload.plan, &site, &h.h);
    if (rule < 0)
        return 0;
    h.pid = current_pid();
    if (h.h.action == SPF_ACTION_ERRNO) {
        log_hit(&h, h.h.err, 0, 0);
        return h.h.err;
    }
    if (h.h.action == SPF_ACTION_DELAY) {
        log_hit(&h, 0, 0, 0);
        sleep_ns(h.h.delay_ns);
    }
    return 0;
}

/* 0 to go on with the real posix_spawn, or the error it must return. */
static int spawn_fault(const char *path)
{
    struct hit h;
    int saved = errno, err = 0;

    if (intercept(SPF_CALL_VFORK, 0, NO_ARGS, &h) == FAIL) {
        err = errno;
    } else {
        name_next_child();
        err = spawn_exec_fault(path);
    }
    errno = saved;
    return err;
}

/*
 * The program posix_spawn starts is exec scope as any other: it gets the
 * environment an exec wrapper would give it (the build of its libc, the
 * identity of the child named at the door) and the log fd, open across
 * that one call.  By the time posix_spawn returns its child has exec'd
 * or failed (glibc and musl both wait for it), so the fd goes back to
 * close-on-exec then.  A file action that closes the fd (closefrom)
 * leaves that program disarmed, as close_fds does an exec'd one.
 */
SPF_EXPORT int posix_spawn(pid_t *pid, const char *path,
                           const posix_spawn_file_actions_t *actions,
                           const posix_spawnattr_t *attr, char *const argv[],
                           char *const envp[])
{
    int err = spawn_fault(path);
    enum exec_log log;
    char *const *env;

    if (err != 0)
        return err;
    SWAP_ROOM(envp);
    env = swap_env(path, false, envp, room, entry, id_entry, pending_child);
    log = exec_begin(env);
    err = SPF_REAL(posix_spawn)(pid, path, actions, attr, argv, env);
    return exec_end(log, err);
}

SPF_EXPORT int posix_spawnp(pid_t *pid, const char *file,
                            const posix_spawn_file_actions_t *actions,
                            const posix_spawnattr_t *attr, char *const argv[],
                            char *const envp[])
{
    int err = spawn_fault(file);
    enum exec_log log;
    char *const *env;

    if (err != 0)
        return err;
    SWAP_ROOM(envp);
    env = swap_env(file, true, envp, room, entry, id_entry, pending_child);
    log = exec_begin(env);
    err = SPF_REAL(posix_spawnp)(pid, file, actions, attr, argv, env);
    return exec_end(log, err);
}

/* glibc's fork without the atfork handlers, since 2.34. */
SPF_EXPORT pid_t _Fork(void)
{
    if (fails(SPF_CALL_FORK))
        return -1;
    name_next_child();
    return SPF_REAL(_Fork)();
}

/* Before a child that will run on this thread's stack and memory: the
 * pid page is made current first, so that the child never claims it. */
static void lend_thread(void)
{
    current_pid();
    borrowed = 1;
}

int spf__vfork_gate(void)
{
    /* Contract: see preload.h. */
    if (spf__real_vfork == NULL)
        spf__resolve_real();
    if (fails(SPF_CALL_VFORK))
        return -1;
    drop_dead_children();
    name_next_child();
    lend_thread();
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
        name_next_child();
        if ((flags & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK))
            lend_thread();
        else if (flags & CLONE_VM)
            __atomic_store_n(&spf__preload.shared_vm, 1, __ATOMIC_RELAXED);
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
    if (fails_at(SPF_CALL_DUP2, oldfd, NULL))
        return -1;
    return SPF_REAL(dup2)(oldfd, newfd);
}

SPF_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    if (fails_at(SPF_CALL_DUP2, oldfd, NULL))
        return -1;
    return SPF_REAL(dup3)(oldfd, newfd, flags);
}

SPF_EXPORT int dup(int oldfd)
{
    if (fails_at(SPF_CALL_DUP2, oldfd, NULL))
        return -1;
    return SPF_REAL(dup)(oldfd);
}

/*
 * Linux releases the fd whatever close returns, EBADF aside (there was
 * none): a failed close still closes, or the program would be left in a
 * state no kernel makes, holding an fd it was told is gone, and a pipe's
 * reader would never see end of file.
 */
SPF_EXPORT int close(int fd)
{
    struct hit h;
    enum verdict v =
        intercept(SPF_CALL_CLOSE, 0, &(const struct call_args){fd, NULL}, &h);

    if (v == FAIL && errno != EBADF) {
        int err = errno;

        SPF_REAL(close)(fd);
        errno = err;
    }
    if (v != GO_ON)
        return v == FAIL ? -1 : 0;
    return SPF_REAL(close)(fd);
}

SPF_EXPORT int kill(pid_t pid, int sig)
{
    struct hit h;
    enum verdict v = intercept(SPF_CALL_KILL, 0, NO_ARGS, &h);

    if (v != GO_ON)
        return v == FAIL ? -1 : 0;
    return SPF_REAL(kill)(pid, sig);
}

SPF_EXPORT pid_t setsid(void)
{
    struct hit h;
    enum verdict v = intercept(SPF_CALL_SETSID, 0, NO_ARGS, &h);

    /* A faked setsid answers what a real one would: the caller's pid. */
    if (v != GO_ON)
        return v == FAIL ? -1 : raw_getpid();
    return SPF_REAL(setsid)();
}

SPF_EXPORT int setpgid(pid_t pid, pid_t pgid)
{
    struct hit h;
    enum verdict v = intercept(SPF_CALL_SETPGID, 0, NO_ARGS, &h);

    if (v != GO_ON)
        return v == FAIL ? -1 : 0;
    return SPF_REAL(setpgid)(pid, pgid);
}

/* A faked mask change changes nothing, but still reports the mask in
 * force, as the caller will use it to restore. */
static void current_mask(sigset_t *oldset)
{
    if (oldset != NULL)
        syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, oldset, _NSIG / 8);
}

SPF_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *oldset)
{
    struct hit h;
    enum verdict v = intercept(SPF_CALL_SIGMASK, 0, NO_ARGS, &h);

    if (v == FAIL)
        return -1;
    if (v == SUCCEED) {
        current_mask(oldset);
        return 0;
    }
    return SPF_REAL(sigprocmask)(how, set, oldset);
}

/* pthread_sigmask returns the error instead of setting errno. */
SPF_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)
{
    struct hit h;
    int saved = errno;
    enum verdict v = intercept(SPF_CALL_SIGMASK, 0, NO_ARGS, &h);

    if (v == FAIL) {
        int err = errno;
        errno = saved;
        return err;
    }
    if (v == SUCCEED) {
        current_mask(oldset);
        return 0;
    }
    return SPF_REAL(pthread_sigmask)(how, set, oldset);
}

SPF_EXPORT int chdir(const char *path)
{
    struct hit h;
    enum verdict v =
        intercept(SPF_CALL_CHDIR, 0, &(const struct call_args){-1, path}, &h);

    if (v != GO_ON)
        return v == FAIL ? -1 : 0;
    return SPF_REAL(chdir)(path);
}

SPF_EXPORT int fchdir(int fd)
{
    struct hit h;
    enum verdict v = intercept(SPF_CALL_CHDIR, 0, NO_ARGS, &h);

    if (v != GO_ON)
        return v == FAIL ? -1 : 0;
    return SPF_REAL(fchdir)(fd);
}

/* The bodies of read, poll and ppoll, shared with their fortified
 * variants without a trip through the PLT. */
static ssize_t faulty_read(int fd, void *buf, size_t count)
{
    struct hit h;
    enum verdict v = intercept(SPF_CALL_READ, count,
                               &(const struct call_args){fd, NULL}, &h);

    if (v == FAIL)
        return -1;
    if (v != GO_ON || h.h.action != SPF_ACTION_SHORT)
        return SPF_REAL(read)(fd, buf, count);
    return log_transfer(&h, count, SPF_REAL(read)(fd, buf, h.h.bytes));
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
    enum verdict v = intercept(SPF_CALL_WRITE, count,
                               &(const struct call_args){fd, NULL}, &h);

    if (v == FAIL)
        return -1;
    if (v == SUCCEED)
        return (ssize_t)count;
    if (h.h.action != SPF_ACTION_SHORT)
        return SPF_REAL(write)(fd, buf, count);
    return log_transfer(&h, count, SPF_REAL(write)(fd, buf, h.h.bytes));
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
    __atomic_add_fetch(&arm_generation, 1, __ATOMIC_RELAXED);
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
