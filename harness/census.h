/*
 * The census: what a case left behind.  Open fds of a process, and the
 * processes below a given one, read from /proc.
 */
#ifndef SPF_HARNESS_CENSUS_H
#define SPF_HARNESS_CENSUS_H

#include <stddef.h>
#include <sys/types.h>

struct spf__fdset {
    int *fds;
    size_t n;
};

/* The calling process's open fds, sorted.  Returns 0 or -errno. */
int spf__fds_open(struct spf__fdset *ret);
void spf__fdset_free(struct spf__fdset *s);

/* "fd 5 -> pipe:[1234]" for each fd open in after but not in before;
 * appended to *v.  Returns 0 or -ENOMEM. */
int spf__fds_leaked(const struct spf__fdset *before,
                    const struct spf__fdset *after, char ***v, size_t *n);

/* Every process whose parent chain reaches root (root excluded), with
 * children listed before... in no particular order.  Returns 0 or -errno. */
int spf__descendants(pid_t root, pid_t **ret, size_t *ret_n);

/*
 * Kill (SIGKILL) and reap every process below the caller, round after
 * round until none is left: as a child subreaper, the caller inherits the
 * children of every parent it kills.  seen (may be NULL) is called once per
 * process found alive, before it is killed.  Returns how many were seen.
 */
size_t spf__kill_descendants(void (*seen)(pid_t pid, void *ctx), void *ctx);

/* The same, leaving alone the processes in keep and everything below
 * them, and reaping only what it killed. */
size_t spf__kill_descendants_except(const pid_t *keep, size_t n_keep,
                                    void (*seen)(pid_t pid, void *ctx),
                                    void *ctx);

/* spf__descendants(), without the processes in keep and their trees. */
int spf__descendants_except(pid_t root, const pid_t *keep, size_t n_keep,
                            pid_t **ret, size_t *ret_n);

/* "pid 123 (sleep) state S", or NULL when it is gone. */
char *spf__proc_describe(pid_t pid);

/* The process state letter from /proc (Z for a zombie), or 0 if gone. */
char spf__proc_state(pid_t pid);

#endif
