/* Private declarations shared by the core's modules. */
#ifndef SPF_CORE_INTERNAL_H
#define SPF_CORE_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spawnfault/spawn.h>

/* A growable byte buffer of the parent (never used in the child). */
struct spf__buf {
    char *data;
    size_t len, cap;
};

/* Make room for len more bytes (plus a terminating NUL). */
int spf__buf_reserve(struct spf__buf *b, size_t len);
int spf__buf_append(struct spf__buf *b, const void *data, size_t len);
/* Release the room beyond the data (and its NUL), if the C library can. */
void spf__buf_trim(struct spf__buf *b);
void spf__buf_free(struct spf__buf *b);

struct spf_proc {
    pid_t pid;
    int pidfd;  /* -1 when pidfd_open is not available */
    int fds[3]; /* parent ends: stdin (write), stdout, stderr (read) */
    bool captured[3];
    int pipesize; /* the spawn's pipesize option: > 0 when set */

    /* Status, written only with waitlock held (CPython's _waitpid_lock):
     * two threads never both reap the child or overwrite the code. */
    pthread_mutex_t waitlock;
    bool done;
    int returncode;

    /* Interruption (spf_popen_opts.interrupt) and CPython's
     * _sigint_wait_secs: the grace wait is given once. */
    const volatile sig_atomic_t *interrupt;
    bool grace_used;

    /* communicate() state, kept across calls so no output is lost. */
    bool comm_started;
    char *input;
    size_t input_len, input_off;
    struct spf__buf out[3];
    bool read_any[3];
};

/* Collect the status if the child has finished; blocking when block is
 * true.  Returns 1 (done), 0 (running or lock busy) or -errno. */
int spf__proc_collect(struct spf_proc *p, bool block);

/* The caller's interrupt flag is set. */
bool spf__interrupted(const struct spf_proc *p);

/* The bounded wait after an interrupt (reference 2.6): unless given
 * before, wait for the child at most 0.25 s and at most until deadline.
 * Always returns -EINTR. */
int spf__proc_grace(struct spf_proc *p, int64_t deadline);

/* Whether spf_popen() may create the child with CLONE_VM|CLONE_VFORK for
 * these options (the fork fallback aside). */
bool spf__popen_shares_memory(const struct spf_popen_opts *o);

/* Reap abandoned children without blocking (the _active list). */
size_t spf__active_reap(void);

#endif
