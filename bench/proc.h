/* What the benchmarks' driver and their helper processes share. */
#ifndef SPF_BENCH_PROC_H
#define SPF_BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>

/* Reads or writes all of len bytes, retrying on EINTR.  Returns 0, -errno,
 * or -EPIPE at end of file. */
int bench_io_full(int fd, void *buf, size_t len, bool wr);

/* A helper process goes with the benchmark, even when the benchmark is
 * killed (PR_SET_PDEATHSIG); exits at once when the parent is already
 * gone. */
void bench_die_with_parent(void);

#endif
