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
 * WORKLOAD_CALLS one-byte writes to a /dev/null fd of their own, made by
 * nthreads threads at once (1: the calling thread, alone in its process,
 * on the last CPU; 2: two new threads, started together on the first and
 * the last CPU).  Returns the nanoseconds of the slower one, or -errno.
 */
int64_t workload_devnull(int nthreads);

/* WORKLOAD_CALLS getpid system calls (not glibc's getpid, which the
 * preload does not use either), for reference.  Returns nanoseconds. */
int64_t workload_getpid(void);

/* One-byte writes to a 1 MiB pipe that another thread, on the other CPU,
 * drains.  Returns the writer's nanoseconds, or -errno. */
int64_t workload_pipe(void);

#endif
