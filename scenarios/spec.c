/* One scenario document (spec.h): the top-level keys, spawn:, files: and
 * the rules that tie fields together. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spawnfault/harness.h>

#include "expect.h"
#include "rule.h"
#include "spec.h"
#include "compare.h"

enum {
    T_NAME,
    T_REF,
    T_SUMMARY,
    T_TAGS,
    T_FILES,
    T_SPAWN,
    T_API,
    T_INPUT,
    T_TIMEOUT,
    T_RESUME,
    T_CHECK,
    T_REPEAT,
    T_WATCHDOG,
    T_FAULTS,
    T_EXPECT,
    T_DIFFERENCES,
    T_REQUIRES,
    T__COUNT
};
static const char *const top_keys[T__COUNT] = {
    [T_NAME] = "name",         [T_REF] = "ref",
    [T_SUMMARY] = "summary",   [T_TAGS] = "tags",
    [T_FILES] = "files",       [T_SPAWN] = "spawn",
    [T_API] = "api",           [T_INPUT] = "input",
    [T_TIMEOUT] = "timeout",   [T_RESUME] = "resume",
    [T_CHECK] = "check",       [T_REPEAT] = "repeat",
    [T_WATCHDOG] = "watchdog", [T_FAULTS] = "faults",
    [T_EXPECT] = "expect",     [T_DIFFERENCES] = "differences",
    [T_REQUIRES] = "requires",
};

enum {
    S_ARGV,
    S_EXECUTABLE,
    S_ENV,
    S_CWD,
    S_STDIN, /* the three streams, in fd order */
    S_STDOUT,
    S_STDERR,
    S_CLOSE_FDS,
    S_PASS_FDS,
    S_START_NEW_SESSION,
    S_PROCESS_GROUP,
    S_UMASK,
    S_RESTORE_SIGNALS,
    S_VFORK,
    S_USER,
    S_GROUP,
    S_EXTRA_GROUPS,
    S__COUNT
};
static const char *const spawn_keys[S__COUNT] = {
    [S_ARGV] = "argv",
    [S_EXECUTABLE] = "executable",
    [S_ENV] = "env",
    [S_CWD] = "cwd",
    [S_STDIN] = "stdin",
    [S_STDOUT] = "stdout",
    [S_STDERR] = "stderr",
    [S_CLOSE_FDS] = "close_fds",
    [S_PASS_FDS] = "pass_fds",
    [S_START_NEW_SESSION] = "start_new_session",
    [S_PROCESS_GROUP] = "process_group",
    [S_UMASK] = "umask",
    [S_RESTORE_SIGNALS] = "restore_signals",
    [S_VFORK] = "vfork",
    [S_USER] = "user",
    [S_GROUP] = "group",
    [S_EXTRA_GROUPS] = "extra_groups",
};

/* The nodes of every key, kept for the rules that span fields. */
struct nodes {
    struct spf__node top[T__COUNT];
    struct spf__node spawn[S__COUNT];
    struct spf__node expect[E__COUNT];
};

static int missing(const struct spf__node *n)
{
    return spf__node_fail(n, "missing required key \"%s\"",
                          strrchr(n->path, '.') ? strrchr(n->path, '.') + 1
                                                : n->path);
}

/* inherit | pipe | devnull | {fd: N}, and "stdout" for stderr. */
static int parse_stdio(const struct spf__node *n, int fd, struct spf_stdio *ret)
{
    static const char *const fd_key[] = {"fd"};
    static const char *const kinds[] = {[SPF_STDIO_INHERIT] = "inherit",
                                        [SPF_STDIO_PIPE] = "pipe",
                                        [SPF_STDIO_DEVNULL] = "devnull",
                                        [SPF_STDIO_STDOUT] = "stdout"};
    struct spf__node v;
    long long num;
    int r;

    if (n->y->type == YAML_MAPPING_NODE) {
        if ((r = spf__node_mapping(n, fd_key, 1, &v)) < 0)
            return r;
        if (!v.y)
            return missing(&v);
        if ((r = spf__node_int(&v, 0, INT_MAX, &num)) < 0)
            return r;
        *ret = (struct spf_stdio){SPF_STDIO_FD, (int)num};
        return 0;
    }
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (!kinds[k] || !spf__node_is_word(n, kinds[k]))
            continue;
        if (k == SPF_STDIO_STDOUT && fd != 2)
            return spf__node_fail(n, "only stderr can go to stdout");
        *ret = (struct spf_stdio){(enum spf_stdio_kind)k, -1};
        return 0;
    }
    return spf__node_fail(n, "expected inherit, pipe, devnull, {fd: N}%s",
                          fd == 2 ? " or stdout" : "");
}

