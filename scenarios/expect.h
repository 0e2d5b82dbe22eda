/*
 * The expect: mapping of a scenario, and the facts about expectations that
 * the loader and the verdict share: the output streams, the default
 * result, signal names.
 */
#ifndef SPF_SCENARIOS_EXPECT_H
#define SPF_SCENARIOS_EXPECT_H

#include <spawnfault/scenario.h>

#include "node.h"

enum spf__expect_key {
    E_RESULT,
    E_SPAWN_ERROR,
    E_RETURNCODE,
    E_SIGNAL,
    E_STDOUT, /* the six streams, in spf__expect_streams order */
    E_STDERR,
    E_PARTIAL_STDOUT,
    E_PARTIAL_STDERR,
    E_INHERITED_STDOUT,
    E_INHERITED_STDERR,
    E_ELAPSED_MAX,
    E_ELAPSED_MIN,
    E_FAULTS_FIRED,
    E_STRAYS,
    E_ERROR,
    E__COUNT
};

/* An output stream as expected and as observed. */
struct spf__stream {
    const char *name;      /* the expect: key, also the mismatch field */
    size_t expect_offset;  /* of its spf_expect_stream in spf_expect */
    size_t outcome_offset; /* of its spf_capture in spf_outcome */
    int fd;                /* 1 or 2: the child's stream it comes from */
    bool from_pipe;        /* read through the API path's own pipe */
};

#define SPF__EXPECT_N_STREAMS 6
extern const struct spf__stream spf__expect_streams[SPF__EXPECT_N_STREAMS];

static inline struct spf_expect_stream *
spf__expect_stream(const struct spf__stream *s, const struct spf_expect *e)
{
    return (struct spf_expect_stream *)((char *)e + s->expect_offset);
}

static inline struct spf_capture *
spf__expect_capture(const struct spf__stream *s, const struct spf_outcome *o)
{
    return (struct spf_capture *)((char *)o + s->outcome_offset);
}

/*
 * Read the expect: mapping into *ret, resolving the result (always set)
 * and checking the rules that involve expectations alone.  The nodes of
 * its keys go to ret_nodes for the checks against the rest of the
 * scenario.  On failure nothing is left to free.
 */
int spf__expect_parse(const struct spf__node *n, struct spf_expect *ret,
                      struct spf__node ret_nodes[E__COUNT]);

void spf__expect_clear(struct spf_expect *e);

/* The result the expectations call for: the explicit one, else what the
 * other keys imply (a spawn error, partial output: timeout), else
 * exited. */
enum spf_result spf__expect_result(const struct spf_expect *e);

#endif
