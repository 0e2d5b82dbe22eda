/*
 * Loading scenario files and folders (scenario.h): a file is a YAML stream
 * of scenario documents; a folder gives every *.yaml and *.yml file below
 * it, in path order.  Everything is read into a private list first and
 * joins the caller's set only when all of it loaded and no name repeats.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec.h"

/* Larger files are refused rather than read: no scenario needs them. */
#define MAX_FILE_SIZE (64u << 20)

/* Deeper folders are refused: it also stops bind-mount loops. */
#define MAX_DEPTH 64

/* Scenarios read so far, with where each name is written. */
struct loaded {
    struct spf_scenario *items;
    yaml_mark_t *name_marks;
    size_t n, cap;
    const char *root; /* the folder loaded, or the file's folder */
    size_t root_len;
    char *name;  /* the root's own name, as reports group by it */
    size_t made; /* bytes of values made (struct spf__doc) */
};

static int fail(struct spf_diag *d, const char *file, int code,
                const char *message)
{
    return spf__node_diag_fill(d, code, file, 0, 0, "", message);
}

static int fail_errno(struct spf_diag *d, const char *file, int err,
                      const char *what)
{
    char message[256];
    snprintf(message, sizeof(message), "cannot %s: %s", what,
             spf_strerror(err));
    return fail(d, file, -err, message);
}

/* Read fd to its end into a new NUL-terminated buffer.  Returns 0,
 * -EFBIG past MAX_FILE_SIZE, or -errno. */
static int read_all(int fd, char **ret, size_t *ret_len)
{
    size_t len = 0, cap = 4096;
    char *data = malloc(cap);
    int r = 0;
    if (!data)
        return -ENOMEM;

    for (;;) {
        ssize_t got = read(fd, data + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            r = got < 0 ? -errno : 0;
            break;
        }
        len += (size_t)got;
        if (len > MAX_FILE_SIZE) {
            r = -EFBIG;
            break;
        }
        char *bigger = cap - len > 1 ? data : realloc(data, cap *= 2);
        if (!bigger) {
            r = -ENOMEM;
            break;
        }
        data = bigger;
    }

    if (r < 0) {
        free(data);
        return r;
    }
    data[len] = '\0';
    *ret = data;
    *ret_len = len;
    return 0;
}

/* The whole file, NUL-terminated. */
static int read_file(const char *path, char **ret, size_t *ret_len,
                     struct spf_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno(d, path, errno, "open");
    int r = read_all(fd, ret, ret_len);
    close(fd);
    if (r == -EFBIG)
        return fail(d, path, r,
                    "file too large for a scenario file (over "
                    "64 MiB)");
    return r < 0 ? fail_errno(d, path, -r, "read") : 0;
}

/* libyaml's own words and place for a syntax error.  A reader error
 * (bad UTF-8) comes with a byte offset only: its line and column are
 * counted in the text. */
static int syntax_error(const yaml_parser_t *p, const char *file,
                        const char *text, struct spf_diag *d)
{
    char message[sizeof(d->message)];
    yaml_mark_t mark = p->problem_mark;
    if (p->error == YAML_MEMORY_ERROR)
        return fail(d, file, -ENOMEM, "out of memory");
    if (p->error == YAML_READER_ERROR) {
        size_t start = 0;
        mark = (yaml_mark_t){p->problem_offset, 0, 0};
        for (size_t i = 0; i < p->problem_offset; i++) {
            if (text[i] == '\n') {
                mark.line++;
                start = i + 1;
            }
        }
        mark.column = p->problem_offset - start;
        snprintf(message, sizeof(message), "%s (byte %zu)", p->problem,
                 p->problem_offset);
    } else if (p->context) {
        snprintf(message, sizeof(message), "%s (line %zu, column %zu): %s",
                 p->context, p->context_mark.line + 1,
                 p->context_mark.column + 1, p->problem);
    } else {
        snprintf(message, sizeof(message), "%s", p->problem);
    }

    return spf__node_diag_fill(d, -EINVAL, file, (unsigned)mark.line + 1,
                               (unsigned)mark.column + 1, "", message);
}

