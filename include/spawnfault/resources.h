/*
 * spawnfault resources: faults made of real limits instead of wrappers, so
 * the kernel itself fails the call wherever it is made (inside libc, in a
 * static or musl program), with its own errno.
 *
 * - A pids cgroup makes fork, vfork, clone and posix_spawn fail with a real
 *   EAGAIN once a tree holds its maximum of processes.
 * - RLIMIT_NOFILE makes every call that creates an fd fail with EMFILE.
 *
 * Not async-signal-safe: these run in the launcher, never between fork
 * and exec.
 */
#ifndef SPAWNFAULT_RESOURCES_H
#define SPAWNFAULT_RESOURCES_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A pids cgroup made for one run, beside the cgroup the caller was in. */
struct spf_pids_limit;

/*
 * Makes a new pids cgroup (cgroup v1's pids hierarchy, or cgroup v2 with
 * the pids controller) with room for max processes.  Returns 0, or -errno:
 * -ENOENT when no pids controller is mounted, -EACCES or -EPERM when the
 * caller may not make cgroups (root is needed on most systems).  The name
 * of what failed goes to errbuf.
 */
int spf_pids_limit_create(unsigned max, struct spf_pids_limit **ret,
                          char *errbuf, size_t errlen);

/* Moves the calling process into the cgroup, and back to where it was.
 * A child forked while inside is inside for good; the usual use is
 * enter, spawn, leave, so that only the child's tree is limited.  Returns
 * 0 or -errno. */
int spf_pids_limit_enter(struct spf_pids_limit *l);
int spf_pids_limit_leave(struct spf_pids_limit *l);

/* Changes the maximum (after leave: the caller no longer counts). */
int spf_pids_limit_set(struct spf_pids_limit *l, unsigned max);

/* The cgroup's folder.  Its neighbours named spawnfault-PID-TIME-N whose
 * launcher PID is gone are removed by create when they are empty. */
const char *spf_pids_limit_dir(const struct spf_pids_limit *l);

/* How many processes the cgroup holds now, or -errno. */
int spf_pids_limit_count(const struct spf_pids_limit *l);

/*
 * SIGKILLs every process still in the cgroup, waits (up to a second) for
 * it to empty, removes it and frees l.  Returns 0, or -errno when it could
 * not be removed (l is freed anyway).  NULL is a no-op.
 */
int spf_pids_limit_destroy(struct spf_pids_limit *l);

#ifdef __cplusplus
}
#endif

#endif
