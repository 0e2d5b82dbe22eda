/*
 * The seccomp backend's parent side: the filter (prepare), the supervisor
 * that answers the tree's notifications (supervise), and the two joined
 * with a fork (run).  The child's side is seccomp-child.c.
 *
 * The supervisor keeps one entry per process (and per extra thread) of
 * the tree it has heard from, with the calls it made so far and what it
 * is: the launched program (parent), a process forked by it or by another
 * such child that has not exec'd (child), or anything exec'd below them
 * (exec).  How an entry learns that is explained above settle().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp-ctx.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef CLONE_THREAD
#define CLONE_THREAD 0x00010000
#endif

/* Linux 6.6: wake the caller on the supervisor's CPU when answering. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* In /proc/PID/stat's flags: set by fork, cleared by a successful exec. */
#define PF_FORKNOEXEC 0x00000040u

/* The largest transfer a short read or write emulates in one call. */
#define SHORT_BUF (64 * 1024)

/* How often a transfer waiting for its fd checks that its caller still
 * waits (a signal or death withdraws a notification). */
#define RECHECK_MS 100

/* ------------------------------------------------------------------ */
/* The filter                                                          */

/* The system calls behind each point, by name (libseccomp resolves them
 * for the native architecture; a name it does not know there is left
 * out). */
static const char *const family_syscalls[SPF_CALL__COUNT][4] = {
    [SPF_CALL_EXECVE] = {"execve", "execveat"},
    [SPF_CALL_FORK] = {"fork", "clone", "clone3"},
    [SPF_CALL_VFORK] = {"vfork", "clone", "clone3"},
    [SPF_CALL_PIPE2] = {"pipe", "pipe2"},
    [SPF_CALL_DUP2] = {"dup", "dup2", "dup3"},
    [SPF_CALL_CHDIR] = {"chdir", "fchdir"},
    [SPF_CALL_READ] = {"read"},
    [SPF_CALL_WRITE] = {"write"},
    [SPF_CALL_POLL] = {"poll", "ppoll"},
    [SPF_CALL_WAITPID] = {"wait4", "waitid"},
    [SPF_CALL_CLOSE] = {"close"},
    [SPF_CALL_KILL] = {"kill", "tgkill"},
    [SPF_CALL_SETSID] = {"setsid"},
    [SPF_CALL_SETPGID] = {"setpgid"},
    [SPF_CALL_SIGMASK] = {"rt_sigprocmask"},
};

static int add_family(scmp_filter_ctx f, enum spf_fault_call call)
{
    for (size_t i = 0; i < 4 && family_syscalls[call][i]; i++) {
        int nr = seccomp_syscall_resolve_name(family_syscalls[call][i]);
        int r;

        if (nr == __NR_SCMP_ERROR)
            continue;
        r = seccomp_rule_add(f, SCMP_ACT_NOTIFY, nr, 0);
        /* clone is in two families: the second add finds it there. */
        if (r < 0 && r != -EEXIST)
            return r;
    }
    return 0;
}

/* The leaves the plan's seccomp rules name, and execve always: the
 * supervisor must see every exec to tell a child from an exec'd program. */
static int add_rules(scmp_filter_ctx f, const struct spf_fault_plan *plan)
{
    uint32_t want = spf_fault_plan_leaves(plan, SPF_BACKEND_SECCOMP) |
                    1u << SPF_CALL_EXECVE;
    int r;

    for (int c = 0; c < SPF_CALL__COUNT; c++)
        if ((want & (1u << c)) &&
            (r = add_family(f, (enum spf_fault_call)c)) < 0)
            return r;
    return 0;
}

/* The BPF program libseccomp writes to fd, read back into memory. */
static int read_bpf(int fd, struct sock_fprog *ret)
{
    struct stat st;
    struct sock_filter *insns;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (st.st_size <= 0 || st.st_size % sizeof(*insns) != 0 ||
        st.st_size / sizeof(*insns) > BPF_MAXINSNS)
        return -EINVAL;
    insns = malloc((size_t)st.st_size);
    if (!insns)
        return -ENOMEM;
    if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size) {
        free(insns);
        return -EIO;
    }
    ret->filter = insns;
    ret->len = (unsigned short)(st.st_size / sizeof(*insns));
    return 0;
}

/*
 * libseccomp 2.5 exports to an fd only, so into a memfd.  Calls of other
 * architectures (the i386 ABI of an x86-64 process) are let through: the
 * supervisor reads arguments with the native layout.
 */
static int build_filter(const struct spf_fault_plan *plan,
                        struct sock_fprog *ret)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    int fd = -1, r;

    if (!f)
        return -ENOMEM;
    r = seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
    if (r == 0)
        r = add_rules(f, plan);
    if (r == 0 && (fd = memfd_create("spf-seccomp-bpf", MFD_CLOEXEC)) < 0)
        r = -errno;
    if (r == 0)
        r = seccomp_export_bpf(f, fd);
    if (r == 0)
        r = read_bpf(fd, ret);
    if (fd >= 0)
        close(fd);
    seccomp_release(f);
    return r;
}

/* Whether the running kernel answers user notifications at all. */
static int notify_supported(void)
{
    struct seccomp_notif_sizes sizes;

    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
        return errno == EINVAL ? -EOPNOTSUPP : -errno;
    return 0;
}

int spf_seccomp_prepare(const struct spf_fault_plan *plan,
                        struct spf_seccomp **ret_ctx)
{
    struct spf_seccomp *c;
    int r = notify_supported();

    if (r < 0)
        return r;
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->sock[0] = c->sock[1] = c->report[0] = c->report[1] = -1;
    c->stop_fd = -1;
    c->plan = *plan;
    r = build_filter(plan, &c->prog);
    if (r == 0 &&
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sock) < 0)
        r = -errno;
    if (r == 0 && pipe2(c->report, O_CLOEXEC) < 0)
        r = -errno;
    if (r < 0) {
        spf_seccomp_free(c);
        return r;
    }
    *ret_ctx = c;
    return 0;
}

