/* JSON encoding of cases and outcomes (jansson). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wire.h"
#include "text.h"

static json_t *hex_of(const char *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * len + 1);
    json_t *j;

    if (!s)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        s[2 * i] = digits[(unsigned char)data[i] >> 4];
        s[2 * i + 1] = digits[(unsigned char)data[i] & 0xf];
    }
    j = json_stringn(s, 2 * len);
    free(s);
    return j;
}

static json_t *bytes_json(const struct spf_bytes *b)
{
    return b->data ? hex_of(b->data, b->len) : json_null();
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode a hex string (or null) into b.  Returns 0 or -EINVAL. */
static int bytes_from(json_t *j, struct spf_bytes *b)
{
    const char *s;
    size_t n;

    b->data = NULL;
    b->len = 0;
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_string(j) || (json_string_length(j) & 1))
        return -EINVAL;
    s = json_string_value(j);
    n = json_string_length(j) / 2;
    if (!(b->data = malloc(n + 1)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            free(b->data);
            b->data = NULL;
            return -EINVAL;
        }
        b->data[i] = (char)(hi << 4 | lo);
    }
    b->data[n] = '\0';
    b->len = n;
    return 0;
}

static json_t *text_json(const char *s)
{
    char *clean;
    json_t *j;

    if (!s)
        return json_null();
    clean = spf__utf8_escape(s, strlen(s));
    j = clean ? json_string(clean) : NULL;
    free(clean);
    return j;
}

static json_t *timeout_json(int64_t ns)
{
    return ns == SPF_FOREVER ? json_null() : json_integer(ns);
}

static int64_t timeout_from(json_t *j)
{
    return json_is_integer(j) ? json_integer_value(j) : SPF_FOREVER;
}

static const char *const stdio_names[] = {
    [SPF_STDIO_INHERIT] = "inherit", [SPF_STDIO_PIPE] = "pipe",
    [SPF_STDIO_DEVNULL] = "devnull", [SPF_STDIO_FD] = "fd",
    [SPF_STDIO_STDOUT] = "stdout",
};

static json_t *stdio_json(const struct spf_stdio *s)
{
    return json_pack("{s:s, s:i}", "kind", stdio_names[s->kind], "fd", s->fd);
}

static int stdio_from(json_t *j, struct spf_stdio *s)
{
    const char *kind = json_string_value(json_object_get(j, "kind"));

    s->fd = (int)json_integer_value(json_object_get(j, "fd"));
    for (size_t i = 0; kind && i < 5; i++) {
        if (strcmp(kind, stdio_names[i]) == 0) {
            s->kind = (enum spf_stdio_kind)i;
            return 0;
        }
    }
    return -EINVAL;
}

static json_t *case_env_json(const struct spf_case *c)
{
    json_t *env;

    if (!c->env_replace)
        return json_null();
    env = json_array();
    for (size_t i = 0; i < c->envc; i++)
        json_array_append_new(env,
                              json_pack("[o, o]", bytes_json(&c->env_names[i]),
                                        bytes_json(&c->env_values[i])));
    return env;
}

static json_t *case_groups_json(const struct spf_case *c)
{
    json_t *groups;

    if (!c->set_extra_groups)
        return json_null();
    groups = json_array();
    for (size_t i = 0; i < c->n_extra_groups; i++)
        json_array_append_new(groups, json_integer(c->extra_groups[i]));
    return groups;
}

static json_t *case_spawn_json(const struct spf_case *c)
{
    json_t *argv = json_array(), *pass = json_array(), *std = json_array();

    for (size_t i = 0; i < c->argc; i++)
        json_array_append_new(argv, bytes_json(&c->argv[i]));
    for (size_t i = 0; i < c->n_pass_fds; i++)
        json_array_append_new(pass, json_integer(c->pass_fds[i]));
    for (int i = 0; i < 3; i++)
        json_array_append_new(std, stdio_json(&c->std[i]));
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:b, s:i, s:i, "
                     "s:b, s:b, s:I, s:I, s:o}",
                     "argv", argv, "executable", bytes_json(&c->executable),
                     "env", case_env_json(c), "cwd", bytes_json(&c->cwd),
                     "stdio", std, "close_fds", c->close_fds, "pass_fds", pass,
                     "start_new_session", c->start_new_session, "process_group",
                     c->process_group, "umask", c->umask, "restore_signals",
                     c->restore_signals, "allow_vfork", c->allow_vfork, "user",
                     (json_int_t)c->user, "group", (json_int_t)c->group,
                     "extra_groups", case_groups_json(c));
}

