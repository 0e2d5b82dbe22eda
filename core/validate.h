#ifndef SPF_CORE_VALIDATE_H
#define SPF_CORE_VALIDATE_H

#include <spawnfault/spawn.h>

/* Check the options.  Returns 0, or -EINVAL with *e filled (stage
 * SPF_STAGE_INVALID and a message naming the offending field). */
int spf__validate(const struct spf_popen_opts *o, struct spf_spawn_error *e);

#endif