/* The last component of path[0..len), without trailing slashes. */
static void last_component(const char *path, size_t len, const char **ret,
                           size_t *ret_len)
{
    size_t end = len, start;

    while (end > 1 && path[end - 1] == '/')
        end--;
    start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    *ret = path + start;
    *ret_len = end - start;
}

/*
 * The root's own name: its last component, or, when that says nothing
 * ("", ".", ".." or "/"), the last component of its real path, so that
 * "run ." in a folder named suite groups as "suite".
 */
static char *root_name(const char *root, size_t root_len)
{
    const char *base;
    size_t len;
    char *dir, *real, *out;

    last_component(root, root_len, &base, &len);
    if (len > 0 && !(len == 1 && *base == '.') &&
        !(len == 2 && base[0] == '.' && base[1] == '.') &&
        !(len == 1 && *base == '/'))
        return strndup(base, len);
    dir = strndup(root, root_len);
    real = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!real)
        return strdup("scenarios");
    last_component(real, strlen(real), &base, &len);
    out = len > 0 && *base != '/' ? strndup(base, len) : strdup("scenarios");
    free(real);
    return out;
}

/*
 * A scenario's folder, as reports group it: the root's own name, then the
 * path below it ("suite", "suite/errpipe"), whatever way the folder was
 * named on the command line.
 */
static char *folder_of(const char *file, const struct loaded *l)
{
    const char *slash = strrchr(file, '/'), *below = "";
    size_t dir_len = slash ? (size_t)(slash - file) : 0, below_len = 0;
    char *out;

    if (dir_len > l->root_len) {
        below = file + l->root_len;
        below_len = dir_len - l->root_len;
        while (below_len && *below == '/')
            below++, below_len--;
    }
    if (asprintf(&out, "%s%s%.*s", l->name, below_len ? "/" : "",
                 (int)below_len, below) < 0)
        return NULL;
    return out;
}

static int keep(struct loaded *l, struct spf_scenario *sc, yaml_mark_t mark,
                const char *file, struct spf_diag *d)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct spf_scenario *items = realloc(l->items, cap * sizeof(*items));
        if (items)
            l->items = items;
        yaml_mark_t *marks = realloc(l->name_marks, cap * sizeof(*marks));
        if (marks)
            l->name_marks = marks;
        if (!items || !marks)
            return fail(d, file, -ENOMEM, "out of memory");
        l->cap = cap;
    }
    l->items[l->n] = *sc;
    l->name_marks[l->n++] = mark;
    return 0;
}

/* One document: a scenario, or nothing for an empty document (as a
 * trailing "---" makes). */
static int load_document(yaml_document_t *yaml, const char *file,
                         struct loaded *l, struct spf_diag *d)
{
    struct spf__doc doc = {yaml, file, d, &l->made};
    struct spf__node root;
    struct spf_scenario sc;
    yaml_mark_t name_mark;

    spf__node_root(&doc, &root);
    if (root.y->type == YAML_SCALAR_NODE && root.y->data.scalar.length == 0 &&
        root.y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        return 0;

    int r = spf__spec_parse(&root, &sc, &name_mark);
    if (r < 0)
        return r;
    sc.file = strdup(file);
    sc.folder = folder_of(file, l);
    sc.line = (unsigned)root.mark.line + 1;
    if (!sc.file || !sc.folder)
        r = fail(d, file, -ENOMEM, "out of memory");
    if (r < 0 || (r = keep(l, &sc, name_mark, file, d)) < 0)
        spf__spec_clear(&sc);
    return r;
}

static int load_stream(const char *file, const char *text, size_t len,
                       struct loaded *l, struct spf_diag *d)
{
    yaml_parser_t parser;
    size_t before = l->n;
    int r = 0;