static int add_env(const struct spf__node *key, const struct spf__node *value,
                   void *ctx)
{
    struct spf_case *kase = ctx;
    struct spf_bytes *name = &kase->env_names[kase->envc];
    size_t len;
    const char *s = spf__node_scalar(key, &len);
    int r = spf__node_bytes(value, &kase->env_values[kase->envc]);
    if (r < 0)
        return r;
    name->data = malloc(len + 1);
    if (!name->data) {
        free(kase->env_values[kase->envc].data);
        return spf__node_nomem(key);
    }
    memcpy(name->data, s, len);
    name->data[len] = '\0';
    name->len = len;
    kase->envc++;
    return 0;
}

/* env: a mapping that replaces the environment, in the file's order. */
static int parse_env(const struct spf__node *n, struct spf_case *kase)
{
    size_t len = n->y->type == YAML_MAPPING_NODE
                     ? (size_t)(n->y->data.mapping.pairs.top -
                                n->y->data.mapping.pairs.start)
                     : 0;
    kase->env_replace = true;
    kase->env_names = calloc(len + 1, sizeof(kase->env_names[0]));
    kase->env_values = calloc(len + 1, sizeof(kase->env_values[0]));
    if (!kase->env_names || !kase->env_values)
        return spf__node_nomem(n);
    return spf__node_pairs(n, add_env, kase);
}

static int read_fd_elem(const struct spf__node *item, void *ret)
{
    long long fd;
    int r = spf__node_int(item, 0, INT_MAX, &fd);
    if (r == 0)
        *(int *)ret = (int)fd;
    return r;
}

static void drop_nothing(void *elem)
{
    (void)elem;
}

static const struct spf__array_reader fd_array = {sizeof(int), read_fd_elem,
                                                  drop_nothing};

/* The id of a user or group name, as CPython's pwd/grp look-ups; -1 when
 * unknown. */
static int64_t id_of_name(const char *name, bool group)
{
    char buf[16384];
    struct passwd pw, *pwp = NULL;
    struct group gr, *grp = NULL;

    if (group)
        return getgrnam_r(name, &gr, buf, sizeof(buf), &grp) == 0 && grp
                   ? (int64_t)gr.gr_gid
                   : -1;
    return getpwnam_r(name, &pw, buf, sizeof(buf), &pwp) == 0 && pwp
               ? (int64_t)pw.pw_uid
               : -1;
}

/* A uid or gid: a number 0 to 4294967295, or a name looked up here. */
static int parse_id(const struct spf__node *n, bool group, int64_t *ret)
{
    const char *name;
    long long id;
    int r;

    if (spf__node_is_int(n)) {
        if ((r = spf__node_int(n, 0, UINT32_MAX, &id)) == 0)
            *ret = id;
        return r;
    }
    if ((r = spf__node_word(n, &name)) < 0)
        return r;
    if ((*ret = id_of_name(name, group)) < 0)
        return spf__node_fail(n, "unknown %s \"%s\"", group ? "group" : "user",
                              name);
    return 0;
}

static int read_gid_elem(const struct spf__node *item, void *ret)
{
    return parse_id(item, true, ret);
}

static const struct spf__array_reader gid_array = {sizeof(int64_t),
                                                   read_gid_elem, drop_nothing};

/* user, group, extra_groups; an empty extra_groups list still counts. */
static int parse_identity(const struct spf__node *v, struct spf_case *kase)
{
    int r = 0;

    if (v[S_USER].y && (r = parse_id(&v[S_USER], false, &kase->user)) < 0)
        return r;
    if (v[S_GROUP].y && (r = parse_id(&v[S_GROUP], true, &kase->group)) < 0)
        return r;
    if (!v[S_EXTRA_GROUPS].y)
        return 0;
    kase->set_extra_groups = true;
    return spf__node_array(&v[S_EXTRA_GROUPS], &gid_array,
                           (void **)&kase->extra_groups, &kase->n_extra_groups);
}

