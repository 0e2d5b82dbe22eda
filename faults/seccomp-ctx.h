/* What seccomp.c prepares and seccomp-child.c uses between fork and exec. */
#ifndef SPF_FAULTS_SECCOMP_CTX_H
#define SPF_FAULTS_SECCOMP_CTX_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include <spawnfault/faults.h>
#include <spawnfault/seccomp.h>

struct spf_seccomp {
    struct sock_fprog prog; /* the exported filter; filter is malloc'd */
    int sock[2];            /* [0] the parent's end, [1] the child's */
    int report[2];          /* the child's failure: [0] read, [1] write */
    struct spf_fault_plan plan;
    const uint32_t *arm_word; /* odd: armed; NULL: always */
    bool leave_root;          /* the caller reaps root */
    int stop_fd;              /* readable: stop; -1: none */
};

/* The child's failure record, written with one write(2): atomic. */
struct spf__seccomp_report {
    int32_t stage; /* enum spf_seccomp_stage */
    int32_t err;
};

/* The child of spf_seccomp_start(): install, exec path, or report and
 * exit with 127.  Async-signal-safe. */
_Noreturn void spf__seccomp_child_exec(const struct spf_seccomp *ctx,
                                       const char *path, char *const argv[],
                                       char *const envp[]);

#endif
