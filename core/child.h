/*
 * The child between fork and exec.  The parent prepares a plan with
 * everything already allocated and decided; the child only follows it.
 */
#ifndef SPF_CORE_CHILD_H
#define SPF_CORE_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "errpipe.h"

/* Where a child sharing the parent's memory leaves its error record
 * instead of writing it to an errpipe.  The parent reads it once the
 * vfork-style clone has returned, that is once the child has exec'd or
 * exited. */
struct spf__child_report {
    bool started; /* the child's first store: proves the memory is shared */
    size_t len;   /* 0: no failure */
    char data[SPF__RECORD_MAX];
};

struct spf__child_plan {
    char *const *argv;       /* NULL-terminated */
    char *const *envp;       /* NULL-terminated, or NULL: the parent's */
    char *const *candidates; /* NULL-terminated paths to try, at least 1 */
    const char *cwd;         /* NULL: unchanged */

    int std_src[3]; /* fd to become 0, 1, 2; -1: inherit */
    int errpipe_w;  /* >= 3, close-on-exec; -1 when report is set */
    struct spf__child_report *report; /* NULL: report on errpipe_w */

    const int *keep; /* sorted, unique: errpipe_w and pass_fds */
    size_t n_keep;
    bool close_fds;
    int max_fd; /* bound for the brute-force fallback of close_fds;
                   -1: RLIMIT_NOFILE, asked by the child if it gets there */

    bool new_session;
    int pgid;  /* -1: unchanged */
    int umask; /* -1: unchanged */
    bool restore_signals;
    /* The kernel has reset the handlers (CLONE_CLEAR_SIGHAND) and the
     * parent blocked nothing: no handler to reset, no mask to restore. */
    bool sighand_cleared;
    sigset_t parent_mask; /* the mask to restore before exec */

    bool set_groups;     /* setgroups(n_groups, groups), n may be 0 */
    const gid_t *groups; /* prepared by the parent */
    size_t n_groups;
    int64_t gid; /* -1: unchanged */
    int64_t uid; /* -1: unchanged */
};

/* clone(2) entry point: arg is the plan.  Never returns. */
int spf__child_main(void *arg);

/*
 * clone3(2) with the child on a new stack: the parent gets the pid or
 * -errno; the child runs fn(arg) and exits with its return value.  Only
 * where an assembly trampoline exists (SPF__HAVE_CLONE3_RUN).
 */
#if defined(__x86_64__)
#define SPF__HAVE_CLONE3_RUN 1
long spf__clone3_run(void *args, size_t size, int (*fn)(void *), void *arg);
#else
#define SPF__HAVE_CLONE3_RUN 0
#endif

/* Run the plan: exec, or report the failure on the errpipe and exit 255.
 * The name says it: this function never returns. */
_Noreturn void spf__child_exec_or_die(const struct spf__child_plan *plan);

/* Close every fd >= 3 not in keep.  how: 0 = best available
 * (close_range, then /proc/self/fd, then brute force up to max_fd, or
 * to RLIMIT_NOFILE when max_fd is -1);
 * 1 = /proc/self/fd only; 2 = brute force only (tests use 1 and 2). */
void spf__child_close_fds(const int *keep, size_t n_keep, int max_fd, int how);

#endif