static int parse_spawn_flags(const struct spf__node *v, struct spf_case *kase)
{
    const struct {
        int key;
        bool *flag;
    } flags[] = {
        {S_CLOSE_FDS, &kase->close_fds},
        {S_START_NEW_SESSION, &kase->start_new_session},
        {S_RESTORE_SIGNALS, &kase->restore_signals},
        {S_VFORK, &kase->allow_vfork},
    };
    long long pgid;
    unsigned mask;
    int r = 0;

    for (size_t i = 0; r == 0 && i < sizeof(flags) / sizeof(flags[0]); i++)
        if (v[flags[i].key].y)
            r = spf__node_bool(&v[flags[i].key], flags[i].flag);
    if (r == 0 && v[S_PROCESS_GROUP].y &&
        (r = spf__node_int(&v[S_PROCESS_GROUP], 0, INT_MAX, &pgid)) == 0)
        kase->process_group = (int)pgid;
    if (r == 0 && v[S_UMASK].y &&
        (r = spf__node_octal(&v[S_UMASK], 0777, &mask)) == 0)
        kase->umask = (int)mask;
    if (r == 0)
        r = parse_identity(v, kase);
    return r;
}

static int parse_spawn(const struct spf__node *n, struct spf_case *kase,
                       struct spf__node *v)
{
    int r = spf__node_mapping(n, spawn_keys, S__COUNT, v);
    if (r < 0)
        return r;
    if (!v[S_ARGV].y)
        return missing(&v[S_ARGV]);
    if ((r = spf__node_array(&v[S_ARGV], &spf__node_bytes_array,
                             (void **)&kase->argv, &kase->argc)) < 0)
        return r;
    if (kase->argc == 0)
        return spf__node_fail(&v[S_ARGV], "argv must not be empty");

    if ((v[S_EXECUTABLE].y &&
         (r = spf__node_bytes(&v[S_EXECUTABLE], &kase->executable)) < 0) ||
        (v[S_ENV].y && (r = parse_env(&v[S_ENV], kase)) < 0) ||
        (v[S_CWD].y && (r = spf__node_bytes(&v[S_CWD], &kase->cwd)) < 0))
        return r;
    for (int fd = 0; fd < 3; fd++)
        if (v[S_STDIN + fd].y &&
            (r = parse_stdio(&v[S_STDIN + fd], fd, &kase->std[fd])) < 0)
            return r;
    if (v[S_PASS_FDS].y &&
        (r = spf__node_array(&v[S_PASS_FDS], &fd_array,
                             (void **)&kase->pass_fds, &kase->n_pass_fds)) < 0)
        return r;
    return parse_spawn_flags(v, kase);
}

enum { FL_PATH, FL_CONTENT, FL_MODE, FL_DIRECTORY, FL__COUNT };
static const char *const file_keys[FL__COUNT] = {
    [FL_PATH] = "path",
    [FL_CONTENT] = "content",
    [FL_MODE] = "mode",
    [FL_DIRECTORY] = "directory",
};

/* Relative, inside the case folder: no leading '/', no ".." part. */
static int check_path(const struct spf__node *n, const char *path)
{
    if (!path[0])
        return spf__node_fail(n, "a path must not be empty");
    if (path[0] == '/')
        return spf__node_fail(n, "a path is relative to the case folder: "
                                 "no leading '/'");
    for (const char *p = path; *p; p += strcspn(p, "/"), p += *p == '/')
        if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
            return spf__node_fail(n, "a path must stay in the case folder: "
                                     "no \"..\"");
    return 0;
}

/*
 * The path in one spelling: empty and "." parts dropped, so that "./a",
 * "a/" and "a//b/." compare as "a" and "a/b" do.  A trailing '/' says
 * "directory", which only a directory may say; the folder itself is no
 * file to make.
 */