char *spf__case_to_json(const struct spf_case *c)
{
    json_t *fiu = json_array(), *root;
    char *s;

    for (size_t i = 0; i < c->n_fiu; i++)
        json_array_append_new(fiu, json_pack("{s:o, s:o}", "name",
                                             text_json(c->fiu[i].name), "data",
                                             bytes_json(&c->fiu[i].data)));
    root = json_pack("{s:o, s:o, s:s, s:o, s:o, s:b, s:o, s:b, s:i, s:o, "
                     "s:o}",
                     "id", text_json(c->id), "spawn", case_spawn_json(c), "api",
                     spf_api_name(c->api), "input", bytes_json(&c->input),
                     "timeout_ns", timeout_json(c->timeout_ns), "resume",
                     c->resume, "resume_timeout_ns",
                     timeout_json(c->resume_timeout_ns), "check", c->check,
                     "repeat", (int)c->repeat, "fiu", fiu, "watchdog_ns",
                     json_integer(c->watchdog_ns));
    if (!root)
        return NULL;
    s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

/* Parsing: a small cursor that remembers the first error. */
struct rd {
    int err;
    char *msg;
    size_t msglen;
};

static void fail(struct rd *r, const char *what)
{
    if (!r->err) {
        r->err = -EINVAL;
        snprintf(r->msg, r->msglen, "bad or missing \"%s\"", what);
    }
}

static void rd_bytes(struct rd *r, json_t *obj, const char *key,
                     struct spf_bytes *b)
{
    if (bytes_from(json_object_get(obj, key), b) < 0)
        fail(r, key);
}

static bool rd_bool(json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

static int rd_int(struct rd *r, json_t *obj, const char *key)
{
    json_t *j = json_object_get(obj, key);

    if (!json_is_integer(j) || json_integer_value(j) < INT_MIN ||
        json_integer_value(j) > INT_MAX) {
        fail(r, key);
        return 0;
    }
    return (int)json_integer_value(j);
}

static int64_t rd_int64(struct rd *r, json_t *obj, const char *key)
{
    json_t *j = json_object_get(obj, key);

    if (!json_is_integer(j)) {
        fail(r, key);
        return 0;
    }
    return (int64_t)json_integer_value(j);
}

static void *rd_array(struct rd *r, json_t *arr, const char *key, size_t elem,
                      size_t *ret_n)
{
    void *v;

    *ret_n = 0;
    if (!json_is_array(arr)) {
        fail(r, key);
        return NULL;
    }
    v = calloc(json_array_size(arr) + 1, elem);
    if (!v)
        fail(r, key);
    else
        *ret_n = json_array_size(arr);
    return v;
}

static void rd_env(struct rd *r, json_t *env, struct spf_case *c)
{
    size_t n;

    c->env_replace = !json_is_null(env) && env;
    if (!c->env_replace)
        return;
    c->env_names = rd_array(r, env, "env", sizeof(struct spf_bytes), &n);
    c->env_values = calloc(n + 1, sizeof(struct spf_bytes));
    if (!c->env_values)
        return fail(r, "env");
    c->envc = n;
    for (size_t i = 0; i < n; i++) {
        json_t *pair = json_array_get(env, i);

        if (bytes_from(json_array_get(pair, 0), &c->env_names[i]) < 0 ||
            bytes_from(json_array_get(pair, 1), &c->env_values[i]) < 0 ||
            !c->env_names[i].data || !c->env_values[i].data)
            fail(r, "env");
    }
}

/* null: no setgroups; an array (even empty): exactly these groups. */
static void rd_groups(struct rd *r, json_t *groups, struct spf_case *c)
{
    c->set_extra_groups = groups && !json_is_null(groups);
    if (!c->set_extra_groups)
        return;
    c->extra_groups = rd_array(r, groups, "extra_groups", sizeof(int64_t),
                               &c->n_extra_groups);
    for (size_t i = 0; i < c->n_extra_groups; i++) {
        json_t *g = json_array_get(groups, i);

        if (!json_is_integer(g))
            fail(r, "extra_groups");
        c->extra_groups[i] = (int64_t)json_integer_value(g);
    }
}

static void rd_spawn(struct rd *r, json_t *sp, struct spf_case *c)
{
    json_t *argv = json_object_get(sp, "argv");
    json_t *pass = json_object_get(sp, "pass_fds");
    json_t *std = json_object_get(sp, "stdio");

    c->argv = rd_array(r, argv, "argv", sizeof(struct spf_bytes), &c->argc);
    for (size_t i = 0; i < c->argc; i++)
        if (bytes_from(json_array_get(argv, i), &c->argv[i]) < 0)
            fail(r, "argv");
    rd_bytes(r, sp, "executable", &c->executable);
    rd_env(r, json_object_get(sp, "env"), c);
    rd_bytes(r, sp, "cwd", &c->cwd);
    for (int i = 0; i < 3; i++)
        if (stdio_from(json_array_get(std, (size_t)i), &c->std[i]) < 0)
            fail(r, "stdio");
    c->close_fds = rd_bool(sp, "close_fds");
    c->pass_fds = rd_array(r, pass, "pass_fds", sizeof(int), &c->n_pass_fds);
    for (size_t i = 0; i < c->n_pass_fds; i++)
        c->pass_fds[i] = (int)json_integer_value(json_array_get(pass, i));
    c->start_new_session = rd_bool(sp, "start_new_session");
    c->process_group = rd_int(r, sp, "process_group");
    c->umask = rd_int(r, sp, "umask");
    c->restore_signals = rd_bool(sp, "restore_signals");
    c->allow_vfork = rd_bool(sp, "allow_vfork");
    c->user = rd_int64(r, sp, "user");
    c->group = rd_int64(r, sp, "group");
    rd_groups(r, json_object_get(sp, "extra_groups"), c);
}

static void rd_fiu(struct rd *r, json_t *fiu, struct spf_case *c)
{
    c->fiu = rd_array(r, fiu, "fiu", sizeof(*c->fiu), &c->n_fiu);
    for (size_t i = 0; i < c->n_fiu; i++) {
        json_t *p = json_array_get(fiu, i);
        const char *name = json_string_value(json_object_get(p, "name"));

        if (!name || !(c->fiu[i].name = strdup(name)))
            fail(r, "fiu");
        rd_bytes(r, p, "data", &c->fiu[i].data);
    }
}

static json_t *parse(const char *text, size_t len, struct rd *r)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);

    if (!root) {
        r->err = -EINVAL;
        snprintf(r->msg, r->msglen, "JSON error at %d:%d: %s", je.line,
                 je.column, je.text);
    }
    return root;
}