void spf_seccomp_set_arm_word(struct spf_seccomp *ctx, const uint32_t *arm_word)
{
    ctx->arm_word = arm_word;
}

void spf_seccomp_leave_root(struct spf_seccomp *ctx)
{
    ctx->leave_root = true;
}

void spf_seccomp_set_stop_fd(struct spf_seccomp *ctx, int stop_fd)
{
    ctx->stop_fd = stop_fd;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void spf_seccomp_free(struct spf_seccomp *ctx)
{
    if (!ctx)
        return;
    close_fd(&ctx->sock[0]);
    close_fd(&ctx->sock[1]);
    close_fd(&ctx->report[0]);
    close_fd(&ctx->report[1]);
    free(ctx->prog.filter);
    free(ctx);
}

/* ------------------------------------------------------------------ */
/* The supervisor's state                                              */

/* What a process is to the plan.  LAUNCHER is the launched program before
 * its first exec: nothing it does is counted or faulted. */
enum life { LIFE_LAUNCHER, LIFE_PARENT, LIFE_CHILD, LIFE_EXEC };

struct task {
    pid_t tid, tgid; /* a process's entry has tid == tgid */
    int pidfd;       /* readable once it is gone; -1 if none */
    enum life life;  /* in a process's entry */
    bool exec_seen;  /* an exec was let through: settle() at next sight */
    int probe_fd;    /* /proc/TID/mem from before that exec, or -1 */
    uint64_t probe_addr;
    uint32_t pcount[SPF_CALL__COUNT]; /* the process's calls */
    uint32_t tcount[SPF_CALL__COUNT]; /* this thread's calls */
};

/* A notification answered later: after a delay, or when the fd of a short
 * transfer is ready. */
struct op {
    uint64_t id;
    pid_t tid, tgid;
    uint64_t due_ns;          /* CLOCK_MONOTONIC */
    struct spf_fault_hit hit; /* what the plan decided, every draw made */
    bool cont;                /* a delay: let the call run once due */
    bool is_short;            /* a short transfer: */
    bool is_write;
    int target_fd;      /*   the fd, in the target */
    int fd;             /*   the same file, taken; -1 before */
    bool nowait;        /*   preadv2/pwritev2 with RWF_NOWAIT */
    bool waiting;       /*   for poll to say the fd is ready */
    int pfd;            /*   its index in the poll set, or -1 */
    uint64_t buf, want; /*   the target's buffer and count */
    struct spf_fault_record rec;
};

struct sup {
    const struct spf_seccomp *ctx;
    int listener;
    pid_t root;
    int root_pidfd; /* -1 once reaped */
    bool root_reaped;
    int root_status;
    int log_fd;
    struct spf_fault_log_header *log_map;
    size_t log_len;
    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    size_t req_size, resp_size;
    struct task *tasks;
    size_t n_tasks, cap_tasks;
    struct op *ops;
    size_t n_ops, cap_ops;
    uint64_t tree[SPF_CALL__COUNT];
    uint32_t arm_seen; /* the arm word's last odd value, or 0 */
    char buf[SHORT_BUF];
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int pidfd_open_flags(pid_t pid, unsigned flags)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, flags);

    return fd < 0 ? -errno : fd;
}

/* ------------------------------------------------------------------ */
/* /proc                                                               */

/* Read a small /proc file into buf, NUL-terminated. */
static int read_proc(pid_t pid, const char *name, char *buf, size_t len)
{
    char path[64];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    n = read(fd, buf, len - 1);
    if (n < 0)
        n = -errno;
    close(fd);
    if (n < 0)
        return (int)n;
    buf[n] = '\0';
    return 0;
}

/* Field `field` (4: ppid, 9: flags) of /proc/PID/stat, counted as in
 * proc(5); the name in field 2 may hold blanks and parentheses, so
 * counting starts after its last ')'. */
static int stat_field(pid_t pid, int field, unsigned long *ret)
{
    char buf[1024], *p;
    int r = read_proc(pid, "stat", buf, sizeof(buf));

    if (r < 0)
        return r;
    p = strrchr(buf, ')');
    if (!p)
        return -EINVAL;
    for (int f = 3; f <= field; f++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -EINVAL;
    }
    *ret = strtoul(p + 1, NULL, 10);
    return 0;
}

static pid_t tgid_of(pid_t tid)
{
    char buf[2048], *p;

    if (read_proc(tid, "status", buf, sizeof(buf)) < 0)
        return -1;
    p = strstr(buf, "\nTgid:");
    return p ? (pid_t)strtol(p + 6, NULL, 10) : -1;
}

/* ------------------------------------------------------------------ */
/* The task table                                                      */

static struct task *find_task(struct sup *s, pid_t tid)
{
    for (size_t i = 0; i < s->n_tasks; i++)
        if (s->tasks[i].tid == tid)
            return &s->tasks[i];
    return NULL;
}

static struct task *add_task(struct sup *s, pid_t tid, pid_t tgid)
{
    struct task *t;

    if (s->n_tasks == s->cap_tasks) {
        size_t cap = s->cap_tasks ? 2 * s->cap_tasks : 16;
        struct task *n = realloc(s->tasks, cap * sizeof(*n));

        if (!n)
            return NULL;
        s->tasks = n;
        s->cap_tasks = cap;
    }
    t = &s->tasks[s->n_tasks++];
    *t = (struct task){.tid = tid, .tgid = tgid, .probe_fd = -1};
    /* A pidfd tells when the pid may be reused: the entry goes first. */
    t->pidfd = tid == tgid ? pidfd_open_flags(tid, 0)
                           : pidfd_open_flags(tid, PIDFD_THREAD);
    if (t->pidfd < 0)
        t->pidfd = -1;
    return t;
}

static void drop_task(struct sup *s, size_t i)
{
    close_fd(&s->tasks[i].pidfd);
    close_fd(&s->tasks[i].probe_fd);
    s->tasks[i] = s->tasks[--s->n_tasks];
}

/* A process is gone: its entry and those of its threads. */
static void drop_process(struct sup *s, pid_t tgid)
{
    for (size_t i = s->n_tasks; i-- > 0;)
        if (s->tasks[i].tgid == tgid)
            drop_task(s, i);
}