static int normalise_path(const struct spf__node *n, struct spf_case_file *f)
{
    size_t len = strlen(f->path), o = 0;
    bool trailing = len > 0 && f->path[len - 1] == '/';
    char *out = malloc(len + 1);

    if (!out)
        return spf__node_nomem(n);
    for (const char *p = f->path; *p;) {
        size_t part = strcspn(p, "/");

        if (part > 0 && !(part == 1 && p[0] == '.')) {
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, part);
            o += part;
        }
        p += part;
        p += *p == '/';
    }
    out[o] = '\0';
    if (o == 0) {
        free(out);
        return spf__node_fail(n, "a path must name something inside the "
                                 "case folder, not the folder itself");
    }
    if (trailing && !f->directory) {
        free(out);
        return spf__node_fail(n, "a path ending in '/' names a directory: "
                                 "add directory: true, or drop the '/'");
    }
    free(f->path);
    f->path = out;
    return 0;
}

static int read_file_fields(const struct spf__node *v, struct spf_case_file *f)
{
    int r;
    if ((r = spf__node_text(&v[FL_PATH], &f->path)) < 0 ||
        (r = check_path(&v[FL_PATH], f->path)) < 0 ||
        (v[FL_DIRECTORY].y &&
         (r = spf__node_bool(&v[FL_DIRECTORY], &f->directory)) < 0))
        return r;
    if (f->directory && v[FL_CONTENT].y)
        return spf__node_fail(&v[FL_CONTENT], "a directory has no content");
    if ((r = normalise_path(&v[FL_PATH], f)) < 0)
        return r;

    f->mode = f->directory ? 0755 : 0644;
    if (v[FL_MODE].y && (r = spf__node_octal(&v[FL_MODE], 07777, &f->mode)) < 0)
        return r;
    if (v[FL_CONTENT].y)
        return spf__node_bytes(&v[FL_CONTENT], &f->content);
    f->content.data = calloc(1, 1);
    return f->content.data ? 0 : spf__node_nomem(&v[FL_CONTENT]);
}

static void drop_file_elem(void *elem)
{
    struct spf_case_file *f = elem;
    free(f->path);
    free(f->content.data);
}

static int read_file_elem(const struct spf__node *item, void *ret)
{
    struct spf__node v[FL__COUNT];
    struct spf_case_file f = {0};
    int r = spf__node_mapping(item, file_keys, FL__COUNT, v);
    if (r < 0)
        return r;
    if (!v[FL_PATH].y)
        return missing(&v[FL_PATH]);
    if ((r = read_file_fields(v, &f)) < 0) {
        drop_file_elem(&f);
        return r;
    }
    *(struct spf_case_file *)ret = f;
    return 0;
}

static const struct spf__array_reader file_array = {
    sizeof(struct spf_case_file), read_file_elem, drop_file_elem};

/* Whether path lies inside folder (both normalised). */
static bool is_below(const char *path, const char *folder)
{
    size_t len = strlen(folder);
    return strncmp(path, folder, len) == 0 && path[len] == '/';
}

static int parse_files(const struct spf__node *n, struct spf_case *kase)
{
    int r =
        spf__node_array(n, &file_array, (void **)&kase->files, &kase->n_files);
    for (size_t j = 0; r == 0 && j < kase->n_files; j++) {
        for (size_t i = 0; i < j; i++) {
            const struct spf_case_file *a = &kase->files[i],
                                       *b = &kase->files[j];
            struct spf__node item;
            spf__node_item(n, j, &item);
            if (strcmp(a->path, b->path) == 0)
                return spf__node_fail(&item,
                                      "path \"%s\" is already in %s[%zu]",
                                      b->path, n->path, i);
            /* A file cannot also be a folder of another entry. */
            if (!a->directory && is_below(b->path, a->path))
                return spf__node_fail(&item,
                                      "path \"%s\" is inside \"%s\", which "
                                      "%s[%zu] makes a file",
                                      b->path, a->path, n->path, i);
            if (!b->directory && is_below(a->path, b->path))
                return spf__node_fail(&item,
                                      "path \"%s\" is a file, but %s[%zu] "
                                      "puts \"%s\" inside it",
                                      b->path, n->path, i, a->path);
        }
    }
    return r;
}

static int parse_name(const struct spf__node *n, struct spf_scenario *sc)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    int r = spf__node_text(n, &sc->name);
    if (r < 0)
        return r;
    size_t ok = strspn(sc->name, allowed);
    if (!sc->name[0] || sc->name[ok])
        return spf__node_fail(n,
                              "a name is made of A-Z a-z 0-9 . _ - "
                              "only (offset %zu)",
                              ok);
    sc->kase.id = strdup(sc->name);
    return sc->kase.id ? 0 : spf__node_nomem(n);
}

