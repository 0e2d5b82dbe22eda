/* The contenders: one spawn-and-wait of the target, each its own way. */
#ifndef SPF_BENCH_CONTEND_H
#define SPF_BENCH_CONTEND_H

#include <stdint.h>

enum contender {
    C_RAW,    /* vfork, dup2, execve, waitpid: the floor */
    C_SPF,    /* spf_popen, spf_proc_wait, spf_proc_free */
    C_POSIX,  /* glibc's posix_spawn, waitpid */
    C_FORK,   /* fork, dup2, execve, waitpid */
    C_PROCFD, /* C_RAW, closing fds >= 3 through /proc/self/fd */
    C__COUNT,
};

const char *contender_name(enum contender c);

/* Spawn path with npipes pipes (0: none; 1: stdout; 3: stdin, stdout,
 * stderr; C_SPF alone takes 3), wait for it and check it exited 0.
 * Returns 0 or -errno. */
int contend_spawn(enum contender c, const char *path, int npipes);

/* The same, timed on CLOCK_MONOTONIC: nanoseconds, or -errno. */
int64_t contend_timed(enum contender c, const char *path, int npipes);

int64_t mono_ns(void);

#endif