/*
 * Whether an exec let through earlier succeeded.  Before a process's first
 * exec (launcher, child) the kernel says so itself: PF_FORKNOEXEC, set at
 * fork, is cleared by a successful exec.  After it, the memory the process
 * had when it called exec tells: /proc/PID/mem opened then still reads if
 * the exec failed, and reads nothing once exec replaced that memory.
 */
static bool exec_succeeded(struct task *p)
{
    unsigned long flags;
    char byte;

    if (p->life == LIFE_LAUNCHER || p->life == LIFE_CHILD)
        return stat_field(p->tgid, 9, &flags) == 0 && !(flags & PF_FORKNOEXEC);
    return p->probe_fd >= 0 &&
           pread(p->probe_fd, &byte, 1, (off_t)p->probe_addr) != 1;
}

/* Bring a process's entry up to date with an exec it may have done: a new
 * program counts from 1, and anything exec'd is in scope exec but the
 * launched program itself. */
static void settle(struct task *p)
{
    if (!p->exec_seen)
        return;
    if (exec_succeeded(p)) {
        p->life = p->life == LIFE_LAUNCHER ? LIFE_PARENT : LIFE_EXEC;
        memset(p->pcount, 0, sizeof(p->pcount));
        memset(p->tcount, 0, sizeof(p->tcount));
    }
    p->exec_seen = false;
    close_fd(&p->probe_fd);
}

/*
 * What a process we hear from for the first time is.  It has not exec'd
 * (we see every exec), so it is what the nearest ancestor we know made it:
 * a fork of the launched program or of a child is a child, a fork of
 * anything exec'd is exec.  The walk follows ppid through ancestors we
 * never heard from (they have not exec'd either).
 *
 * XXX: an orphan's ppid is no longer its creator's, and an ancestor that
 * exec'd after the fork looks as if it had before; both end as exec.
 */
static enum life inherit_life(struct sup *s, pid_t tgid)
{
    unsigned long ppid;
    pid_t p = tgid;

    for (int depth = 0; depth < 64; depth++) {
        struct task *a;

        if (stat_field(p, 4, &ppid) < 0 || ppid <= 1)
            return LIFE_EXEC;
        p = (pid_t)ppid;
        a = find_task(s, p);
        if (a && a->tid == a->tgid) {
            settle(a);
            if (a->life == LIFE_LAUNCHER)
                return LIFE_LAUNCHER;
            return a->life == LIFE_EXEC ? LIFE_EXEC : LIFE_CHILD;
        }
    }
    return LIFE_EXEC;
}

/* The entry of process tgid, made if new. */
static struct task *process_entry(struct sup *s, pid_t tgid)
{
    struct task *p = find_task(s, tgid);
    enum life life;

    if (p)
        return p;
    life = inherit_life(s, tgid);
    p = add_task(s, tgid, tgid);
    if (p)
        p->life = life;
    return p;
}

/* The thread tid's entry and its process's (the same for a process's
 * first thread), or false when tid is already gone. */
static bool lookup(struct sup *s, pid_t tid, struct task **ret_thread,
                   struct task **ret_process)
{
    struct task *t = find_task(s, tid), *p;
    pid_t tgid = t ? t->tgid : tgid_of(tid);

    if (tgid <= 0)
        return false;
    p = process_entry(s, tgid);
    if (!p)
        return false;
    /* process_entry may have moved the table. */
    t = tid == tgid ? p : find_task(s, tid);
    if (!t)
        t = add_task(s, tid, tgid);
    p = find_task(s, tgid);
    if (!t || !p)
        return false;
    settle(p);
    *ret_thread = t;
    *ret_process = p;
    return true;
}

/* ------------------------------------------------------------------ */
/* Notifications: which point, answers, the log                       */

/* The flags of a clone3 call, from the struct in the caller's memory.  The
 * notification is checked again after the read: the memory may have been
 * another process's by then (seccomp_unotify(2)). */
static int clone3_flags(struct sup *s, uint64_t *ret)
{
    uint64_t flags;
    struct iovec local = {.iov_base = &flags, .iov_len = sizeof(flags)};
    struct iovec remote = {.iov_base = (void *)s->req->data.args[0],
                           .iov_len = sizeof(flags)};

    if (s->req->data.args[1] < sizeof(flags))
        return -EINVAL;
    if (process_vm_readv(s->req->pid, &local, 1, &remote, 1, 0) !=
        (ssize_t)sizeof(flags))
        return -EFAULT;
    if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &s->req->id) < 0)
        return -ENOENT;
    *ret = flags;
    return 0;
}

/* The point a process-making call belongs to; -1 for a thread, which is
 * let through uncounted; -ENOENT when the notification went away. */
static int clone_family(struct sup *s, int nr)
{
    uint64_t flags = 0;
    int r;

    if (nr == SYS_clone)
        flags = s->req->data.args[0];
    else if ((r = clone3_flags(s, &flags)) < 0)
        return r == -ENOENT ? r : SPF_CALL_FORK; /* the kernel will say */
    if (flags & CLONE_THREAD)
        return -1;
    return flags & CLONE_VFORK ? SPF_CALL_VFORK : SPF_CALL_FORK;
}

/* The point of the call in s->req: an enum spf_fault_call, -1 to let it
 * through uncounted, -ENOENT when it went away. */
