/* Counting system calls with ptrace: a noise-free cost figure. */
#ifndef SPF_BENCH_SYSCOUNT_H
#define SPF_BENCH_SYSCOUNT_H

#include "contend.h"

/* What one spawn costs in system calls, averaged over n spawns after a
 * warm-up spawn. */
struct syscount {
    double parent; /* in the spawning process, from start to the end of
                      the wait and the release of every fd */
    double child;  /* in the child, up to and including its execve */
};

/* Fork a traced process that spawns path n times with contender c and
 * npipes pipes, between two marker system calls.  Returns 0 or -errno. */
int syscount_run(enum contender c, const char *path, int npipes, int n,
                 struct syscount *ret);

#endif