int spf__case_from_json(const char *text, size_t len, struct spf_case *ret,
                        char *err, size_t errlen)
{
    struct rd r = {0, err, errlen};
    json_t *root = parse(text, len, &r);
    struct spf_case c;
    const char *s;

    spf_case_init(&c);
    if (!root)
        return r.err;
    s = json_string_value(json_object_get(root, "id"));
    c.id = strdup(s ? s : "");
    rd_spawn(&r, json_object_get(root, "spawn"), &c);
    s = json_string_value(json_object_get(root, "api"));
    if (!s || spf_api_from_name(s) < 0)
        fail(&r, "api");
    else
        c.api = (enum spf_api)spf_api_from_name(s);
    rd_bytes(&r, root, "input", &c.input);
    c.timeout_ns = timeout_from(json_object_get(root, "timeout_ns"));
    c.resume = rd_bool(root, "resume");
    c.resume_timeout_ns =
        timeout_from(json_object_get(root, "resume_timeout_ns"));
    c.check = rd_bool(root, "check");
    c.repeat = (unsigned)rd_int(&r, root, "repeat");
    rd_fiu(&r, json_object_get(root, "fiu"), &c);
    c.watchdog_ns = timeout_from(json_object_get(root, "watchdog_ns"));
    json_decref(root);
    if (r.err) {
        spf_case_clear(&c);
        return r.err;
    }
    *ret = c;
    return 0;
}

/* Outcomes. */

