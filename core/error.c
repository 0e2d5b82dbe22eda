/* Spawn errors: stage names, error texts, release. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <spawnfault/spawn.h>

static const char *const stage_names[] = {
    [SPF_STAGE_NONE] = "none",         [SPF_STAGE_INVALID] = "invalid",
    [SPF_STAGE_SETUP] = "setup",       [SPF_STAGE_FORK] = "fork",
    [SPF_STAGE_PREEXEC] = "preexec",   [SPF_STAGE_CHDIR] = "chdir",
    [SPF_STAGE_EXEC] = "exec",         [SPF_STAGE_CHILD] = "child",
    [SPF_STAGE_BAD_DATA] = "bad_data",
};

const char *spf_stage_name(enum spf_stage stage)
{
    if ((size_t)stage >= sizeof(stage_names) / sizeof(stage_names[0]))
        return "unknown";
    return stage_names[stage];
}

int spf_stage_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(stage_names) / sizeof(stage_names[0]); i++)
        if (strcmp(stage_names[i], name) == 0)
            return (int)i;
    return -EINVAL;
}

const char *spf_strerror(int err)
{
    if (err < 0)
        err = -err;
    switch (err) {
    case SPF_EBADRECORD:
        return "Bad exception data from child";
    case SPF_ECHILDERR:
        return "The child reported an error before exec";
    case SPF_ECHECK:
        return "The child returned a non-zero status";
    default:
        /* glibc and musl return constant strings for every errno they
         * know; only unknown values go through a shared buffer. */
        return strerror(err);
    }
}

void spf_spawn_error_clear(struct spf_spawn_error *e)
{
    if (!e)
        return;
    free(e->filename);
    free(e->name);
    free(e->message);
    free(e->raw);
    memset(e, 0, sizeof(*e));
    e->child_status = INT_MIN;
}

struct spf_str spf_str_c(const char *s)
{
    return (struct spf_str){s, s ? strlen(s) : 0};
}
