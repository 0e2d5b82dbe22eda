/* The expect: mapping of a scenario (expect.h). */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <spawnfault/faults.h>

#include "expect.h"
#include "rule.h"

#define EXPECT(field) offsetof(struct spf_expect, field)
#define OUTCOME(field) offsetof(struct spf_outcome, field)

const struct spf__stream spf__expect_streams[SPF__EXPECT_N_STREAMS] = {
    {"stdout", EXPECT(out), OUTCOME(out), 1, true},
    {"stderr", EXPECT(err_out), OUTCOME(err_out), 2, true},
    {"partial_stdout", EXPECT(partial_out), OUTCOME(partial_out), 1, true},
    {"partial_stderr", EXPECT(partial_err), OUTCOME(partial_err), 2, true},
    {"inherited_stdout", EXPECT(inherited_out), OUTCOME(inherited_out), 1,
     false},
    {"inherited_stderr", EXPECT(inherited_err), OUTCOME(inherited_err), 2,
     false},
};

static const char *const expect_keys[E__COUNT] = {
    [E_RESULT] = "result",
    [E_SPAWN_ERROR] = "spawn_error",
    [E_RETURNCODE] = "returncode",
    [E_SIGNAL] = "signal",
    [E_STDOUT] = "stdout",
    [E_STDERR] = "stderr",
    [E_PARTIAL_STDOUT] = "partial_stdout",
    [E_PARTIAL_STDERR] = "partial_stderr",
    [E_INHERITED_STDOUT] = "inherited_stdout",
    [E_INHERITED_STDERR] = "inherited_stderr",
    [E_ELAPSED_MAX] = "elapsed_max",
    [E_ELAPSED_MIN] = "elapsed_min",
    [E_FAULTS_FIRED] = "faults_fired",
    [E_STRAYS] = "strays",
    [E_ERROR] = "error",
};

/* The highest signal number Linux has (SIGRTMAX with glibc and musl). */
#define MAX_SIGNAL 64

static int stage_from_name(const char *name)
{
    int stage = spf_stage_from_name(name);
    return stage == SPF_STAGE_NONE ? -EINVAL : stage;
}

static int result_from_name(const char *name)
{
    int result = spf_result_from_name(name);
    /* Neither says anything about the spawn: a scenario cannot ask for
     * them. */
    return result == SPF_RESULT_HARNESS || result == SPF_RESULT_NOT_APPLICABLE
               ? -EINVAL
               : result;
}

enum { SE_STAGE, SE_ERRNO, SE_FILENAME, SE_RAW, SE_MESSAGE, SE__COUNT };
static const char *const spawn_error_keys[SE__COUNT] = {
    [SE_STAGE] = "stage", [SE_ERRNO] = "errno",     [SE_FILENAME] = "filename",
    [SE_RAW] = "raw",     [SE_MESSAGE] = "message",
};

static int parse_spawn_error(const struct spf__node *n, struct spf_expect *e)
{
    struct spf__node v[SE__COUNT];
    int stage, r = spf__node_mapping(n, spawn_error_keys, SE__COUNT, v);
    if (r < 0)
        return r;
    if (v[SE_STAGE].y) {
        if ((r = spf__node_enum(&v[SE_STAGE], stage_from_name, "stage",
                                "invalid, setup, fork, preexec, chdir, exec, "
                                "child or bad_data",
                                &stage)) < 0)
            return r;
        e->has_stage = true;
        e->stage = (enum spf_stage)stage;
    }
    if (v[SE_ERRNO].y && (r = spf__rules_read_errno(&v[SE_ERRNO], &e->err)) < 0)
        return r;
    e->has_errno = v[SE_ERRNO].y != NULL;
    e->has_filename = v[SE_FILENAME].y != NULL;
    if (e->has_filename && !spf__node_is_null(&v[SE_FILENAME]) &&
        (r = spf__node_bytes(&v[SE_FILENAME], &e->filename)) < 0)
        return r;
    if (v[SE_RAW].y && (r = spf__node_bytes(&v[SE_RAW], &e->raw)) < 0)
        return r;
    e->has_raw = v[SE_RAW].y != NULL;
    if (v[SE_MESSAGE].y &&
        (r = spf__node_bytes(&v[SE_MESSAGE], &e->message)) < 0)
        return r;
    e->has_message = v[SE_MESSAGE].y != NULL;
    return 0;
}