static int family_of(struct sup *s)
{
    int nr = s->req->data.nr;

    switch (nr) {
    case SYS_execve:
    case SYS_execveat:
        return SPF_CALL_EXECVE;
#ifdef SYS_fork
    case SYS_fork:
        return SPF_CALL_FORK;
#endif
#ifdef SYS_vfork
    case SYS_vfork:
        return SPF_CALL_VFORK;
#endif
    case SYS_clone:
    case SYS_clone3:
        return clone_family(s, nr);
#ifdef SYS_pipe
    case SYS_pipe:
#endif
    case SYS_pipe2:
        return SPF_CALL_PIPE2;
#ifdef SYS_dup2
    case SYS_dup2:
#endif
    case SYS_dup3:
        return SPF_CALL_DUP2;
    case SYS_chdir:
    case SYS_fchdir:
        return SPF_CALL_CHDIR;
    case SYS_read:
        return SPF_CALL_READ;
    case SYS_write:
        return SPF_CALL_WRITE;
#ifdef SYS_poll
    case SYS_poll:
#endif
    case SYS_ppoll:
        return SPF_CALL_POLL;
    case SYS_wait4:
    case SYS_waitid:
        return SPF_CALL_WAITPID;
    case SYS_close:
        return SPF_CALL_CLOSE;
    case SYS_dup:
        return SPF_CALL_DUP2;
    case SYS_kill:
    case SYS_tgkill:
        return SPF_CALL_KILL;
    case SYS_setsid:
        return SPF_CALL_SETSID;
    case SYS_setpgid:
        return SPF_CALL_SETPGID;
    case SYS_rt_sigprocmask:
        return SPF_CALL_SIGMASK;
    }
    return -1;
}

static unsigned scope_of(enum life life)
{
    if (life == LIFE_PARENT)
        return SPF_SCOPE_PARENT;
    return life == LIFE_CHILD ? SPF_SCOPE_CHILD : SPF_SCOPE_EXEC;
}

/* Appends one line to the shared log: one atomic add reserves the room. */
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

static void log_record(struct sup *s, const struct spf_fault_record *rec)
{
    char line[SPF_FAULT_RECORD_MAX];
    int len = spf_fault_record_format(rec, line, sizeof(line));
    ssize_t w;

    if (s->log_map)
        __atomic_fetch_add(
            &s->log_map->counts[rec->call][__builtin_ctz(rec->scope)], 1,
            __ATOMIC_RELAXED);
    if (len <= 0)
        return;
    if (s->log_map) {
        log_append(s->log_map, line, (size_t)len);
        return;
    }
    if (s->log_fd < 0)
        return;
    do
        w = write(s->log_fd, line, (size_t)len);
    while (w < 0 && errno == EINTR);
}

/* A shared log is mapped, as the preload does; any other fd is written. */
static void log_open(struct sup *s, int fd)
{
    struct spf_fault_log_header h;
    void *map;

    s->log_fd = fd;
    if (fd < 0 || pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h.magic, SPF_FAULT_LOG_MAGIC, sizeof(h.magic)) != 0)
        return;
    s->log_len = sizeof(h) + h.capacity;
    map = mmap(NULL, s->log_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED)
        s->log_map = map;
}

/* Answers one notification: err > 0 fails it, cont lets it run, otherwise
 * it returns val.  A notification that went away (its caller was killed
 * or interrupted) takes no answer: ENOENT is no error. */
static void respond(struct sup *s, uint64_t id, int err, bool cont, int64_t val)
{
    memset(s->resp, 0, s->resp_size);
    s->resp->id = id;
    s->resp->error = err > 0 ? -err : 0;
    s->resp->val = err > 0 || cont ? 0 : val;
    s->resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
    (void)ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, s->resp);
}

