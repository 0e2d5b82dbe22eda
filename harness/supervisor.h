#ifndef SPF_HARNESS_SUPERVISOR_H
#define SPF_HARNESS_SUPERVISOR_H

#include <spawnfault/harness.h>

/* Run the case as its supervisor (the calling process, forked for this
 * purpose), writing the outcome as JSON to result_fd.  c is modified
 * (tokens expanded).  Returns the exit status for the supervisor. */
int spf__supervise(struct spf_case *c, const struct spf_harness_config *cfg,
                   int result_fd);

#endif
