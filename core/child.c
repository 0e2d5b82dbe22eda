/*
 * Code that runs in the child between fork (or clone with CLONE_VM) and
 * exec.
 *
 * Contract: everything here is async-signal-safe.  No allocation, no stdio,
 * no locks, no libfiu, no function that may take a lock inside the C
 * library; only direct system-call wrappers and plain memory.  The child
 * may share the parent's memory (CLONE_VM): it never writes to memory it
 * did not get on its own stack, except errno and the plan's report.  The
 * parent prepared the plan; a failure is reported as one record, written
 * with one write(2) to the errpipe or, when the plan has a report (the
 * memory is shared), stored there; then the child exits with status 255.
 *
 * tests/core/child-symbols checks the undefined symbols of this file
 * against core/child.allow.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "errpipe.h"

extern char **environ;

_Noreturn static void report_and_die(const struct spf__child_plan *p, int err,
                                     enum spf__step step)
{
    char rec[SPF__RECORD_MAX];
    size_t len;

    /* The parent is suspended until we exit, and reads the report after. */
    if (p->report) {
        p->report->len = spf__record_encode(p->report->data, err, step);
        _exit(255);
    }
    len = spf__record_encode(rec, err, step);
    /* One write: the record is far below PIPE_BUF, so it is atomic.  Only
     * EINTR is retried; any other failure leaves the parent an empty pipe
     * and an exit status of 255 to find. */
    while (write(p->errpipe_w, rec, len) < 0 && errno == EINTR)
        ;
    _exit(255);
}

static int clear_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return errno;
    return 0;
}

static bool is_kept(const int *keep, size_t n, int fd)
{
    for (size_t i = 0; i < n; i++)
        if (keep[i] == fd)
            return true;
    return false;
}

/* pass_fds become inheritable; the errpipe stays close-on-exec. */
static int inherit_passed(const struct spf__child_plan *p)
{
    for (size_t i = 0; i < p->n_keep; i++) {
        int err;

        if (p->keep[i] == p->errpipe_w)
            continue;
        err = clear_cloexec(p->keep[i]);
        if (err)
            return err;
    }
    return 0;
}

/*
 * Make fds 0, 1 and 2 what the plan says, whatever the sources are: a
 * source may itself be 0, 1 or 2 (the parent had std fds closed, or the
 * caller permuted them).  Sources that would be overwritten before use are
 * moved above 2 first: stdout's away from 0, stderr's away from 0 and 1.
 */
static int plumb_std(const struct spf__child_plan *p)
{
    int src[3] = {p->std_src[0], p->std_src[1], p->std_src[2]};

    if (src[1] == 0 && (src[1] = fcntl(src[1], F_DUPFD_CLOEXEC, 3)) < 0)
        return errno;
    if ((src[2] == 0 || src[2] == 1) &&
        (src[2] = fcntl(src[2], F_DUPFD_CLOEXEC, 3)) < 0)
        return errno;
    for (int t = 0; t < 3; t++) {
        int err = 0;

        /* dup2 onto itself would leave the close-on-exec flag set. */
        if (src[t] == t)
            err = clear_cloexec(t);
        else if (src[t] >= 0 && dup2(src[t], t) < 0)
            err = errno;
        if (err)
            return err;
    }
    return 0;
}

static void set_default(int sig)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};

    sigaction(sig, &sa, NULL);
}

/*
 * Handlers the parent installed must never run in the child: a signal
 * arriving before exec would run parent code on memory the parent may
 * share.  Signals are blocked (by the parent) until this is done; then the
 * parent's mask is restored, which exec keeps.  After clone3 with
 * CLONE_CLEAR_SIGHAND the kernel did both halves: no handler survived the
 * clone and nothing was blocked.
 */
static int reset_signals(const struct spf__child_plan *p)
{
    for (int sig = 1; sig < NSIG && !p->sighand_cleared; sig++) {
        struct sigaction sa;

        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        /* The C library's internal signals refuse with EINVAL. */
        if (sigaction(sig, NULL, &sa) < 0)
            continue;
        if (sa.sa_handler != SIG_IGN && sa.sa_handler != SIG_DFL)
            set_default(sig);
    }
    if (p->restore_signals) {
        set_default(SIGPIPE);
        set_default(SIGXFSZ);
    }
    if (!p->sighand_cleared &&
        sigprocmask(SIG_SETMASK, &p->parent_mask, NULL) < 0)
        return errno;
    return 0;
}

static int session_and_group(const struct spf__child_plan *p)
{
    if (p->new_session && setsid() < 0)
        return errno;
    if (p->pgid >= 0 && setpgid(0, p->pgid) < 0)
        return errno;
    return 0;
}

/*
 * Raw system calls, not the C library's wrappers: those apply the change to
 * every thread of the process, with a lock and a signal to each thread.
 * The child has exactly one thread (identity changes always fork), so the
 * kernel's per-thread call is the whole job, and is async-signal-safe.
 * The 32-bit-id calls exist only on some 32-bit ABIs.
 */