static bool id_valid(struct sup *s, uint64_t id)
{
    return ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* ------------------------------------------------------------------ */
/* Short transfers, done by the supervisor on the target's behalf      */

/* Takes the target's fd: the transfer then moves the same file offset. */
static int take_fd(struct sup *s, struct op *op)
{
    struct task *p = find_task(s, op->tgid);
    int pidfd = p && p->pidfd >= 0 ? p->pidfd : -1, own = -1, fd;
    struct stat st;

    if (pidfd < 0 && (pidfd = own = pidfd_open_flags(op->tgid, 0)) < 0)
        return pidfd;
    fd = (int)syscall(SYS_pidfd_getfd, pidfd, op->target_fd, 0);
    if (fd < 0)
        fd = -errno;
    close_fd(&own);
    if (fd < 0)
        return fd == -ESRCH ? -EBADF : fd;
    /* A regular file or a disk is always ready and may refuse NOWAIT for
     * data not cached yet; anything else can block, so it is touched only
     * without waiting, or when poll says it is ready. */
    op->nowait =
        fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
    return fd;
}

/* The target's bytes for a short write, into s->buf. */
static ssize_t fetch(struct sup *s, const struct op *op, size_t n)
{
    struct iovec local = {.iov_base = s->buf, .iov_len = n};
    struct iovec remote = {.iov_base = (void *)op->buf, .iov_len = n};
    ssize_t got = process_vm_readv(op->tid, &local, 1, &remote, 1, 0);

    return got <= 0 ? -EFAULT : got;
}

/* Bytes read for a short read, into the target's buffer. */
static ssize_t deliver(struct sup *s, const struct op *op, size_t n)
{
    struct iovec local = {.iov_base = s->buf, .iov_len = n};
    struct iovec remote = {.iov_base = (void *)op->buf, .iov_len = n};
    ssize_t put = process_vm_writev(op->tid, &local, 1, &remote, 1, 0);

    return put != (ssize_t)n ? -EFAULT : put;
}

/* One attempt at the transfer: bytes moved, -EAGAIN to wait, -errno. */
static ssize_t move_bytes(struct sup *s, struct op *op, size_t n)
{
    struct iovec io = {.iov_base = s->buf, .iov_len = n};
    int flags = op->nowait ? RWF_NOWAIT : 0;
    ssize_t r;

    if (op->is_write)
        r = pwritev2(op->fd, &io, 1, -1, flags);
    else
        r = preadv2(op->fd, &io, 1, -1, flags);
    if (r >= 0)
        return r;
    r = -errno;
    if (r == -EOPNOTSUPP && op->nowait) {
        /* This file takes no NOWAIT: wait for poll, then a plain call. */
        op->nowait = false;
        return -EAGAIN;
    }
    return r;
}

/*
 * The transfer of at most short_max bytes.  The caller's buffer is read
 * before, and the notification checked just before the bytes move, so a
 * caller gone meanwhile loses nothing.  Once received, the caller can no
 * longer be interrupted, but killed (WAIT_KILLABLE_RECV, seccomp-child.c).
 * XXX: before Linux 5.19 it can, and a signal between that check and the
 * answer loses the bytes moved (read) or moves them twice (write, when
 * the call is restarted): the window is one system call long.
 */
static ssize_t transfer(struct sup *s, struct op *op)
{
    size_t n = op->want;
    ssize_t r;

    if (n > op->hit.bytes)
        n = op->hit.bytes;
    if (n > SHORT_BUF)
        n = SHORT_BUF;
    if (op->is_write) {
        r = fetch(s, op, n);
        if (r < 0)
            return r;
        n = (size_t)r;
    }
    if (!id_valid(s, op->id))
        return -ENOENT;
    r = move_bytes(s, op, n);
    if (r > 0 && !op->is_write)
        r = deliver(s, op, (size_t)r);
    return r;
}

/* ------------------------------------------------------------------ */
/* Answers now or later                                                */

static void answer_errno(struct sup *s, struct op *op)
{
    op->rec.err = op->hit.err;
    respond(s, op->id, op->hit.err, false, 0);
    log_record(s, &op->rec);
}

/*
 * A signal during the call: the calling thread gets it, then the call
 * fails with EINTR.  When the signal reaches the thread first, the kernel
 * withdraws the notification and restarts the call or fails it with
 * EINTR as the handler's SA_RESTART says; the answer then finds nothing
 * to answer.  Otherwise the call fails with EINTR even under SA_RESTART.
 */
static void answer_signal(struct sup *s, struct op *op)
{
    if (!id_valid(s, op->id))
        return; /* the thread may be gone and its id reused */
    syscall(SYS_tgkill, op->tgid, op->tid, op->hit.sig);
    op->rec.err = EINTR;
    respond(s, op->id, EINTR, false, 0);
    log_record(s, &op->rec);
}

static void answer_short(struct sup *s, struct op *op, ssize_t r)
{
    op->rec.want = op->want;
    op->rec.got = r < 0 ? UINT64_MAX : (uint64_t)r;
    respond(s, op->id, r < 0 ? (int)-r : 0, false, r);
    log_record(s, &op->rec);
}

/* Moves an op on, once it is due.  Returns true when it is finished:
 * answered, or gone with its caller. */
static bool op_step(struct sup *s, struct op *op)
{
    ssize_t r;

    if (op->cont) {
        respond(s, op->id, 0, true, 0);
        return true;
    }
    if (op->hit.action == SPF_ACTION_SIGNAL) {
        answer_signal(s, op);
        return true;
    }
    if (!op->is_short) {
        answer_errno(s, op);
        return true;
    }
    if (!id_valid(s, op->id))
        return true;
    if (op->fd < 0 && (op->fd = take_fd(s, op)) < 0) {
        answer_short(s, op, op->fd);
        return true;
    }
    r = transfer(s, op);
    if (r == -EAGAIN) {
        op->waiting = true;
        return false;
    }
    if (r != -ENOENT)
        answer_short(s, op, r);
    return true;
}

static void op_free(struct sup *s, size_t i)
{
    close_fd(&s->ops[i].fd);
    s->ops[i] = s->ops[--s->n_ops];
}

static int op_add(struct sup *s, const struct op *op)
{
    if (s->n_ops == s->cap_ops) {
        size_t cap = s->cap_ops ? 2 * s->cap_ops : 8;
        struct op *n = realloc(s->ops, cap * sizeof(*n));

        if (!n)
            return -ENOMEM;
        s->ops = n;
        s->cap_ops = cap;
    }
    s->ops[s->n_ops++] = *op;
    return 0;
}

/* Every op that is due and can move; those whose caller went away while
 * they waited for their fd are dropped. */
static void run_ops(struct sup *s, const struct pollfd *pfds)
{
    uint64_t now = now_ns();

    for (size_t i = s->n_ops; i-- > 0;) {
        struct op *op = &s->ops[i];

        if (op->due_ns > now)
            continue;
        if (op->waiting && (op->pfd < 0 || !pfds[op->pfd].revents)) {
            if (!id_valid(s, op->id))
                op_free(s, i);
            continue;
        }
        op->waiting = false;
        if (op_step(s, op))
            op_free(s, i);
    }
}

/* The mask in force in thread tid, from /proc: what a faked sigprocmask
 * reports as the old one. */
static bool blocked_mask(pid_t tid, uint64_t *ret)
{
    char path[64], line[256];
    FILE *f;
    bool found = false;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
    if ((f = fopen(path, "re")) == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = sscanf(line, "SigBlk: %" SCNx64, ret) == 1;
    fclose(f);
    return found;
}

/*
 * A fake success: the value the call would have returned, without
 * making it.  rt_sigprocmask still fills the caller's old set (args[2]),
 * as the caller will use it to restore.
 */
static void answer_success(struct sup *s, struct op *op)
{
    const struct seccomp_data *d = &s->req->data;
    int64_t val = 0;

    if (op->rec.call == SPF_CALL_WRITE)
        val = (int64_t)d->args[2];
    else if (op->rec.call == SPF_CALL_SETSID)
        val = op->tgid;
    else if (op->rec.call == SPF_CALL_SIGMASK && d->args[2] != 0) {
        uint64_t mask;
        size_t n =
            d->args[3] < sizeof(mask) ? (size_t)d->args[3] : sizeof(mask);
        op->buf = d->args[2];
        if (!blocked_mask(op->tid, &mask) ||
            (memcpy(s->buf, &mask, n), deliver(s, op, n) < 0)) {
            respond(s, op->id, EFAULT, false, 0);
            op->rec.action = SPF_ACTION_ERRNO;
            op->rec.err = EFAULT;
            log_record(s, &op->rec);
            return;
        }
    }
    respond(s, op->id, 0, false, val);
    log_record(s, &op->rec);
}

/* A rule fired on the call in s->req: answer now, or queue the answer. */
static void fire(struct sup *s, const struct op *base)
{
    struct op op = *base;

    op.rec.action = op.hit.action;
    switch (op.hit.action) {
    case SPF_ACTION_SUCCEED:
        answer_success(s, &op);
        return;
    case SPF_ACTION_STOP:
    case SPF_ACTION_KILL:
        /* The process, as the preload does; a stopped caller makes its
         * call once continued. */
        log_record(s, &op.rec);
        kill(op.tgid, op.hit.action == SPF_ACTION_STOP ? SIGSTOP : SIGKILL);
        respond(s, op.id, 0, true, 0);
        return;
    case SPF_ACTION_DELAY:
        op.rec.delay_ns = op.hit.delay_ns;
        log_record(s, &op.rec);
        op.cont = true;
        break;
    case SPF_ACTION_SHORT:
        op.is_short = true;
        op.is_write = op.rec.call == SPF_CALL_WRITE;
        op.target_fd = (int)s->req->data.args[0];
        op.buf = s->req->data.args[1];
        op.want = s->req->data.args[2];
        break;
    case SPF_ACTION_SIGNAL:
        op.rec.sig = op.hit.sig;
        break;
    default:
        break;
    }
    op.due_ns = now_ns() + op.hit.delay_ns;
    /* Without a delay, at once; a transfer whose fd is not ready waits. */
    if (op.hit.delay_ns == 0 && op_step(s, &op)) {
        close_fd(&op.fd);
        return;
    }
    if (op_add(s, &op) < 0) {
        close_fd(&op.fd);
        respond(s, op.id, 0, true, 0);
    }
}

/* Before an exec is let through: what settle() needs to tell, at the
 * process's next call, whether it succeeded. */
static void note_exec(struct sup *s, struct task *p)
{
    char path[64];

    p->exec_seen = true;
    if (p->life == LIFE_LAUNCHER || p->life == LIFE_CHILD || p->probe_fd >= 0)
        return;
    snprintf(path, sizeof(path), "/proc/%d/mem", (int)s->req->pid);
    p->probe_fd = open(path, O_RDONLY | O_CLOEXEC);
    p->probe_addr = s->req->data.instruction_pointer;
}

/* A NUL-terminated string of the target's memory, page by page, since
 * the string may end just before an unmapped page. */
static bool read_string(pid_t tid, uint64_t addr, char *buf, size_t len)
{
    size_t got = 0;

    while (got + 1 < len) {
        size_t page = 4096 - (size_t)((addr + got) % 4096);
        size_t n = page < len - 1 - got ? page : len - 1 - got;
        struct iovec local = {.iov_base = buf + got, .iov_len = n};
        struct iovec remote = {.iov_base = (void *)(uintptr_t)(addr + got),
                               .iov_len = n};
        ssize_t r = process_vm_readv(tid, &local, 1, &remote, 1, 0);

        if (r <= 0)
            return false;
        if (memchr(buf + got, '\0', (size_t)r) != NULL)
            return true;
        got += (size_t)r;
    }
    buf[len - 1] = '\0';
    return true;
}

/* What the rules' predicates look at, looked up only when some rule has
 * one: the fd, what it is, the path of an exec or a chdir, the program's
 * file name.  The caller's memory may change under us: a path read here
 * is what the call was most likely given, and the decision is only ever
 * a fault's, never a security check. */
static void fill_predicates(struct sup *s, struct task *p,
                            struct spf_fault_site *site, char *path,
                            size_t path_len, char *exe, size_t exe_len)
{
    unsigned preds =
        spf_fault_plan_predicates(&s->ctx->plan, SPF_BACKEND_SECCOMP);
    const struct seccomp_data *d = &s->req->data;
    char link[64];
    struct stat st;
    ssize_t n;

    site->fd = -1;
    if (preds == 0)
        return;
    if (site->call == SPF_CALL_READ || site->call == SPF_CALL_WRITE ||
        site->call == SPF_CALL_CLOSE || site->call == SPF_CALL_DUP2)
        site->fd = (int)d->args[0];
    if (site->fd >= 0 && (preds & SPF_PRED_KIND)) {
        snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)p->tgid, site->fd);
        site->kind = stat(link, &st) < 0
                         ? SPF_FD_OTHER
                         : spf_fault_fd_kind_of(st.st_mode, false);
        /* A character device that is a terminal: its major numbers. */
        if (site->kind == SPF_FD_CHAR &&
            (major(st.st_rdev) == 4 || major(st.st_rdev) == 5 ||
             major(st.st_rdev) == 136))
            site->kind = SPF_FD_TTY;
    }
    if ((preds & SPF_PRED_PATH) &&
        ((d->nr == SYS_execve || d->nr == SYS_chdir) ||
         d->nr == SYS_execveat) &&
        read_string(s->req->pid,
                    d->nr == SYS_execveat ? d->args[1] : d->args[0], path,
                    path_len))
        site->path = path;
    if (preds & SPF_PRED_EXE) {
        snprintf(link, sizeof(link), "/proc/%d/exe", (int)p->tgid);
        n = readlink(link, exe, exe_len - 1);
        if (n > 0) {
            exe[n] = '\0';
            site->exe = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
        }
    }
}