static int parse_texts(const struct spf__node *v, struct spf_scenario *sc)
{
    int r;
    if ((v[T_REF].y && (r = spf__node_text(&v[T_REF], &sc->ref)) < 0) ||
        (v[T_SUMMARY].y &&
         (r = spf__node_text(&v[T_SUMMARY], &sc->summary)) < 0) ||
        (v[T_TAGS].y &&
         (r = spf__node_array(&v[T_TAGS], &spf__node_text_array,
                              (void **)&sc->tags, &sc->n_tags)) < 0))
        return r;
    if (sc->summary && strchr(sc->summary, '\n'))
        return spf__node_fail(&v[T_SUMMARY], "a summary is one line");
    return 0;
}

/* requires: what the machine must offer, or the case is not applicable
 * there.  Only "root" for now (identity changes need it). */
static int parse_requires(const struct spf__node *n, struct spf_scenario *sc)
{
    char **words;
    size_t count;
    int r = spf__node_array(n, &spf__node_text_array, (void **)&words, &count);

    if (r < 0)
        return r;
    for (size_t i = 0; i < count && r == 0; i++) {
        if (!strcmp(words[i], "root")) {
            sc->requires_root = true;
        } else {
            struct spf__node item;

            spf__node_item(n, i, &item);
            r = spf__node_fail(&item, "unknown requirement \"%s\" (root)",
                               words[i]);
        }
    }
    for (size_t i = 0; i < count; i++)
        free(words[i]);
    free(words);
    return r;
}

/* resume: seconds, or "none" for no limit. */
static int parse_resume(const struct spf__node *n, struct spf_case *kase)
{
    kase->resume = true;
    if (spf__node_is_word(n, "none")) {
        kase->resume_timeout_ns = SPF_FOREVER;
        return 0;
    }
    return spf__node_seconds(n, true, &kase->resume_timeout_ns);
}

static int parse_api_path(const struct spf__node *v, struct spf_case *kase)
{
    long long repeat;
    int api, r;
    if (v[T_API].y) {
        if ((r = spf__node_enum(&v[T_API], spf_api_from_name, "api",
                                "run, communicate or wait", &api)) < 0)
            return r;
        kase->api = (enum spf_api)api;
    }
    if ((v[T_INPUT].y &&
         (r = spf__node_bytes(&v[T_INPUT], &kase->input)) < 0) ||
        (v[T_TIMEOUT].y &&
         (r = spf__node_seconds(&v[T_TIMEOUT], true, &kase->timeout_ns)) < 0) ||
        (v[T_RESUME].y && (r = parse_resume(&v[T_RESUME], kase)) < 0) ||
        (v[T_CHECK].y && (r = spf__node_bool(&v[T_CHECK], &kase->check)) < 0))
        return r;
    if (v[T_REPEAT].y) {
        if ((r = spf__node_int(&v[T_REPEAT], 1, UINT_MAX, &repeat)) < 0)
            return r;
        kase->repeat = (unsigned)repeat;
    }
    if (!v[T_WATCHDOG].y)
        return 0;
    if ((r = spf__node_seconds(&v[T_WATCHDOG], false, &kase->watchdog_ns)) < 0)
        return r;
    if (kase->watchdog_ns == 0)
        return spf__node_fail(&v[T_WATCHDOG], "must be > 0 seconds");
    return 0;
}

/* resume, check and input belong to some API paths only; input needs a
 * stdin pipe, which run opens by itself as CPython's run() does. */