#ifdef SYS_setgroups32
#define SYS_SETGROUPS SYS_setgroups32
#define SYS_SETREGID SYS_setregid32
#define SYS_SETREUID SYS_setreuid32
#else
#define SYS_SETGROUPS SYS_setgroups
#define SYS_SETREGID SYS_setregid
#define SYS_SETREUID SYS_setreuid
#endif

/* CPython's order: supplementary groups, group, then user last, while we
 * still have the privilege to change the others (reference 3.12). */
static int identity(const struct spf__child_plan *p)
{
    if (p->set_groups &&
        syscall(SYS_SETGROUPS, p->n_groups, p->n_groups ? p->groups : NULL) < 0)
        return errno;
    if (p->gid >= 0 && syscall(SYS_SETREGID, (gid_t)p->gid, (gid_t)p->gid) < 0)
        return errno;
    if (p->uid >= 0 && syscall(SYS_SETREUID, (uid_t)p->uid, (uid_t)p->uid) < 0)
        return errno;
    return 0;
}

static void close_from_proc(const int *keep, size_t n_keep)
{
    char buf[1024];
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long n;

    if (dir < 0)
        return;
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            int fd = 0;
            const char *c = d->d_name;

            off += d->d_reclen;
            if (*c < '0' || *c > '9')
                continue;
            while (*c >= '0' && *c <= '9')
                fd = fd * 10 + (*c++ - '0');
            if (fd >= 3 && fd != dir && !is_kept(keep, n_keep, fd))
                close(fd);
        }
    }
    close(dir);
}

static void close_brute(const int *keep, size_t n_keep, int max_fd)
{
    struct rlimit rl;

    /* -1: the limit, asked here rather than on every spawn in the parent,
     * since close_range or /proc/self/fd nearly always spare us this. */
    if (max_fd < 0)
        max_fd = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) == 0 &&
                         rl.rlim_cur > 0 && rl.rlim_cur < INT_MAX
                     ? (int)rl.rlim_cur
                     : 256;
    for (int fd = 3; fd < max_fd; fd++)
        if (!is_kept(keep, n_keep, fd))
            close(fd);
}

static int close_ranges(const int *keep, size_t n_keep)
{
    unsigned lo = 3;

    /* keep is sorted: close each gap between kept fds, then the rest. */
    for (size_t i = 0; i <= n_keep; i++) {
        unsigned hi = i < n_keep ? (unsigned)keep[i] : ~0U;

        if (i < n_keep && keep[i] < 3)
            continue;
        if (hi > lo && syscall(SYS_close_range, lo, hi - 1, 0) < 0)
            return errno;
        if (i < n_keep)
            lo = hi + 1;
    }
    return 0;
}

void spf__child_close_fds(const int *keep, size_t n_keep, int max_fd, int how)
{
    /* Fds above a lowered RLIMIT_NOFILE are still closed (bpo-21618):
     * close_range and /proc/self/fd see every fd whatever the limit. */
    if (how == 0 && close_ranges(keep, n_keep) == 0)
        return;
    if (how <= 1) {
        close_from_proc(keep, n_keep);
        if (how == 1)
            return;
    }
    close_brute(keep, n_keep, max_fd);
}

/*
 * Try each candidate in order.  Report the first errno that is neither
 * ENOENT nor ENOTDIR, else the last candidate's (as os._execvpe).  There is
 * no shell fallback on ENOEXEC.
 */
_Noreturn static void exec_candidates(const struct spf__child_plan *p)
{
    char *const *envp = p->envp ? p->envp : environ;
    int first = 0, last = ENOENT;

    for (char *const *c = p->candidates; *c; c++) {
        execve(*c, p->argv, envp);
        last = errno;
        if (!first && last != ENOENT && last != ENOTDIR)
            first = last;
    }
    report_and_die(p, first ? first : last, SPF__STEP_EXEC);
}

_Noreturn void spf__child_exec_or_die(const struct spf__child_plan *p)
{
    int err;

    /* The order is CPython's child_exec (reference section 1.2), less its
     * closing of the parent's pipe ends: ours are close-on-exec. */
    if ((err = inherit_passed(p)) || (err = plumb_std(p)))
        report_and_die(p, err, SPF__STEP_OTHER);
    if (p->cwd && chdir(p->cwd) < 0)
        report_and_die(p, errno, SPF__STEP_CHDIR);
    if (p->umask >= 0)
        umask((mode_t)p->umask);
    if ((err = reset_signals(p)) || (err = session_and_group(p)) ||
        (err = identity(p)))
        report_and_die(p, err, SPF__STEP_OTHER);
    if (p->close_fds)
        spf__child_close_fds(p->keep, p->n_keep, p->max_fd, 0);
    exec_candidates(p);
}

int spf__child_main(void *arg)
{
    const struct spf__child_plan *p = arg;

    if (p->report)
        p->report->started = true;
    spf__child_exec_or_die(p);
}