static json_t *capture_json(const struct spf_capture *c)
{
    if (!c->present)
        return json_null();
    return json_pack("{s:o, s:I, s:s}", "data", bytes_json(&c->data),
                     "total_len", (json_int_t)c->total_len, "sha256",
                     c->sha256);
}

static json_t *strv_json(char **v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, text_json(v[i]));
    return a;
}

static json_t *fired_json(const struct spf_outcome *o)
{
    json_t *a = json_array();

    for (size_t i = 0; i < o->n_fired; i++) {
        char line[SPF_FAULT_RECORD_MAX];
        int n = spf_fault_record_format(&o->fired[i], line, sizeof(line));

        if (n > 0)
            json_array_append_new(a, json_stringn(line, (size_t)n - 1));
    }
    return a;
}

/* The counts as [[parent, child, exec], ...] in call order. */
static json_t *counts_json(const struct spf_outcome *o)
{
    json_t *a = json_array();

    for (int c = 0; c < SPF_CALL__COUNT; c++) {
        json_t *row = json_array();

        for (int k = 0; k < SPF_FAULT_SCOPES; k++)
            json_array_append_new(
                row, json_integer((json_int_t)o->fired_counts[c][k]));
        json_array_append_new(a, row);
    }
    return a;
}

char *spf__outcome_to_json(const struct spf_outcome *o)
{
    json_t *root;
    char *s;

    root = json_pack(
        "{s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:I, s:i, s:o, s:o, s:o, s:i, s:b, s:o, s:o}",
        "result", spf_result_name(o->result), "stage", spf_stage_name(o->stage),
        "errno", o->err, "filename", bytes_json(&o->filename), "err_name",
        bytes_json(&o->err_name), "raw", bytes_json(&o->raw), "message",
        bytes_json(&o->message), "returncode",
        o->has_returncode ? json_integer(o->returncode) : json_null(),
        "partial_out", capture_json(&o->partial_out), "partial_err",
        capture_json(&o->partial_err), "out", capture_json(&o->out), "err_out",
        capture_json(&o->err_out), "inherited_out",
        capture_json(&o->inherited_out), "inherited_err",
        capture_json(&o->inherited_err), "elapsed_ns",
        (json_int_t)o->elapsed_ns, "iterations", (int)o->iterations,
        "leaked_fds", strv_json(o->leaked_fds, o->n_leaked_fds), "zombies",
        strv_json(o->zombies, o->n_zombies), "strays",
        strv_json(o->strays, o->n_strays), "watchdog_signal",
        o->watchdog_signal, "interrupted", o->interrupted, "fired",
        fired_json(o), "harness_error", text_json(o->harness_error));
    if (root &&
        (json_object_set_new(root, "fired_total",
                             json_integer((json_int_t)o->fired_total)) < 0 ||
         json_object_set_new(root, "fired_counts", counts_json(o)) < 0 ||
         json_object_set_new(root, "not_applicable",
                             text_json(o->not_applicable)) < 0)) {
        json_decref(root);
        return NULL;
    }
    if (!root)
        return NULL;
    s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

static void rd_capture(struct rd *r, json_t *root, const char *key,
                       struct spf_capture *c)
{
    json_t *j = json_object_get(root, key);
    const char *sha;

    memset(c, 0, sizeof(*c));
    if (!j || json_is_null(j))
        return;
    c->present = true;
    rd_bytes(r, j, "data", &c->data);
    c->total_len =
        (uint64_t)json_integer_value(json_object_get(j, "total_len"));
    sha = json_string_value(json_object_get(j, "sha256"));
    snprintf(c->sha256, sizeof(c->sha256), "%s", sha ? sha : "");
}

static char **rd_strv(struct rd *r, json_t *root, const char *key,
                      size_t *ret_n)
{
    json_t *a = json_object_get(root, key);
    char **v;

    if (!a || json_is_null(a)) {
        *ret_n = 0;
        return NULL;
    }
    v = rd_array(r, a, key, sizeof(char *), ret_n);
    for (size_t i = 0; i < *ret_n; i++) {
        const char *s = json_string_value(json_array_get(a, i));

        if (!s || !(v[i] = strdup(s)))
            fail(r, key);
    }
    return v;
}

static void rd_fired(struct rd *r, json_t *root, struct spf_outcome *o)
{
    json_t *a = json_object_get(root, "fired");

    if (!a || json_is_null(a))
        return;
    o->fired = rd_array(r, a, "fired", sizeof(*o->fired), &o->n_fired);
    for (size_t i = 0; i < o->n_fired; i++) {
        const char *s = json_string_value(json_array_get(a, i));

        if (!s || spf_fault_record_parse(s, strlen(s), &o->fired[i]) < 0)
            fail(r, "fired");
    }
    o->fired_total =
        (uint64_t)json_integer_value(json_object_get(root, "fired_total"));
    a = json_object_get(root, "fired_counts");
    for (int c = 0; a && c < SPF_CALL__COUNT; c++)
        for (int k = 0; k < SPF_FAULT_SCOPES; k++)
            o->fired_counts[c][k] = (uint64_t)json_integer_value(
                json_array_get(json_array_get(a, (size_t)c), (size_t)k));
}

static void rd_result(struct rd *r, json_t *root, struct spf_outcome *o)
{
    const char *res = json_string_value(json_object_get(root, "result"));
    const char *stage = json_string_value(json_object_get(root, "stage"));
    json_t *rc = json_object_get(root, "returncode");

    if (!res || spf_result_from_name(res) < 0)
        fail(r, "result");
    else
        o->result = (enum spf_result)spf_result_from_name(res);
    if (!stage || spf_stage_from_name(stage) < 0)
        fail(r, "stage");
    else
        o->stage = (enum spf_stage)spf_stage_from_name(stage);
    o->err = rd_int(r, root, "errno");
    o->has_returncode = json_is_integer(rc);
    o->returncode = (int)json_integer_value(rc);
}

/* A result of not_applicable comes with its reason, and a reason with
 * that result only: an adapter that says one without the other is broken,
 * and its outcome must not pass for a case that was not applicable. */
static void rd_not_applicable(struct rd *r, json_t *root, struct spf_outcome *o)
{
    json_t *j = json_object_get(root, "not_applicable");
    const char *why = json_string_value(j);

    if ((j && !json_is_null(j) && (!why || !*why)) ||
        (o->result == SPF_RESULT_NOT_APPLICABLE) != (why != NULL))
        fail(r, "not_applicable");
    else if (why && !(o->not_applicable = strdup(why)))
        fail(r, "not_applicable");
}

int spf__outcome_from_json(const char *text, size_t len,
                           struct spf_outcome *ret, char *err, size_t errlen)
{
    struct rd r = {0, err, errlen};
    json_t *root = parse(text, len, &r);
    struct spf_outcome o = {0};
    const char *he;

    if (!root)
        return r.err;
    rd_result(&r, root, &o);
    rd_bytes(&r, root, "filename", &o.filename);
    rd_bytes(&r, root, "err_name", &o.err_name);
    rd_bytes(&r, root, "raw", &o.raw);
    rd_bytes(&r, root, "message", &o.message);
    rd_capture(&r, root, "partial_out", &o.partial_out);
    rd_capture(&r, root, "partial_err", &o.partial_err);
    rd_capture(&r, root, "out", &o.out);
    rd_capture(&r, root, "err_out", &o.err_out);
    rd_capture(&r, root, "inherited_out", &o.inherited_out);
    rd_capture(&r, root, "inherited_err", &o.inherited_err);
    o.elapsed_ns = json_integer_value(json_object_get(root, "elapsed_ns"));
    o.iterations =
        (unsigned)json_integer_value(json_object_get(root, "iterations"));
    o.leaked_fds = rd_strv(&r, root, "leaked_fds", &o.n_leaked_fds);
    o.zombies = rd_strv(&r, root, "zombies", &o.n_zombies);
    o.strays = rd_strv(&r, root, "strays", &o.n_strays);
    o.watchdog_signal =
        (int)json_integer_value(json_object_get(root, "watchdog_signal"));
    o.interrupted = json_is_true(json_object_get(root, "interrupted"));
    rd_fired(&r, root, &o);
    he = json_string_value(json_object_get(root, "harness_error"));
    if (he && !(o.harness_error = strdup(he)))
        fail(&r, "harness_error");
    rd_not_applicable(&r, root, &o);
    json_decref(root);
    if (r.err) {
        spf_outcome_clear(&o);
        return r.err;
    }
    *ret = o;
    return 0;
}