/* Count the call everywhere, ask the model, act. */
static void decide_call(struct sup *s, struct task *t, struct task *p,
                        enum spf_fault_call call)
{
    char path[4096], exe[4096];
    unsigned scope = scope_of(p->life);
    struct spf_fault_site site = {
        .call = call,
        .scope = scope,
        .backend = SPF_BACKEND_SECCOMP,
        .process = p->pcount,
        .thread = t->tcount,
        .tree = s->tree,
    };
    struct spf_fault_hit hit;

    ++p->pcount[call];
    ++t->tcount[call];
    ++s->tree[call];
    if (call == SPF_CALL_READ || call == SPF_CALL_WRITE)
        site.count = s->req->data.args[2];
    fill_predicates(s, p, &site, path, sizeof(path), exe, sizeof(exe));
    /* The one place the model decides for this backend. */
    if (spf_fault_decide(&s->ctx->plan, &site, &hit) < 0) {
        respond(s, s->req->id, 0, true, 0);
        return;
    }
    fire(s, &(struct op){
                .id = s->req->id,
                .tid = s->req->pid,
                .tgid = p->tgid,
                .hit = hit,
                .fd = -1,
                .pfd = -1,
                .rec = {.pid = p->tgid,
                        .tid = s->req->pid,
                        .t_ns = now_ns(),
                        .scope = scope,
                        .call = call,
                        .n = hit.n},
            });
}

