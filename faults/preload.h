/*
 * Private to the preload: what preload.c shares with the x86-64 vfork
 * trampoline in vfork-x86_64.S.  Both symbols are hidden, so the
 * trampoline reaches them without a PLT or GOT and nothing outside the
 * library can see them.
 */
#ifndef SPAWNFAULT_FAULTS_PRELOAD_H
#define SPAWNFAULT_FAULTS_PRELOAD_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <spawnfault/faults.h>

/* The two exported switches, typed by the public header. */
spf_fault_switch_fn spf_fault_arm __attribute__((visibility("default")));
spf_fault_switch_fn spf_fault_disarm __attribute__((visibility("default")));

/* The real vfork, jumped to by the trampoline when no fault fires. */
extern void *spf__real_vfork __attribute__((visibility("hidden")));

/*
 * Called by the trampoline in the parent, before the real vfork: counts
 * the call and decides.  Returns 0 to go on, or -1 with errno set, which
 * the trampoline returns as vfork's result.  Async-signal-safe.
 */
int spf__vfork_gate(void) __attribute__((visibility("hidden")));

/*
 * glibc's _FORTIFY_SOURCE entry points.  A fortified agent calls these
 * instead of read, poll and ppoll, so the preload wraps them too.  glibc
 * declares them only when fortification is on, and it is off here because
 * it would turn our own definitions of read and poll into inline wrappers.
 */
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                const sigset_t *ss, size_t fdslen);

#endif
