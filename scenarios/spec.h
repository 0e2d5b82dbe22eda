/* One scenario document read into a struct spf_scenario. */
#ifndef SPF_SCENARIOS_SPEC_H
#define SPF_SCENARIOS_SPEC_H

#include <spawnfault/scenario.h>

#include "node.h"

/*
 * Read the document whose root is n.  Fills everything but file, folder
 * and line, which the loader knows, and gives where the name is written
 * (for duplicate names).  Returns 0, or -EINVAL / -ENOMEM with the
 * diagnostic filled and nothing left to free.
 */
int spf__spec_parse(const struct spf__node *n, struct spf_scenario *ret,
                    yaml_mark_t *ret_name_mark);

/* Release what a scenario owns and zero it. */
void spf__spec_clear(struct spf_scenario *sc);

#endif