/* A new arming: every count starts again from zero, as the preload's
 * spf_fault_arm() restarts the root's. */
static void reset_counts(struct sup *s)
{
    for (size_t i = 0; i < s->n_tasks; i++) {
        memset(s->tasks[i].pcount, 0, sizeof(s->tasks[i].pcount));
        memset(s->tasks[i].tcount, 0, sizeof(s->tasks[i].tcount));
    }
    memset(s->tree, 0, sizeof(s->tree));
}

/* Whether the plan applies now (spf_seccomp_set_arm_word): odd is armed,
 * and an odd value not seen before is a new arming. */
static bool armed(struct sup *s)
{
    uint32_t word;

    if (!s->ctx->arm_word)
        return true;
    word = __atomic_load_n(s->ctx->arm_word, __ATOMIC_ACQUIRE);
    if (!(word & 1))
        return false;
    if (word != s->arm_seen) {
        reset_counts(s);
        s->arm_seen = word;
    }
    return true;
}

/* One notification, received and answered (or queued). */
static void handle(struct sup *s)
{
    struct task *t, *p;
    int call;

    memset(s->req, 0, s->req_size);
    if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, s->req) < 0)
        return; /* ENOENT: its caller went away meanwhile */
    call = family_of(s);
    if (call == -ENOENT)
        return;
    /* pid 0: a caller in a pid namespace we cannot see into. */
    if (call < 0 || s->req->pid == 0 || !lookup(s, s->req->pid, &t, &p)) {
        respond(s, s->req->id, 0, true, 0);
        return;
    }
    if (call == SPF_CALL_EXECVE)
        note_exec(s, p);
    /* The launcher's own calls, its exec of the program above all; and
     * everything while the root is disarmed. */
    if (p->life == LIFE_LAUNCHER || !armed(s)) {
        respond(s, s->req->id, 0, true, 0);
        return;
    }
    decide_call(s, t, p, (enum spf_fault_call)call);
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */

/* The poll set: the listener, root's pidfd, the stop fd, the fds of
 * transfers waiting to be ready, and every known task's pidfd, in that
 * order. */
struct pollset {
    struct pollfd *fds;
    size_t n, cap;
    size_t first_task;
};

static int pollset_add(struct pollset *ps, int fd, short events)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 32;
        struct pollfd *n = realloc(ps->fds, cap * sizeof(*n));

        if (!n)
            return -ENOMEM;
        ps->fds = n;
        ps->cap = cap;
    }
    ps->fds[ps->n++] = (struct pollfd){.fd = fd, .events = events};
    return 0;
}

static int pollset_build(struct sup *s, struct pollset *ps, bool hup)
{
    int r = 0;

    ps->n = 0;
    r |= pollset_add(ps, hup ? -1 : s->listener, POLLIN);
    r |= pollset_add(ps, s->root_pidfd, POLLIN);
    r |= pollset_add(ps, s->ctx->stop_fd, POLLIN);
    for (size_t i = 0; i < s->n_ops; i++) {
        struct op *op = &s->ops[i];

        op->pfd = op->waiting ? (int)ps->n : -1;
        if (op->waiting)
            r |= pollset_add(ps, op->fd, op->is_write ? POLLOUT : POLLIN);
    }
    ps->first_task = ps->n;
    for (size_t i = 0; i < s->n_tasks; i++)
        r |= pollset_add(ps, s->tasks[i].pidfd, POLLIN);
    return r < 0 ? -ENOMEM : 0;
}

/* Until the next delayed answer is due; RECHECK_MS while a transfer waits
 * for its fd; forever when nothing is pending. */
static int poll_timeout(const struct sup *s)
{
    uint64_t now = now_ns();
    int64_t best = -1;

    for (size_t i = 0; i < s->n_ops; i++) {
        const struct op *op = &s->ops[i];
        int64_t ms = op->due_ns > now
                         ? (int64_t)((op->due_ns - now + 999999) / 1000000)
                         : (op->waiting ? RECHECK_MS : 0);

        if (best < 0 || ms < best)
            best = ms;
    }
    return best > INT32_MAX ? INT32_MAX : (int)best;
}

/* Tasks whose pidfd says they are gone leave the table before the next
 * notification is read: their ids can be reused only after that. */
static void reap_tasks(struct sup *s, const struct pollset *ps)
{
    size_t n = ps->n - ps->first_task;
    pid_t gone[64];
    size_t k = 0;

    for (size_t i = 0; i < n && i < s->n_tasks && k < 64; i++)
        if (ps->fds[ps->first_task + i].revents)
            gone[k++] = s->tasks[i].tid;
    for (size_t i = 0; i < k; i++) {
        struct task *t = find_task(s, gone[i]);

        if (t && t->tid == t->tgid)
            drop_process(s, t->tgid);
        else if (t)
            drop_task(s, (size_t)(t - s->tasks));
    }
}

static void reap_root(struct sup *s)
{
    int status;

    if (waitpid(s->root, &status, WNOHANG) != s->root)
        return;
    s->root_status = status;
    s->root_reaped = true;
    close_fd(&s->root_pidfd);
}

/* Answers notifications until the listener hangs up (no process of the
 * tree is left, reaped) and root has been reaped. */