/* A SHA-256 as 64 hex digits, kept in lower case. */
static int parse_sha256(const struct spf__node *n, char ret[65])
{
    const char *s;
    int r = spf__node_word(n, &s);
    if (r < 0)
        return r;
    if (strlen(s) != 64 || s[strspn(s, "0123456789abcdefABCDEF")])
        return spf__node_fail(n, "expected a SHA-256 as 64 hex digits");
    for (size_t i = 0; i <= 64; i++)
        ret[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
    return 0;
}

enum { ST_LEN, ST_SHA256, ST_ABSENT, ST__COUNT };
static const char *const stream_keys[ST__COUNT] = {
    [ST_LEN] = "len",
    [ST_SHA256] = "sha256",
    [ST_ABSENT] = "absent",
};

/* {len: N, sha256: HEX} or {absent: true}. */
static int parse_digest(const struct spf__node *n, struct spf_expect_stream *s)
{
    struct spf__node v[ST__COUNT];
    long long len;
    int r = spf__node_mapping(n, stream_keys, ST__COUNT, v);
    if (r < 0)
        return r;
    if (!v[ST_LEN].y && !v[ST_SHA256].y && !v[ST_ABSENT].y)
        return spf__node_fail(n, "expected bytes, or a mapping of len, "
                                 "sha256 or absent");
    if (v[ST_ABSENT].y) {
        if ((r = spf__node_bool(&v[ST_ABSENT], &s->has_absent)) < 0)
            return r;
        if (!s->has_absent)
            return spf__node_fail(&v[ST_ABSENT], "only absent: true has a "
                                                 "meaning; leave the key "
                                                 "out otherwise");
        if (v[ST_LEN].y || v[ST_SHA256].y)
            return spf__node_fail(&v[ST_ABSENT], "absent: true cannot be "
                                                 "combined with len or "
                                                 "sha256");
    }
    if (v[ST_LEN].y && (r = spf__node_int(&v[ST_LEN], 0, INT64_MAX, &len)) < 0)
        return r;
    s->has_len = v[ST_LEN].y != NULL;
    s->len = s->has_len ? (uint64_t)len : 0;
    if (v[ST_SHA256].y && (r = parse_sha256(&v[ST_SHA256], s->sha256)) < 0)
        return r;
    s->has_sha256 = v[ST_SHA256].y != NULL;
    return 0;
}

/* Exact bytes, or a digest mapping: a mapping is bytes when it has one of
 * the keys of the bytes forms. */
static int parse_stream(const struct spf__node *n, struct spf_expect_stream *s)
{
    if (n->y->type == YAML_MAPPING_NODE && !spf__node_has_key(n, "hex") &&
        !spf__node_has_key(n, "repeat"))
        return parse_digest(n, s);
    int r = spf__node_bytes(n, &s->data);
    s->has_data = r == 0;
    return r;
}

static int read_fired_elem(const struct spf__node *item, void *ret)
{
    enum spf_fault_call call;
    unsigned scope;
    const char *s;
    int r = spf__node_word(item, &s);
    if (r < 0)
        return r;
    if (spf__rules_fired_parse(s, &call, &scope) < 0)
        return spf__node_fail(item, "expected \"point\" or \"point@scope\" "
                                    "(e.g. spawn/exec, io/read@parent)");
    return spf__node_text(item, ret);
}

static const struct spf__array_reader fired_array = {
    sizeof(char *), read_fired_elem, spf__node_drop_text};

/* returncode: N, or signal: NAME or N meaning returncode -N. */
static int parse_returncode(const struct spf__node *v, struct spf_expect *e)
{
    const struct spf__node *sig = &v[E_SIGNAL];
    long long code = 0;
    int num = 0, r;
    if (v[E_RETURNCODE].y && sig->y)
        return spf__node_fail(sig, "returncode and signal are two ways of "
                                   "saying the same: give one");

    if (v[E_RETURNCODE].y) {
        r = spf__node_int(&v[E_RETURNCODE], -MAX_SIGNAL, 255, &code);
    } else if (spf__node_is_int(sig)) {
        r = spf__node_int(sig, 1, MAX_SIGNAL, &code);
        code = -code;
    } else {
        r = spf__node_enum(sig, spf_signal_from_name, "signal",
                           "a name such as SIGKILL, or a number", &num);
        code = -(long long)num;
    }
    if (r < 0)
        return r;
    e->has_returncode = true;
    e->returncode = (int)code;
    return 0;
}

/* The result a key implies by its presence, or -1. */
static int implied_result(size_t key)
{
    if (key == E_SPAWN_ERROR)
        return SPF_RESULT_SPAWN_ERROR;
    if (key == E_PARTIAL_STDOUT || key == E_PARTIAL_STDERR)
        return SPF_RESULT_TIMEOUT;
    if (key == E_ERROR)
        return SPF_RESULT_ERROR;
    return -1;
}

/* The explicit result must agree with what the other keys imply, and
 * those must agree with each other; the default is exited. */
static int resolve_result(const struct spf__node *v, struct spf_expect *e)
{
    int result = -1, r;
    size_t by = E__COUNT;
    if (v[E_RESULT].y) {
        if ((r = spf__node_enum(&v[E_RESULT], result_from_name, "result",
                                "exited, spawn_error, timeout, error or "
                                "called_process_error",
                                &result)) < 0)
            return r;
        by = E_RESULT;
    }

    for (size_t k = 0; k < E__COUNT; k++) {
        int implied = implied_result(k);
        if (implied < 0 || !v[k].y || implied == result)
            continue;
        if (result >= 0)
            return spf__node_fail(
                &v[k], "%s implies result %s, but %s %s %s", expect_keys[k],
                spf_result_name((enum spf_result)implied), expect_keys[by],
                by == E_RESULT ? "is" : "implies",
                spf_result_name((enum spf_result)result));
        result = implied;
        by = k;
    }
    e->has_result = true;
    e->result = result < 0 ? SPF_RESULT_EXITED : (enum spf_result)result;
    return 0;
}

static int parse_elapsed(const struct spf__node *v, struct spf_expect *e)
{
    int r;
    if ((v[E_ELAPSED_MAX].y &&
         (r = spf__node_seconds(&v[E_ELAPSED_MAX], false, &e->elapsed_max_ns)) <
             0) ||
        (v[E_ELAPSED_MIN].y && (r = spf__node_seconds(&v[E_ELAPSED_MIN], false,
                                                      &e->elapsed_min_ns)) < 0))
        return r;
    e->has_elapsed_max = v[E_ELAPSED_MAX].y != NULL;
    e->has_elapsed_min = v[E_ELAPSED_MIN].y != NULL;
    if (e->has_elapsed_max && e->has_elapsed_min &&
        e->elapsed_min_ns > e->elapsed_max_ns)
        return spf__node_fail(&v[E_ELAPSED_MIN],
                              "elapsed_min is above elapsed_max");
    return 0;
}

static int parse_parts(const struct spf__node *v, struct spf_expect *e)
{
    int r;
    if ((r = resolve_result(v, e)) < 0 ||
        (v[E_SPAWN_ERROR].y &&
         (r = parse_spawn_error(&v[E_SPAWN_ERROR], e)) < 0) ||
        ((v[E_RETURNCODE].y || v[E_SIGNAL].y) &&
         (r = parse_returncode(v, e)) < 0))
        return r;

    for (size_t i = 0; i < SPF__EXPECT_N_STREAMS; i++) {
        const struct spf__node *sn = &v[E_STDOUT + i];
        if (sn->y &&
            (r = parse_stream(
                 sn, spf__expect_stream(&spf__expect_streams[i], e))) < 0)
            return r;
    }

    if ((r = parse_elapsed(v, e)) < 0)
        return r;
    if (v[E_ERROR].y &&
        (r = spf__rules_read_errno(&v[E_ERROR], &e->api_err)) < 0)
        return r;
    e->has_api_errno = v[E_ERROR].y != NULL;
    if (v[E_STRAYS].y) {
        long long n;
        if ((r = spf__node_int(&v[E_STRAYS], 0, INT32_MAX, &n)) < 0)
            return r;
        e->has_strays = true;
        e->strays = (size_t)n;
    }
    if (v[E_FAULTS_FIRED].y)
        return spf__node_array(&v[E_FAULTS_FIRED], &fired_array,
                               (void **)&e->fired, &e->n_fired);
    return 0;
}

int spf__expect_parse(const struct spf__node *n, struct spf_expect *ret,
                      struct spf__node ret_nodes[E__COUNT])
{
    struct spf_expect e = {0};
    struct spf__node v[E__COUNT];
    bool any = false;
    int r = spf__node_mapping(n, expect_keys, E__COUNT, v);
    if (r < 0)
        return r;
    for (size_t k = 0; k < E__COUNT; k++)
        any |= v[k].y != NULL;
    if (!any)
        return spf__node_fail(n, "expect needs at least one key");

    if ((r = parse_parts(v, &e)) < 0) {
        spf__expect_clear(&e);
        return r;
    }
    *ret = e;
    memcpy(ret_nodes, v, sizeof(v));
    return 0;
}

void spf__expect_clear(struct spf_expect *e)
{
    free(e->filename.data);
    free(e->raw.data);
    free(e->message.data);
    for (size_t i = 0; i < SPF__EXPECT_N_STREAMS; i++)
        free(spf__expect_stream(&spf__expect_streams[i], e)->data.data);
    for (size_t i = 0; i < e->n_fired; i++)
        free(e->fired[i]);
    free(e->fired);
    memset(e, 0, sizeof(*e));
}

enum spf_result spf__expect_result(const struct spf_expect *e)
{
    if (e->has_result)
        return e->result;
    if (e->has_stage || e->has_errno || e->has_filename || e->has_raw ||
        e->has_message)
        return SPF_RESULT_SPAWN_ERROR;
    if (e->has_api_errno)
        return SPF_RESULT_ERROR;
    for (size_t i = 0; i < SPF__EXPECT_N_STREAMS; i++) {
        const struct spf_expect_stream *s =
            spf__expect_stream(&spf__expect_streams[i], e);
        bool any = s->has_data || s->has_len || s->has_sha256 || s->has_absent;
        if (any && implied_result(E_STDOUT + i) == SPF_RESULT_TIMEOUT)
            return SPF_RESULT_TIMEOUT;
    }
    return SPF_RESULT_EXITED;
}
