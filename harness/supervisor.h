#ifndef SPF_HARNESS_SUPERVISOR_H
#define SPF_HARNESS_SUPERVISOR_H

#include <spawnfault/harness.h>

/*
 * With seccomp rules, the agent finds here where the word it arms the
 * seccomp supervisor with lives: "FD:OFFSET", a page of the fault log
 * memfd past its records.  The agent increments the word as it arms
 * (odd) and disarms (even), and takes the variable out of its
 * environment before anything else, so the case never sees it.
 */
#define SPF__ENV_SECCOMP_ARM "SPF_SECCOMP_ARM"

/* Run the case as its supervisor (the calling process, forked for this
 * purpose) in the empty folder dir, which it removes, writing the outcome
 * as JSON to result_fd.  c is modified (tokens expanded).  Returns the
 * exit status for the supervisor. */
int spf__supervise(struct spf_case *c, const struct spf_harness_config *cfg,
                   const char *dir, int result_fd);

/* Make a new case folder under the configured root: 0 or -errno. */
int spf__case_dir_make(const struct spf_harness_config *cfg, char *buf,
                       size_t len);

/* Remove a case folder and everything in it, whatever the case did to its
 * permissions. */
void spf__case_dir_remove(const char *dir);

#endif
