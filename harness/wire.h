/*
 * The harness's wire format: a case going to an agent and an outcome
 * coming back, as JSON (docs/harness.md).  Byte strings travel as
 * lower-case hex so that any byte survives; descriptions are UTF-8 text.
 */
#ifndef SPF_HARNESS_WIRE_H
#define SPF_HARNESS_WIRE_H

#include <stddef.h>

#include <spawnfault/harness.h>

/* Serialise; returns a malloc'd NUL-terminated string, or NULL. */
char *spf__case_to_json(const struct spf_case *c);
char *spf__outcome_to_json(const struct spf_outcome *o);

/* Parse; returns 0, or -EINVAL with a message in err (errlen bytes).
 * On failure *ret is left cleared. */
int spf__case_from_json(const char *text, size_t len, struct spf_case *ret,
                        char *err, size_t errlen);
int spf__outcome_from_json(const char *text, size_t len,
                           struct spf_outcome *ret, char *err, size_t errlen);

#endif
