/*
 * Finding the agent, the preload and the helper: an environment variable
 * (SPF_AGENT, SPF_PRELOAD, SPF_HELPER) wins; else the build tree when the
 * running program sits at its root (build/spawnfault); else where meson
 * installed them.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spawnfault/harness.h>

struct where {
    const char *env;
    const char *in_build; /* relative to the program's folder */
    const char *installed;
};

static const struct where agent = {"SPF_AGENT", "harness/spawnfault-agent",
                                   SPF_LIBEXECDIR "/spawnfault-agent"};
static const struct where preload = {"SPF_PRELOAD",
                                     "faults/libspawnfault-preload.so",
                                     SPF_PKGLIBDIR "/libspawnfault-preload.so"};
static const struct where helper = {"SPF_HELPER", "harness/spawnfault-helper",
                                    SPF_LIBEXECDIR "/spawnfault-helper"};

/* Paths found are kept for the life of the process. */
static char found[3][PATH_MAX];

static const char *find(const struct where *w, char *slot)
{
    char exe[PATH_MAX];
    ssize_t n;
    const char *e = getenv(w->env);

    /* Absolute, since the agent runs in the case's folder. */
    if (e && *e)
        return realpath(e, slot) ? slot : NULL;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        snprintf(slot, PATH_MAX, "%s/%s", dirname(exe), w->in_build);
        if (access(slot, F_OK) == 0)
            return slot;
    }
    return access(w->installed, F_OK) == 0 ? w->installed : NULL;
}

int spf_harness_locate(struct spf_harness_config *cfg)
{
    if (!cfg->agent_path)
        cfg->agent_path = find(&agent, found[0]);
    if (!cfg->preload_path)
        cfg->preload_path = find(&preload, found[1]);
    if (!cfg->helper_path)
        cfg->helper_path = find(&helper, found[2]);
    if (!cfg->agent_path || !cfg->preload_path || !cfg->helper_path)
        return -ENOENT;
    return 0;
}