static int check_api_options(const struct nodes *nd, struct spf_case *kase)
{
    const struct spf__node *t = nd->top, *stdin_node = &nd->spawn[S_STDIN];
    const char *api = spf_api_name(kase->api);

    if (t[T_RESUME].y && kase->api != SPF_API_COMMUNICATE)
        return spf__node_fail(&t[T_RESUME],
                              "resume is for api: communicate, "
                              "not %s",
                              api);
    if (t[T_RESUME].y && !t[T_TIMEOUT].y)
        return spf__node_fail(&t[T_RESUME], "resume needs a timeout: it is "
                                            "the call made after the first "
                                            "one times out");
    if (t[T_CHECK].y && kase->api != SPF_API_RUN)
        return spf__node_fail(&t[T_CHECK], "check is for api: run, not %s",
                              api);
    if (!t[T_INPUT].y)
        return 0;
    if (kase->api == SPF_API_WAIT)
        return spf__node_fail(&t[T_INPUT], "api: wait sends no input");
    if (!stdin_node->y && kase->api == SPF_API_RUN)
        kase->std[0] = (struct spf_stdio){SPF_STDIO_PIPE, -1};
    if (kase->std[0].kind != SPF_STDIO_PIPE)
        return spf__node_fail(&t[T_INPUT], "input needs spawn.stdin: pipe%s",
                              stdin_node->y ? ""
                                            : " (only api: run opens it "
                                              "by itself)");
    return 0;
}

/* Output is captured only through a pipe of run or communicate, so an
 * expectation on its content could never hold otherwise. */
static int check_captures(const struct nodes *nd, const struct spf_scenario *sc)
{
    for (size_t i = 0; i < SPF__EXPECT_N_STREAMS; i++) {
        const struct spf__stream *s = &spf__expect_streams[i];
        const struct spf__node *n = &nd->expect[E_STDOUT + i];
        const struct spf_expect_stream *e = spf__expect_stream(s, &sc->expect);
        const char *stream = s->fd == 1 ? "stdout" : "stderr";
        if (!s->from_pipe || !n->y || e->has_absent)
            continue;
        if (sc->kase.api == SPF_API_WAIT)
            return spf__node_fail(n, "api: wait captures no output");
        if (sc->kase.std[s->fd].kind != SPF_STDIO_PIPE)
            return spf__node_fail(n,
                                  "%s is captured only with spawn.%s: "
                                  "pipe",
                                  s->name, stream);
    }
    return 0;
}

/* Every fault expected to fire must have a rule that can fire it. */
static int check_fired(const struct nodes *nd, const struct spf_scenario *sc)
{
    const struct spf_fault_plan *plan = &sc->kase.faults;
    for (size_t i = 0; i < sc->expect.n_fired; i++) {
        enum spf_fault_call call;
        unsigned scope = 0;
        uint32_t leaves = 0;
        bool found = false;
        /* Each entry was checked as it was read; one that did not parse
         * would match no rule.  A rule can fire an entry when they share
         * a leaf. */
        if (spf__rules_fired_parse(sc->expect.fired[i], &call, &scope) == 0)
            leaves = spf_fault_point_leaves(call);
        for (size_t k = 0; k < plan->n_rules && !found; k++)
            found = (spf_fault_point_leaves(plan->rules[k].call) & leaves) &&
                    (!scope || (plan->rules[k].scope & scope));
        if (found)
            continue;

        struct spf__node item;
        spf__node_item(&nd->expect[E_FAULTS_FIRED], i, &item);
        return spf__node_fail(&item, "no rule in faults can fire %s",
                              sc->expect.fired[i]);
    }
    return 0;
}

/* A timeout cannot happen without one. */
static int check_timeout(const struct nodes *nd, const struct spf_scenario *sc)
{
    static const int keys[] = {E_RESULT, E_PARTIAL_STDOUT, E_PARTIAL_STDERR};
    if (sc->expect.result != SPF_RESULT_TIMEOUT || nd->top[T_TIMEOUT].y)
        return 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (nd->expect[keys[i]].y)
            return spf__node_fail(&nd->expect[keys[i]],
                                  "a timeout is expected but the scenario "
                                  "sets no timeout");
    return 0;
}

/* With check, run() raises CalledProcessError for a non-zero returncode:
 * the expected returncode decides the result unless one is given, and a
 * result given must agree with it. */
