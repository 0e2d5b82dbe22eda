/* Comparing outcomes field by field, and the fields' names (scenario.h). */
#ifndef SPF_SCENARIOS_COMPARE_H
#define SPF_SCENARIOS_COMPARE_H

#include <stddef.h>

#include <spawnfault/scenario.h>

#include "textbuf.h"

/* The comparison field a verdict's mismatch field belongs to:
 * "spawn_error.errno" is errno, "stdout.len" stdout, "census.strays"
 * strays.  Writes "" when none does (the watchdog, harness errors). */
void spf__compare_field_of(const char *mismatch, char *ret, size_t len);

/* Whether name is one of spf_compare_fields. */
bool spf__compare_field_known(const char *name);

/* How the verdict shows values (verdict.c). */
void spf__show_bytes(struct spf__textbuf *t, const struct spf_bytes *b,
                     const char *absent);
void spf__show_capture(struct spf__textbuf *t, const struct spf_capture *cap);
void spf__show_errno(struct spf__textbuf *t, int err);
void spf__show_returncode(struct spf__textbuf *t, int code);

#endif
