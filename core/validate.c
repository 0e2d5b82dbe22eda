/*
 * Input validation: everything is checked before anything is created, so a
 * rejected call leaves no fd and no child behind.
 */
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "validate.h"

static bool has_nul(struct spf_str s)
{
    return s.ptr && memchr(s.ptr, '\0', s.len) != NULL;
}

static int invalid(struct spf_spawn_error *e, const char *msg)
{
    e->stage = SPF_STAGE_INVALID;
    e->err = EINVAL;
    e->message = strdup(msg);
    return e->message ? -EINVAL : -ENOMEM;
}

/* A message naming the offending entry by its index. */
__attribute__((format(printf, 2, 3))) static int
invalid_at(struct spf_spawn_error *e, const char *fmt, ...)
{
    char msg[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return invalid(e, msg);
}

static int check_argv(const struct spf_popen_opts *o, struct spf_spawn_error *e)
{
    if (o->argc == 0 || !o->argv)
        return invalid(e, "argv is empty");
    for (size_t i = 0; i < o->argc; i++) {
        if (!o->argv[i].ptr)
            return invalid_at(e, "argv[%zu] is absent", i);
        if (has_nul(o->argv[i]))
            return invalid_at(e, "embedded null byte in argv[%zu]", i);
    }
    if (has_nul(o->executable))
        return invalid(e, "embedded null byte in executable");
    if (has_nul(o->cwd))
        return invalid(e, "embedded null byte in cwd");
    return 0;
}

static int check_env(const struct spf_popen_opts *o, struct spf_spawn_error *e)
{
    if (!o->env_replace)
        return 0;
    for (size_t i = 0; i < o->envc; i++) {
        struct spf_str name = o->env[i].name, value = o->env[i].value;

        if (!name.ptr || !value.ptr)
            return invalid_at(e, "env[%zu] is absent", i);
        if (has_nul(name) || has_nul(value))
            return invalid_at(e, "embedded null byte in env[%zu]", i);
        /* '=' anywhere in a name is refused, as CPython does; '=' in a
         * value is fine. */
        if (memchr(name.ptr, '=', name.len))
            return invalid_at(e,
                              "illegal environment variable name "
                              "in env[%zu]",
                              i);
    }
    return 0;
}

static int check_fds(const struct spf_popen_opts *o, struct spf_spawn_error *e)
{
    for (size_t i = 0; i < 3; i++) {
        enum spf_stdio_kind k = o->std[i].kind;

        if (k == SPF_STDIO_STDOUT && i != 2)
            return invalid_at(e,
                              "STDOUT can only be used for stderr "
                              "(stream %zu)",
                              i);
        if (k == SPF_STDIO_FD && o->std[i].fd < 0)
            return invalid_at(e, "bad file descriptor for stream %zu", i);
        if (k > SPF_STDIO_STDOUT)
            return invalid_at(e, "unknown stdio kind for stream %zu", i);
    }
    if (o->n_pass_fds && !o->pass_fds)
        return invalid(e, "pass_fds is absent");
    for (size_t i = 0; i < o->n_pass_fds; i++)
        if (o->pass_fds[i] < 0)
            return invalid_at(e, "bad value in pass_fds[%zu]", i);
    return 0;
}

/* A uid or gid as CPython takes it: negative is a ValueError, too large
 * for uid_t/gid_t an OverflowError (VAL-10, VAL-11); both are -EINVAL
 * here.  -1 is our "unchanged" and is checked by the caller. */
static int check_id(int64_t id, const char *what, struct spf_spawn_error *e)
{
    if (id < 0)
        return invalid_at(e, "%s cannot be negative, got %lld", what,
                          (long long)id);
    if (id > UINT32_MAX)
        return invalid_at(e, "%s is greater than maximum", what);
    return 0;
}

static int check_identity(const struct spf_popen_opts *o,
                          struct spf_spawn_error *e)
{
    char what[48];
    long max;
    int r;

    if (o->user != -1 && (r = check_id(o->user, "user", e)))
        return r;
    if (o->group != -1 && (r = check_id(o->group, "group", e)))
        return r;
    if (!o->set_extra_groups)
        return 0;
    if (o->n_extra_groups && !o->extra_groups)
        return invalid(e, "extra_groups is absent");
    /* Asked only here: glibc reads a /proc file for it on every call. */
    max = sysconf(_SC_NGROUPS_MAX);
    if (max >= 0 && o->n_extra_groups > (size_t)max)
        return invalid(e, "too many extra_groups");
    for (size_t i = 0; i < o->n_extra_groups; i++) {
        snprintf(what, sizeof(what), "extra_groups[%zu]", i);
        if ((r = check_id(o->extra_groups[i], what, e)))
            return r;
    }
    return 0;
}

int spf__validate(const struct spf_popen_opts *o, struct spf_spawn_error *e)
{
    int r;

    if ((r = check_argv(o, e)) || (r = check_env(o, e)) ||
        (r = check_fds(o, e)) || (r = check_identity(o, e)))
        return r;
    return 0;
}