static int loop(struct sup *s)
{
    struct pollset ps = {0};
    bool hup = false;
    int r = 0;

    while (!hup || !s->root_reaped) {
        if ((r = pollset_build(s, &ps, hup)) < 0)
            break;
        if (poll(ps.fds, ps.n, poll_timeout(s)) < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        if (ps.fds[2].revents) {
            r = -ECANCELED;
            break;
        }
        reap_tasks(s, &ps);
        if (ps.fds[1].revents)
            reap_root(s);
        run_ops(s, ps.fds);
        if (ps.fds[0].revents & POLLIN)
            handle(s);
        else if (ps.fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
            hup = true;
    }
    free(ps.fds);
    return r;
}

/* ------------------------------------------------------------------ */
/* Supervise and run                                                   */

/* The listener root sends, or -EPIPE when root hung up without one. */
static int receive_listener(int sock)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c;
    ssize_t n;
    int fd;

    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    c = CMSG_FIRSTHDR(&msg);
    if (n == 0 || !c || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -EPIPE;
    memcpy(&fd, CMSG_DATA(c), sizeof(fd));
    return fd;
}

/* What root reported through the pipe: 0 for nothing, or -err. */
static int read_report(const struct spf_seccomp *ctx, int *failed_stage)
{
    struct spf__seccomp_report rec;
    ssize_t n;

    do
        n = read(ctx->report[0], &rec, sizeof(rec));
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return 0;
    if (n != (ssize_t)sizeof(rec) || rec.err <= 0)
        return -EPROTO;
    if (failed_stage)
        *failed_stage = rec.stage;
    return -rec.err;
}

/* The notification buffers, as large as this kernel's structures. */
static int sup_init(struct sup *s, const struct spf_seccomp *ctx, pid_t root,
                    int log_fd)
{
    struct seccomp_notif_sizes sz;
    struct task *t;

    s->ctx = ctx;
    s->root = root;
    /* Root the caller reaps is as good as reaped here. */
    s->root_reaped = ctx->leave_root;
    s->root_pidfd = ctx->leave_root ? -1 : pidfd_open_flags(root, 0);
    if (s->root_pidfd < 0 && !ctx->leave_root)
        return s->root_pidfd;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
        return -errno;
    s->req_size =
        sz.seccomp_notif > sizeof(*s->req) ? sz.seccomp_notif : sizeof(*s->req);
    s->resp_size = sz.seccomp_notif_resp > sizeof(*s->resp)
                       ? sz.seccomp_notif_resp
                       : sizeof(*s->resp);
    s->req = calloc(1, s->req_size);
    s->resp = calloc(1, s->resp_size);
    t = add_task(s, root, root);
    if (!s->req || !s->resp || !t)
        return -ENOMEM;
    t->life = LIFE_LAUNCHER;
    /* The caller sleeps while we decide: waking it on this CPU, rather
     * than on any, cuts a notified call's cost by a third here (see
     * bench/seccomp-bench.c).  Older kernels refuse the flag; that only
     * costs time. */
    (void)ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
    log_open(s, log_fd);
    return 0;
}

static void sup_free(struct sup *s)
{
    while (s->n_ops)
        op_free(s, 0);
    while (s->n_tasks)
        drop_task(s, 0);
    free(s->ops);
    free(s->tasks);
    free(s->req);
    free(s->resp);
    close_fd(&s->root_pidfd);
    close_fd(&s->listener);
    if (s->log_map)
        munmap(s->log_map, s->log_len);
    free(s);
}

/* Root never sent a listener: it failed before its exec, and says why. */
static int root_failed(struct spf_seccomp *ctx, pid_t root, int r,
                       int *failed_stage)
{
    int rep;

    /* Its report is complete once its end of the pipe is closed, which
     * read_report() waits for: reaping is only for a root that is ours. */
    while (!ctx->leave_root && waitpid(root, NULL, 0) < 0 && errno == EINTR)
        ;
    rep = read_report(ctx, failed_stage);
    return rep < 0 ? rep : r;
}

/* We cannot answer: root must not wait forever, nor stay a zombie.  (The
 * rest of the tree sees ENOSYS from its notified calls once the listener
 * is closed.)  Root the caller reaps may be reaped already, its pid
 * another process's: that caller kills it (spf_seccomp_leave_root). */
static void abandon(const struct spf_seccomp *ctx, pid_t root)
{
    if (ctx->leave_root)
        return;
    kill(root, SIGKILL);
    while (waitpid(root, NULL, 0) < 0 && errno == EINTR)
        ;
}

int spf_seccomp_supervise(struct spf_seccomp *ctx, pid_t root, int log_fd,
                          int *ret_status, int *failed_stage)
{
    struct sup *s;
    int listener, r;

    /* The child's ends: with them closed here, root's death is an EOF. */
    close_fd(&ctx->sock[1]);
    close_fd(&ctx->report[1]);
    listener = receive_listener(ctx->sock[0]);
    if (listener < 0)
        return root_failed(ctx, root, listener, failed_stage);
    s = calloc(1, sizeof(*s));
    if (!s) {
        close(listener);
        abandon(ctx, root);
        return -ENOMEM;
    }
    s->listener = listener;
    r = sup_init(s, ctx, root, log_fd);
    if (r == 0)
        r = loop(s);
    if (r < 0 && !s->root_reaped)
        abandon(ctx, root);
    if (r == 0)
        r = read_report(ctx, failed_stage);
    if (r == 0 && ret_status && !ctx->leave_root)
        *ret_status = s->root_status;
    sup_free(s);
    return r;
}

int spf_seccomp_start(const struct spf_seccomp *ctx, const char *path,
                      char *const argv[], char *const envp[], pid_t *ret_pid)
{
    pid_t pid = fork();

    if (pid == 0)
        spf__seccomp_child_exec(ctx, path, argv, envp);
    if (pid < 0)
        return -errno;
    *ret_pid = pid;
    return 0;
}

int spf_seccomp_run(const struct spf_fault_plan *plan, char *const argv[],
                    char *const envp[], int log_fd, int *ret_status)
{
    struct spf_seccomp *ctx;
    pid_t pid;
    int r = spf_seccomp_prepare(plan, &ctx);

    if (r < 0)
        return r;
    r = spf_seccomp_start(ctx, argv[0], argv, envp, &pid);
    if (r == 0)
        r = spf_seccomp_supervise(ctx, pid, log_fd, ret_status, NULL);
    spf_seccomp_free(ctx);
    return r;
}
