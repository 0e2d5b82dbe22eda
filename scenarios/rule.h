/*
 * The faults: list of a scenario, read into the case's fault plan (preload
 * rules) and libfiu points, and the "call@scope" names that expectations
 * and verdicts use for fired faults.
 */
#ifndef SPF_SCENARIOS_RULE_H
#define SPF_SCENARIOS_RULE_H

#include <spawnfault/faults.h>
#include <spawnfault/harness.h>

#include "node.h"

/* Read the faults: list into kase->faults and kase->fiu.  On failure what
 * was stored is left for spf_case_clear(). */
int spf__rules_parse(const struct spf__node *n, struct spf_case *kase);

/* An errno written as a name ("ENOENT") or a number >= 0. */
int spf__rules_read_errno(const struct spf__node *n, int *ret);

/* Parse "call" or "call@scope"; *ret_scope is 0 for "any scope".
 * Returns 0 or -EINVAL. */
int spf__rules_fired_parse(const char *s, enum spf_fault_call *ret_call,
                           unsigned *ret_scope);

#endif