    if (!yaml_parser_initialize(&parser))
        return fail(d, file, -ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (r == 0) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            r = syntax_error(&parser, file, text, d);
            break;
        }
        if (!yaml_document_get_root_node(&doc)) {
            yaml_document_delete(&doc);
            break;
        }
        r = load_document(&doc, file, l, d);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);

    if (r == 0 && l->n == before)
        r = fail(d, file, -EINVAL, "no scenario in this file (it is empty)");
    return r;
}

static int load_file(const char *path, struct loaded *l, struct spf_diag *d)
{
    char *text = NULL;
    size_t len = 0;
    int r = read_file(path, &text, &len, d);
    if (r < 0)
        return r;
    r = load_stream(path, text, len, l, d);
    free(text);
    return r;
}

/* Paths found in a folder. */
struct paths {
    char **v;
    size_t n, cap;
};

static void paths_clear(struct paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    *p = (struct paths){0};
}

static bool is_scenario_name(const char *name)
{
    size_t len = strlen(name);
    return (len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
           (len > 4 && strcmp(name + len - 4, ".yml") == 0);
}

static char *join(const char *dir, const char *name)
{
    size_t len = strlen(dir);
    char *path = malloc(len + strlen(name) + 2);
    if (path)
        sprintf(path, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/",
                name);
    return path;
}

static int collect(const char *dir, unsigned depth, struct paths *out,
                   struct spf_diag *d);

/*
 * One folder entry: folders are walked, scenario files kept.  A link to a
 * file counts as the file; links to folders are not followed, so a walk
 * always ends.
 */
static int collect_entry(int dfd, const char *path, const char *name,
                         unsigned depth, struct paths *out, struct spf_diag *d)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno(d, path, errno, "stat");
    if (S_ISDIR(st.st_mode))
        return collect(path, depth + 1, out, d);
    if (!is_scenario_name(name))
        return 0;
    if (S_ISLNK(st.st_mode) && fstatat(dfd, name, &st, 0) < 0)
        return fail_errno(d, path, errno, "follow the link");
    if (!S_ISREG(st.st_mode))
        return 0;

    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        char **v = realloc(out->v, cap * sizeof(*v));
        if (!v)
            return fail(d, path, -ENOMEM, "out of memory");
        out->v = v;
        out->cap = cap;
    }
    out->v[out->n] = strdup(path);
    return out->v[out->n++] ? 0 : fail(d, path, -ENOMEM, "out of memory");
}

static int collect(const char *dir, unsigned depth, struct paths *out,
                   struct spf_diag *d)
{
    struct dirent *e;
    int r = 0;
    if (depth > MAX_DEPTH)
        return fail(d, dir, -ELOOP, "folders nested too deep");
    DIR *dp = opendir(dir);
    if (!dp)
        return fail_errno(d, dir, errno, "open the folder");

