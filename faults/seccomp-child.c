/*
 * The seccomp backend's code for the child, between fork and exec.
 *
 * Contract: everything here is async-signal-safe.  It makes raw system
 * calls through syscall(2) and nothing else: no allocation, no stdio, no
 * locks, no libseccomp (the parent exported the filter as BPF before the
 * fork).  tests/faults checks this file's undefined symbols against the
 * allow-list of the preload's child path.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp-ctx.h"

/* Linux 5.19; older kernels refuse it with EINVAL. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* syscall(2) gives -1 and errno; we want -errno. */
static long sys_result(long rc)
{
    return rc < 0 ? -errno : rc;
}

/* One fd, as SCM_RIGHTS, with one byte of payload (a message carrying
 * rights needs at least one). */
static int send_fd(int sock, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    char byte = 'L';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = u.buf,
        .msg_controllen = sizeof(u.buf),
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    long rc;

    memset(u.buf, 0, sizeof(u.buf));
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    do
        rc = sys_result(syscall(SYS_sendmsg, sock, &msg, MSG_NOSIGNAL));
    while (rc == -EINTR);
    return rc < 0 ? (int)rc : 0;
}

static long install(const struct spf_seccomp *ctx, unsigned long flags)
{
    return sys_result(
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &ctx->prog));
}

int spf_seccomp_child_install(const struct spf_seccomp *ctx)
{
    long listener;
    int r;

    /* Without no_new_privs an unprivileged process may not install a
     * filter; with it, a set-uid program is run without its privileges,
     * which is what a test harness wants anyway. */
    if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
        return -errno;

    /* Once the supervisor has a call, only a fatal signal may take it
     * back: a call held for a delay is counted once, and a fork never
     * fails with EINTR while we decide (faults/README.md, Limits). */
    listener = install(ctx, SECCOMP_FILTER_FLAG_NEW_LISTENER |
                                SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
    if (listener == -EINVAL)
        listener = install(ctx, SECCOMP_FILTER_FLAG_NEW_LISTENER);
    if (listener < 0)
        return (int)listener;

    /* From here on the calls the rules name are held until the parent
     * answers; sendmsg and close are never among them. */
    r = send_fd(ctx->sock[1], (int)listener);
    syscall(SYS_close, listener);
    syscall(SYS_close, ctx->sock[1]);
    return r;
}

void spf_seccomp_child_fds(const struct spf_seccomp *ctx, int ret_fds[2])
{
    ret_fds[0] = ctx->sock[1];
    ret_fds[1] = ctx->report[1];
}

void spf_seccomp_child_report(const struct spf_seccomp *ctx,
                              enum spf_seccomp_stage stage, int err)
{
    struct spf__seccomp_report rec = {.stage = stage, .err = err};
    long rc;

    /* The record is far below PIPE_BUF: one write is atomic.  A write
     * rule's notification for it is let through, as the root has not
     * exec'd yet. */
    do
        rc = sys_result(syscall(SYS_write, ctx->report[1], &rec, sizeof(rec)));
    while (rc == -EINTR);
}

_Noreturn void spf__seccomp_child_exec(const struct spf_seccomp *ctx,
                                       const char *path, char *const argv[],
                                       char *const envp[])
{
    int r = spf_seccomp_child_install(ctx);

    if (r < 0) {
        spf_seccomp_child_report(ctx, SPF_SECCOMP_STAGE_INSTALL, -r);
    } else {
        syscall(SYS_execve, path, argv, envp);
        spf_seccomp_child_report(ctx, SPF_SECCOMP_STAGE_EXEC, errno);
    }
    for (;;)
        syscall(SYS_exit_group, 127);
}
