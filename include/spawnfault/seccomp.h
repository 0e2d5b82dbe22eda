/*
 * spawnfault seccomp: the plan's rules enforced from outside the target,
 * by a supervisor answering seccomp user notifications.
 *
 * The preload cannot see what libc does internally (posix_spawn's clone
 * and exec, system, stdio), static binaries or programs of another libc.
 * The kernel sees every system call: a filter installed in the launched
 * program, just before its exec, sends the calls the rules name to a
 * listener fd, and the supervisor decides each one.
 *
 * Three steps, for a launcher that forks by itself:
 *
 *   spf_seccomp_prepare()         parent, before fork: the filter, a
 *                                 socketpair and a pipe, all allocated
 *   spf_seccomp_child_install()   child, after fork: async-signal-safe;
 *                                 installs the filter, hands the listener
 *                                 to the parent; the caller then execs
 *   spf_seccomp_supervise()       parent: takes the listener, answers
 *                                 until the whole tree is gone
 *
 * or one call, spf_seccomp_run(), which does the three.
 */
#ifndef SPAWNFAULT_SECCOMP_H
#define SPAWNFAULT_SECCOMP_H

#include <stdint.h>
#include <sys/types.h>

#include <spawnfault/faults.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A prepared run: opaque. */
struct spf_seccomp;

/*
 * Before fork: build the filter for exactly the system calls the plan's
 * seccomp rules (backend SPF_BACKEND_SECCOMP; the others are the
 * preload's) name, and execve, execveat, which the supervisor always
 * watches to tell a child from an exec'd program; export it as BPF into
 * memory, and open the socketpair the child hands its listener over and
 * the pipe it reports a failure through (all close-on-exec).  Each rule's
 * counting mode, action, delay and signal are the plan's own.
 * Returns 0 and *ret_ctx, or -errno: -ENOSYS or -EOPNOTSUPP when the
 * kernel or libseccomp has no user notification.  Not async-signal-safe;
 * one context serves one fork.
 */
int spf_seccomp_prepare(const struct spf_fault_plan *plan,
                        struct spf_seccomp **ret_ctx);

/*
 * In the child, after fork and before exec: set no_new_privs, install the
 * filter with a listener and send the listener to the parent.  Returns 0
 * (then exec at once: the first exec of the launched program is never
 * faulted) or -errno.  Async-signal-safe; it only makes system calls.
 */
int spf_seccomp_child_install(const struct spf_seccomp *ctx);

/*
 * The fds of ctx that the child uses (its end of the socketpair and of
 * the report pipe), for a launcher that closes every other fd of its
 * child before spf_seccomp_child_install(): it must keep these two open.
 * They are close-on-exec, and must stay so.  Async-signal-safe.
 */
void spf_seccomp_child_fds(const struct spf_seccomp *ctx, int ret_fds[2]);

/*
 * In the child when the exec (or anything before it) failed: report
 * (stage, err) to the parent, where spf_seccomp_supervise() returns -err.
 * Async-signal-safe.  stage is one of the SPF_SECCOMP_STAGE_* values.
 */
enum spf_seccomp_stage {
    SPF_SECCOMP_STAGE_INSTALL = 1, /* no_new_privs, seccomp(2), sendmsg */
    SPF_SECCOMP_STAGE_EXEC,
};
void spf_seccomp_child_report(const struct spf_seccomp *ctx,
                              enum spf_seccomp_stage stage, int err);

/*
 * In the parent, after fork: receive the listener from root (the forked
 * child) and answer notifications until no process of the tree is left
 * (the listener hangs up) and root is reaped.  Fired faults go to log_fd
 * (a shared log made by spf_fault_log_create(), or any fd that takes one
 * write per record; -1: none).  Returns 0 with root's wait status in
 * *ret_status; or -err when the child reported a failure with
 * spf_seccomp_child_report(), its stage in *failed_stage when not NULL
 * (root is reaped all the same); or another -errno.  Frees nothing: call
 * spf_seccomp_free() after.
 *
 * Blocks until the tree is gone: a background process of the tree keeps
 * it here.  Should the supervisor die, every notified call of the tree
 * fails with ENOSYS from then on.  Not async-signal-safe; a context is
 * for one thread, distinct contexts may be supervised in parallel.
 */
int spf_seccomp_supervise(struct spf_seccomp *ctx, pid_t root, int log_fd,
                          int *ret_status, int *failed_stage);

/*
 * Optional, before spf_seccomp_supervise(): the word that says when the
 * plan applies, for a root that arms itself around part of its work as
 * the preload's spf_fault_arm() does.  While *arm_word is even, every
 * notified call is let through uncounted (execs are still followed, so
 * scopes stay right); while it is odd, calls are counted and faulted,
 * and each odd value not seen before starts every count again from zero.
 * The root changes it with atomic increments in memory it shares with
 * the caller (a memfd both map); it is read with acquire loads and must
 * stay mapped until supervise returns.  NULL, the default: always armed.
 */
void spf_seccomp_set_arm_word(struct spf_seccomp *ctx,
                              const uint32_t *arm_word);

/*
 * Optional, before spf_seccomp_supervise(): root is the caller's to reap
 * (another of its threads waits for it), so supervise never waits for any
 * process, returns 0 once the tree is gone, and leaves *ret_status alone.
 * The caller must reap root and any orphan of the tree it adopts, or the
 * tree is never gone.  Nor does supervise signal root, whose pid may be
 * another process's by then: when it fails (any -errno but -ECANCELED),
 * the caller must kill root itself (through a pidfd it opened before it
 * could reap root), or root goes on with every notified call failing
 * with ENOSYS.
 */
void spf_seccomp_leave_root(struct spf_seccomp *ctx);

/*
 * Optional, before spf_seccomp_supervise(): once stop_fd is readable,
 * supervise stops answering and returns -ECANCELED; every notified call
 * of what is left of the tree then fails with ENOSYS.  stop_fd stays the
 * caller's.  -1, the default: none.
 */
void spf_seccomp_set_stop_fd(struct spf_seccomp *ctx, int stop_fd);

/*
 * Fork, and in the child install the filter and exec path with argv and
 * envp (argv[0] is the program's own business): the first two steps in
 * one, for a launcher that wants the pid (to forward signals) before it
 * supervises.  Returns 0 and *ret_pid, or -errno when fork failed.  Then
 * spf_seccomp_supervise(ctx, *ret_pid, ...).
 */
int spf_seccomp_start(const struct spf_seccomp *ctx, const char *path,
                      char *const argv[], char *const envp[], pid_t *ret_pid);

/* Close what prepare opened and free it.  NULL is fine. */
void spf_seccomp_free(struct spf_seccomp *ctx);

/*
 * Run argv[0] (a path: no PATH search) with argv and envp under the plan,
 * supervised until its whole tree is gone.  Returns 0 with the program's
 * wait status in *ret_status, or -errno: the errno of a failed exec, or of
 * a failure to set up.
 */
int spf_seccomp_run(const struct spf_fault_plan *plan, char *const argv[],
                    char *const envp[], int log_fd, int *ret_status);

#ifdef __cplusplus
}
#endif

#endif