static int check_check(const struct nodes *nd, struct spf_scenario *sc)
{
    struct spf_expect *e = &sc->expect;
    const struct spf__node *res = &nd->expect[E_RESULT];
    const struct spf__node *code = nd->expect[E_RETURNCODE].y
                                       ? &nd->expect[E_RETURNCODE]
                                       : &nd->expect[E_SIGNAL];
    bool raises = sc->kase.check && e->has_returncode && e->returncode != 0;

    if (e->result == SPF_RESULT_CHECK && !sc->kase.check)
        return spf__node_fail(res, "result called_process_error needs "
                                   "check: true");
    if (e->result == SPF_RESULT_CHECK && e->has_returncode && !raises)
        return spf__node_fail(code, "check raises only for a non-zero "
                                    "returncode");
    /* A timeout raises TimeoutExpired whatever check says (the kill's
     * returncode included): only an exit is affected. */
    if (!raises || e->result != SPF_RESULT_EXITED)
        return 0;
    if (res->y)
        return spf__node_fail(res,
                              "with check: true a returncode of %d "
                              "raises CalledProcessError: the result "
                              "is called_process_error",
                              e->returncode);
    if (nd->top[T_TIMEOUT].y)
        return spf__node_fail(code,
                              "with check: true and a timeout, a returncode "
                              "of %d comes from an exit "
                              "(called_process_error) or from the kill at "
                              "the deadline (timeout): say which with result",
                              e->returncode);
    e->result = SPF_RESULT_CHECK;
    return 0;
}

static int check_rules(const struct nodes *nd, struct spf_scenario *sc)
{
    int r;
    if ((r = check_api_options(nd, &sc->kase)) < 0 ||
        (r = check_captures(nd, sc)) < 0 || (r = check_fired(nd, sc)) < 0 ||
        (r = check_check(nd, sc)) < 0)
        return r;
    return check_timeout(nd, sc);
}

/* differences: a list of {target, fields, why}. */
enum { D_TARGET, D_FIELDS, D_WHY, D__COUNT };
static const char *const difference_keys[D__COUNT] = {
    [D_TARGET] = "target", [D_FIELDS] = "fields", [D_WHY] = "why"};

static void drop_difference(void *elem)
{
    struct spf_difference *d = elem;
    for (size_t i = 0; i < d->n_targets; i++)
        free(d->targets[i]);
    free(d->targets);
    for (size_t i = 0; i < d->n_fields; i++)
        free(d->fields[i]);
    free(d->fields);
    free(d->why);
}

/* "cpython", "cpython:3.N" for a version a target can name, or "node":
 * the core's results are the expectations themselves.  A version no
 * target can run is refused, so that a typo (cpython:3.1) is not a
 * difference silently never applied. */
static bool difference_target(const char *t)
{
    char *end;
    long minor;

    if (!strcmp(t, "cpython") || !strcmp(t, "node"))
        return true;
    if (strncmp(t, "cpython:3.", 10) || t[10] < '1' || t[10] > '9')
        return false;
    minor = strtol(t + 10, &end, 10);
    return *end == '\0' && minor >= SPF_TARGET_CPYTHON_MINOR_MIN &&
           minor <= SPF_TARGET_CPYTHON_MINOR_MAX;
}

static int read_difference_fields(const struct spf__node *v,
                                  struct spf_difference *d)
{
    int r;
    /* One target, or a list of them. */
    if (v[D_TARGET].y->type == YAML_SEQUENCE_NODE) {
        if ((r = spf__node_array(&v[D_TARGET], &spf__node_text_array,
                                 (void **)&d->targets, &d->n_targets)) < 0)
            return r;
        if (d->n_targets == 0)
            return spf__node_fail(&v[D_TARGET], "name at least one target");
    } else {
        if (!(d->targets = calloc(1, sizeof(*d->targets))))
            return spf__node_nomem(&v[D_TARGET]);
        if ((r = spf__node_text(&v[D_TARGET], &d->targets[0])) < 0)
            return r;
        d->n_targets = 1;
    }
    for (size_t i = 0; i < d->n_targets; i++)
        if (!difference_target(d->targets[i])) {
            struct spf__node item = v[D_TARGET];
            if (item.y->type == YAML_SEQUENCE_NODE)
                spf__node_item(&v[D_TARGET], i, &item);
            return spf__node_fail(&item,
                                  "\"%s\" is not a target a difference can "
                                  "be documented for (cpython, cpython:3.10 "
                                  "to cpython:3.13, or node)",
                                  d->targets[i]);
        }
    if ((r = spf__node_array(&v[D_FIELDS], &spf__node_text_array,
                             (void **)&d->fields, &d->n_fields)) < 0)
        return r;
    if (d->n_fields == 0)
        return spf__node_fail(&v[D_FIELDS], "list at least one field");
    for (size_t i = 0; i < d->n_fields; i++)
        if (!spf__compare_field_known(d->fields[i])) {
            struct spf__node item;
            spf__node_item(&v[D_FIELDS], i, &item);
            return spf__node_fail(&item,
                                  "unknown field \"%s\" (one of result, "
                                  "stage, errno, filename, raw, message, "
                                  "returncode, stdout, stderr, "
                                  "partial_stdout, partial_stderr, "
                                  "inherited_stdout, inherited_stderr, "
                                  "faults_fired, strays, zombies, "
                                  "leaked_fds, elapsed)",
                                  d->fields[i]);
        }
    if ((r = spf__node_text(&v[D_WHY], &d->why)) < 0)
        return r;
    if (!d->why[0] || strchr(d->why, '\n'))
        return spf__node_fail(&v[D_WHY], "say why on one line");
    return 0;
}

