/* The write loops the preload benchmark times, in the worker process. */
#ifndef SPF_BENCH_WORKLOAD_H
#define SPF_BENCH_WORKLOAD_H

#include <stdint.h>

/* Calls to write(2) in one timed loop. */
#define WORKLOAD_CALLS 100000

/* Remembers the CPUs this process may use; call once, before any loop.
 * Returns 0 or -errno. */
int workload_init(void);

/* Pins the calling thread to the last allowed CPU (which = 0) or to the
 * first one (which = 1; the same CPU when only one is allowed). */
void workload_pin(int which);

/*
 * nthreads threads (1 or 2), each with its own /dev/null fd, start
 * together and make WORKLOAD_CALLS one-byte writes.  A single thread runs
 * on the last CPU; two run on the first and the last.  Returns the
 * nanoseconds of the slower thread, or -errno.
 */
int64_t workload_devnull(int nthreads);

/* WORKLOAD_CALLS getpid system calls (not glibc's getpid, which the
 * preload does not use either), for reference.  Returns nanoseconds. */
int64_t workload_getpid(void);

/* One-byte writes to a 1 MiB pipe that another thread, on the other CPU,
 * drains.  Returns the writer's nanoseconds, or -errno. */
int64_t workload_pipe(void);

#endif
