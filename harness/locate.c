/*
 * Finding the agent, the preload, the helper and the targets' adapters: an
 * environment variable (SPF_AGENT, SPF_PRELOAD, SPF_HELPER,
 * SPF_TARGET_CPYTHON, SPF_TARGET_NODE) wins; else the build tree when the
 * running program sits at its root (build/spawnfault); else where meson
 * installed them.
 */
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
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

const char *spf_harness_locate_preload(void)
{
    return find(&preload, found[1]);
}

/* Targets. */

static const struct where cpython_script = {
    "SPF_TARGET_CPYTHON", "harness/targets/cpython.py",
    SPF_LIBEXECDIR "/targets/cpython.py"};
static const struct where node_script = {"SPF_TARGET_NODE",
                                         "harness/targets/node.js",
                                         SPF_LIBEXECDIR "/targets/node.js"};

static bool executable(const char *path)
{
    return access(path, X_OK) == 0;
}

/* The pyenv installs of 3.minor, the highest patch release last in
 * version order. */
static bool pyenv_python(int minor, char *ret, size_t len)
{
    char pattern[PATH_MAX], *root = getenv("PYENV_ROOT");
    const char *home = getenv("HOME");
    glob_t g;
    bool got = false;
    int best = -1;

    if (root && *root)
        snprintf(pattern, sizeof(pattern), "%s/versions/3.%d.*", root, minor);
    else if (home && *home)
        snprintf(pattern, sizeof(pattern), "%s/.pyenv/versions/3.%d.*", home,
                 minor);
    else
        return false;
    if (glob(pattern, 0, NULL, &g) != 0)
        return false;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char path[PATH_MAX];
        const char *v = strrchr(g.gl_pathv[i], '/') + 1;
        char *end;
        /* "3.13.0": the patch release follows "3.", two digits and ".". */
        long patch = strtol(v + 5, &end, 10);

        /* Only plain releases (3.13.0), not 3.13.0a1 or 3.13-dev. */
        if (*end != '\0' || patch <= best)
            continue;
        snprintf(path, sizeof(path), "%s/bin/python3.%d", g.gl_pathv[i], minor);
        if (executable(path)) {
            snprintf(ret, len, "%s", path);
            best = (int)patch;
            got = true;
        }
    }
    globfree(&g);
    return got;
}

static bool find_python(int minor, char *ret, size_t len)
{
    static const char *const dirs[] = {"/usr/local/bin", "/usr/bin"};

    if (pyenv_python(minor, ret, len))
        return true;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(ret, len, "%s/python3.%d", dirs[i], minor);
        if (executable(ret))
            return true;
    }
    return false;
}

/* The CPython versions the adapter supports. */
enum {
    MINOR_FIRST = SPF_TARGET_CPYTHON_MINOR_MIN,
    MINOR_LAST = SPF_TARGET_CPYTHON_MINOR_MAX
};

size_t spf_target_cpythons(struct spf_target *ret, size_t max)
{
    size_t n = 0;

    for (int minor = MINOR_LAST; minor >= MINOR_FIRST && n < max; minor--) {
        struct spf_target *t = &ret[n];

        memset(t, 0, sizeof(*t));
        if (!find_python(minor, t->program, sizeof(t->program)))
            continue;
        t->kind = SPF_TARGET_CPYTHON;
        snprintf(t->name, sizeof(t->name), "cpython:3.%d", minor);
        n++;
    }
    return n;
}

static int cpython_target(const char *spec, struct spf_target *t, char *err,
                          size_t errlen)
{
    const char *v = spec + strlen("cpython");
    char *end;
    long minor;

    if (*v == '\0') {
        if (spf_target_cpythons(t, 1) == 0) {
            snprintf(err, errlen,
                     "no CPython 3.%d to 3.%d found (looked in pyenv's "
                     "versions, /usr/local/bin and /usr/bin)",
                     MINOR_FIRST, MINOR_LAST);
            return -ENOENT;
        }
        return 0;
    }
    if (strncmp(v, ":3.", 3) != 0 || !(v[3] >= '0' && v[3] <= '9'))
        goto bad;
    minor = strtol(v + 3, &end, 10);
    if (*end != '\0' || minor < MINOR_FIRST || minor > MINOR_LAST)
        goto bad;
    t->kind = SPF_TARGET_CPYTHON;
    snprintf(t->name, sizeof(t->name), "cpython:3.%ld", minor);
    if (!find_python((int)minor, t->program, sizeof(t->program))) {
        snprintf(err, errlen,
                 "target %s: no python3.%ld found (looked in pyenv's "
                 "versions, /usr/local/bin and /usr/bin)",
                 spec, minor);
        return -ENOENT;
    }
    return 0;
bad:
    snprintf(err, errlen,
             "unknown target \"%s\" (CPython is named cpython or cpython:3.N, "
             "N from %d to %d)",
             spec, MINOR_FIRST, MINOR_LAST);
    return -EINVAL;
}

static int node_target(struct spf_target *t, char *err, size_t errlen)
{
    static const char *const dirs[] = {"/usr/local/bin", "/usr/bin"};

    t->kind = SPF_TARGET_NODE;
    snprintf(t->name, sizeof(t->name), "node");
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(t->program, sizeof(t->program), "%s/node", dirs[i]);
        if (executable(t->program))
            return 0;
    }
    snprintf(err, errlen,
             "target node: no node found in /usr/local/bin or "
             "/usr/bin");
    return -ENOENT;
}

int spf_target_resolve(const char *spec, struct spf_target *ret, char *err,
                       size_t errlen)
{
    struct spf_target t = {0};
    const struct where *script = NULL;
    char *slot;
    int r;

    if (strcmp(spec, "core") == 0) {
        snprintf(t.name, sizeof(t.name), "core");
        *ret = t;
        return 0;
    }
    if (strncmp(spec, "cpython", 7) == 0) {
        r = cpython_target(spec, &t, err, errlen);
        script = &cpython_script;
    } else if (strcmp(spec, "node") == 0) {
        r = node_target(&t, err, errlen);
        script = &node_script;
    } else {
        snprintf(err, errlen,
                 "unknown target \"%s\" (known: core, cpython, cpython:3.N, "
                 "node)",
                 spec);
        return -EINVAL;
    }
    if (r < 0)
        return r;
    /* The interpreter runs in the case's folder: absolute paths only. */
    slot = realpath(t.program, NULL);
    if (!slot) {
        snprintf(err, errlen, "target %s: %s: %s", t.name, t.program,
                 strerror(errno));
        return -ENOENT;
    }
    snprintf(t.program, sizeof(t.program), "%s", slot);
    free(slot);
    slot = (char *)find(script, t.script);
    if (slot && slot != t.script)
        snprintf(t.script, sizeof(t.script), "%s", slot);
    if (!slot) {
        const char *e = getenv(script->env);

        if (e && *e)
            snprintf(err, errlen, "target %s: %s=%s: %s", t.name,
                     script->env, e, strerror(errno));
        else
            snprintf(err, errlen,
                     "target %s: its adapter %s is missing (set %s to its "
                     "path)",
                     t.name, script->in_build, script->env);
        return -ENOENT;
    }
    *ret = t;
    return 0;
}
