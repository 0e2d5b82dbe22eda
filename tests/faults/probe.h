/*
 * The probes of test_matrix.c, built into preload-target and seccomp-target
 * (glibc and musl alike): one call of one point, made the same way whatever
 * the libc and whatever the backend, in a child of the target, so that the
 * target itself can watch the child be stopped or killed.
 *
 * probe_run(name, opts, out, raw_fork) forks a child that makes the call
 * named (exec, spawn, fork, pipe, dup, close, read, write, poll, wait,
 * kill, chdir, setsid, setpgid, mask), and writes to out, with the raw
 * write system call, one line per event:
 *
 *   handled SIG                     the handler ran (opts 'h': installed
 *                                   without SA_RESTART, 'r': with it)
 *   call NAME ret=R errno=E done=D  what the call returned: R is 0 for a
 *                                   success (a pid, an fd: 0), the bytes
 *                                   of a read or write, -1 for a failure
 *                                   with errno E (posix_spawn's returned
 *                                   code); D whether the call took effect
 *                                   (1 or 0; bytes in the pipe after a
 *                                   read or write; -1: not seen)
 *   stopped SIG                     the child stopped (then continued)
 *   status exit=N | signal=N        how the child ended
 *   ms N                            milliseconds from fork to reaping
 *
 * A successful exec runs /bin/false: no call line, exit=1.  The child is
 * made with fork(), or with the raw fork system call when raw_fork is
 * set (musl's fork sets the signal mask in the child: calls a seccomp
 * supervisor would count before the probe's own).
 */
#ifndef SPF_TEST_PROBE_H
#define SPF_TEST_PROBE_H

#include <stdbool.h>

/* 0 once the child is reaped; -1 for a name or opts it does not know. */
int probe_run(const char *name, const char *opts, int out, bool raw_fork);

#endif