    while (r == 0 && (errno = 0, e = readdir(dp))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = join(dir, e->d_name);
        r = path ? collect_entry(dirfd(dp), path, e->d_name, depth, out, d)
                 : fail(d, dir, -ENOMEM, "out of memory");
        free(path);
    }
    if (r == 0 && errno)
        r = fail_errno(d, dir, errno, "read the folder");
    closedir(dp);
    return r;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_folder(const char *dir, struct loaded *l, struct spf_diag *d)
{
    struct paths found = {0};
    int r = collect(dir, 0, &found, d);
    if (r == 0 && found.n == 0)
        r = fail(d, dir, -EINVAL,
                 "no scenario file (*.yaml or *.yml) in this folder");
    if (r == 0)
        qsort(found.v, found.n, sizeof(found.v[0]), compare_paths);
    for (size_t i = 0; r == 0 && i < found.n; i++)
        r = load_file(found.v[i], l, d);
    paths_clear(&found);
    return r;
}

/* A scenario of the set (order < set->n) or a new one, for the check of
 * names across both. */
struct named {
    const struct spf_scenario *sc;
    size_t order;
};

static int compare_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int c = strcmp(x->sc->name, y->sc->name);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Where a scenario's name is: "file:line:column" for a new one, whose name
 * mark is known, "file:line" for one already in the set. */
static void place(const struct loaded *l, size_t old, const struct named *e,
                  char *buf, size_t len)
{
    if (e->order < old) {
        snprintf(buf, len, "%s:%u", e->sc->file, e->sc->line);
        return;
    }
    const yaml_mark_t *m = &l->name_marks[e->order - old];
    snprintf(buf, len, "%s:%zu:%zu", e->sc->file, m->line + 1, m->column + 1);
}

static int check_names(const struct spf_scenario_set *set,
                       const struct loaded *l, struct spf_diag *d)
{
    size_t n = set->n + l->n;
    struct named *all = malloc(n * sizeof(*all));
    int r = 0;
    if (!all)
        return fail(d, l->items[0].file, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        all[i] = (struct named){
            i < set->n ? &set->items[i] : &l->items[i - set->n], i};
    qsort(all, n, sizeof(all[0]), compare_named);

    /* Of all repeated names, report the one a reader meets first. */
    size_t worst = 0;
    for (size_t i = 1; i < n; i++)
        if (all[i].order >= set->n &&
            strcmp(all[i - 1].sc->name, all[i].sc->name) == 0 &&
            (!worst || all[i].order < all[worst].order))
            worst = i;

    if (worst) {
        char first[600], message[700];
        const yaml_mark_t *m = &l->name_marks[all[worst].order - set->n];
        place(l, set->n, &all[worst - 1], first, sizeof(first));
        snprintf(message, sizeof(message),
                 "duplicate name \"%s\" (first at %s)", all[worst].sc->name,
                 first);
        r = spf__node_diag_fill(d, -EINVAL, all[worst].sc->file,
                                (unsigned)m->line + 1, (unsigned)m->column + 1,
                                "name", message);
    }
    free(all);
    return r;
}

static int merge(struct spf_scenario_set *set, struct loaded *l,
                 const char *path, struct spf_diag *d)
{
    struct spf_scenario *items =
        realloc(set->items, (set->n + l->n) * sizeof(*items));
    if (!items)
        return fail(d, path, -ENOMEM, "out of memory");
    memcpy(items + set->n, l->items, l->n * sizeof(*items));
    set->items = items;
    set->n += l->n;
    l->n = 0;
    return 0;
}

int spf_scenario_load(const char *path, struct spf_scenario_set *set,
                      struct spf_diag *ret_diag)
{
    struct loaded l = {0};
    struct stat st;
    int r;

    if (stat(path, &st) < 0) {
        r = fail_errno(ret_diag, path, errno, "open");
    } else {
        const char *slash = strrchr(path, '/');
        bool dir = S_ISDIR(st.st_mode);

        l.root = dir || slash ? path : ".";
        l.root_len = dir     ? strlen(path)
                     : slash ? (size_t)(slash - path + (slash == path))
                             : 1;
        l.name = root_name(l.root, l.root_len);
        if (!l.name)
            r = fail(ret_diag, path, -ENOMEM, "out of memory");
        else if (dir)
            r = load_folder(path, &l, ret_diag);
        else
            r = load_file(path, &l, ret_diag);
    }
    if (r == 0)
        r = check_names(set, &l, ret_diag);
    if (r == 0)
        r = merge(set, &l, path, ret_diag);

    for (size_t i = 0; i < l.n; i++)
        spf__spec_clear(&l.items[i]);
    free(l.items);
    free(l.name_marks);
    free(l.name);
    return r;
}

void spf_scenario_set_clear(struct spf_scenario_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        spf__spec_clear(&set->items[i]);
    free(set->items);
    set->items = NULL;
    set->n = 0;
}
