/* The execution model's value types: cases and outcomes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spawnfault/harness.h>

static void bytes_free(struct spf_bytes *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

bool spf_bytes_equal(const struct spf_bytes *a, const struct spf_bytes *b)
{
    if (!a->data || !b->data)
        return !a->data == !b->data;
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

void spf_case_init(struct spf_case *c)
{
    memset(c, 0, sizeof(*c));
    c->close_fds = true;
    c->process_group = -1;
    c->umask = -1;
    c->restore_signals = true;
    c->allow_vfork = true;
    c->user = -1;
    c->group = -1;
    c->api = SPF_API_RUN;
    c->timeout_ns = SPF_FOREVER;
    c->resume_timeout_ns = SPF_FOREVER;
    c->repeat = 1;
    c->watchdog_ns = 30LL * 1000000000;
}

void spf_case_clear(struct spf_case *c)
{
    free(c->id);
    for (size_t i = 0; i < c->argc; i++)
        bytes_free(&c->argv[i]);
    free(c->argv);
    bytes_free(&c->executable);
    for (size_t i = 0; i < c->envc; i++) {
        bytes_free(&c->env_names[i]);
        bytes_free(&c->env_values[i]);
    }
    free(c->env_names);
    free(c->env_values);
    bytes_free(&c->cwd);
    free(c->pass_fds);
    free(c->extra_groups);
    bytes_free(&c->input);
    for (size_t i = 0; i < c->n_fiu; i++) {
        free(c->fiu[i].name);
        bytes_free(&c->fiu[i].data);
    }
    free(c->fiu);
    for (size_t i = 0; i < c->n_files; i++) {
        free(c->files[i].path);
        bytes_free(&c->files[i].content);
    }
    free(c->files);
    spf_case_init(c);
}

static void capture_free(struct spf_capture *c)
{
    bytes_free(&c->data);
    memset(c, 0, sizeof(*c));
}

void spf_outcome_clear(struct spf_outcome *o)
{
    bytes_free(&o->filename);
    bytes_free(&o->err_name);
    bytes_free(&o->raw);
    bytes_free(&o->message);
    capture_free(&o->partial_out);
    capture_free(&o->partial_err);
    capture_free(&o->out);
    capture_free(&o->err_out);
    capture_free(&o->inherited_out);
    capture_free(&o->inherited_err);
    strv_free(o->leaked_fds, o->n_leaked_fds);
    strv_free(o->zombies, o->n_zombies);
    strv_free(o->strays, o->n_strays);
    free(o->fired);
    free(o->harness_error);
    free(o->not_applicable);
    memset(o, 0, sizeof(*o));
}

static const char *const api_names[] = {
    [SPF_API_RUN] = "run",
    [SPF_API_COMMUNICATE] = "communicate",
    [SPF_API_WAIT] = "wait",
};

const char *spf_api_name(enum spf_api api)
{
    if ((size_t)api >= sizeof(api_names) / sizeof(api_names[0]))
        return "unknown";
    return api_names[api];
}

int spf_api_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++)
        if (strcmp(api_names[i], name) == 0)
            return (int)i;
    return -EINVAL;
}

static const char *const result_names[] = {
    [SPF_RESULT_EXITED] = "exited",
    [SPF_RESULT_SPAWN_ERROR] = "spawn_error",
    [SPF_RESULT_TIMEOUT] = "timeout",
    [SPF_RESULT_HARNESS] = "harness_error",
    [SPF_RESULT_ERROR] = "error",
    [SPF_RESULT_CHECK] = "called_process_error",
    [SPF_RESULT_NOT_APPLICABLE] = "not_applicable",
};

const char *spf_result_name(enum spf_result r)
{
    if ((size_t)r >= sizeof(result_names) / sizeof(result_names[0]))
        return "unknown";
    return result_names[r];
}

int spf_result_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++)
        if (strcmp(result_names[i], name) == 0)
            return (int)i;
    return -EINVAL;
}