static int read_difference(const struct spf__node *item, void *ret)
{
    struct spf__node v[D__COUNT];
    struct spf_difference d = {0};
    int r = spf__node_mapping(item, difference_keys, D__COUNT, v);
    if (r < 0)
        return r;
    for (int k = 0; k < D__COUNT; k++)
        if (!v[k].y)
            return missing(&v[k]);
    if ((r = read_difference_fields(v, &d)) < 0) {
        drop_difference(&d);
        return r;
    }
    *(struct spf_difference *)ret = d;
    return 0;
}

static const struct spf__array_reader difference_array = {
    sizeof(struct spf_difference), read_difference, drop_difference};

static int parse_all(const struct spf__node *n, struct spf_scenario *sc,
                     struct nodes *nd)
{
    static const int required[] = {T_NAME, T_SPAWN, T_EXPECT};
    struct spf__node *t = nd->top;
    int r;
    if (n->y->type != YAML_MAPPING_NODE)
        return spf__node_fail(n, "a scenario is a mapping of name, spawn, "
                                 "expect...");
    if ((r = spf__node_mapping(n, top_keys, T__COUNT, t)) < 0)
        return r;
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!t[required[i]].y)
            return missing(&t[required[i]]);

    if ((r = parse_name(&t[T_NAME], sc)) < 0 || (r = parse_texts(t, sc)) < 0 ||
        (t[T_FILES].y && (r = parse_files(&t[T_FILES], &sc->kase)) < 0) ||
        (r = parse_spawn(&t[T_SPAWN], &sc->kase, nd->spawn)) < 0 ||
        (r = parse_api_path(t, &sc->kase)) < 0 ||
        (t[T_FAULTS].y &&
         (r = spf__rules_parse(&t[T_FAULTS], &sc->kase)) < 0) ||
        (r = spf__expect_parse(&t[T_EXPECT], &sc->expect, nd->expect)) < 0 ||
        (t[T_DIFFERENCES].y &&
         (r = spf__node_array(&t[T_DIFFERENCES], &difference_array,
                              (void **)&sc->differences, &sc->n_differences)) <
             0) ||
        (t[T_REQUIRES].y && (r = parse_requires(&t[T_REQUIRES], sc)) < 0))
        return r;
    return check_rules(nd, sc);
}

int spf__spec_parse(const struct spf__node *n, struct spf_scenario *ret,
                    yaml_mark_t *ret_name_mark)
{
    struct spf_scenario sc = {0};
    struct nodes nd;
    spf_case_init(&sc.kase);

    int r = parse_all(n, &sc, &nd);
    if (r < 0) {
        spf__spec_clear(&sc);
        return r;
    }
    *ret = sc;
    *ret_name_mark = nd.top[T_NAME].mark;
    return 0;
}

void spf__spec_clear(struct spf_scenario *sc)
{
    free(sc->name);
    free(sc->file);
    free(sc->folder);
    free(sc->ref);
    free(sc->summary);
    for (size_t i = 0; i < sc->n_tags; i++)
        free(sc->tags[i]);
    free(sc->tags);
    for (size_t i = 0; i < sc->n_differences; i++)
        drop_difference(&sc->differences[i]);
    free(sc->differences);
    spf_case_clear(&sc->kase);
    spf__expect_clear(&sc->expect);
    memset(sc, 0, sizeof(*sc));
}
