/* Reading a YAML document field by field (node.h). */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "textbuf.h"

#define MAX_KEYS 32

/* Longest word compared for "did you mean" hints. */
#define MAX_WORD 32

static const char *sval(const struct spf__node *n)
{
    return (const char *)n->y->data.scalar.value;
}

static size_t slen(const struct spf__node *n)
{
    return n->y->data.scalar.length;
}

static bool is_scalar(const struct spf__node *n)
{
    return n->y && n->y->type == YAML_SCALAR_NODE;
}

static bool is_plain(const struct spf__node *n)
{
    return is_scalar(n) && n->y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* How a node looks, for "expected X, got Y" messages. */
static const char *kind(const struct spf__node *n)
{
    if (!n->y)
        return "nothing";
    if (n->y->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->y->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (spf__node_is_null(n))
        return "null";
    return is_plain(n) ? "a plain scalar" : "a quoted string";
}

/* A node below parent, named by suffix ("key" or "[3]"). */
static void make(const struct spf__node *parent, yaml_node_t *y,
                 const char *suffix, struct spf__node *ret)
{
    const char *dot = parent->path[0] && suffix[0] != '[' ? "." : "";
    ret->doc = parent->doc;
    ret->y = y;
    ret->mark = y ? y->start_mark : parent->mark;
    int w = snprintf(ret->path, sizeof(ret->path), "%s%s%s", parent->path, dot,
                     suffix);
    if (w < 0 || (size_t)w >= sizeof(ret->path))
        memcpy(ret->path + sizeof(ret->path) - 4, "...", 4);
}

static yaml_node_t *get(const struct spf__node *n, int index)
{
    return yaml_document_get_node(n->doc->yaml, index);
}

/* Whether k is a scalar spelling exactly s[0..len). */
static bool key_is(const yaml_node_t *k, const char *s, size_t len)
{
    return k->type == YAML_SCALAR_NODE && k->data.scalar.length == len &&
           memcmp(k->data.scalar.value, s, len) == 0;
}

void spf__node_root(const struct spf__doc *doc, struct spf__node *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->doc = doc;
    ret->y = yaml_document_get_root_node(doc->yaml);
    if (ret->y)
        ret->mark = ret->y->start_mark;
}

/* Copy src into dst[len], cut to fit. */
static void copy(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int spf__node_diag_fill(struct spf_diag *d, int code, const char *file,
                        unsigned line, unsigned column, const char *field,
                        const char *message)
{
    if (!d)
        return code;
    memset(d, 0, sizeof(*d));
    copy(d->file, sizeof(d->file), file);
    d->line = line;
    d->column = column;
    copy(d->field, sizeof(d->field), field);
    copy(d->message, sizeof(d->message), message);
    return code;
}

/* Fill the diagnostic for n with message and return code. */
static int fill(const struct spf__node *n, int code, const char *message)
{
    return spf__node_diag_fill(n->doc->diag, code, n->doc->file,
                               (unsigned)n->mark.line + 1,
                               (unsigned)n->mark.column + 1, n->path, message);
}

int spf__node_fail(const struct spf__node *n, const char *fmt, ...)
{
    char message[sizeof(((struct spf_diag *)0)->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    return fill(n, -EINVAL, message);
}

int spf__node_nomem(const struct spf__node *n)
{
    return fill(n, -ENOMEM, "out of memory");
}

/* The text of a scalar, escaped and cut to fit in a message. */
static void quote(const char *s, size_t len, char *buf, size_t size)
{
    struct spf__textbuf t = {0};
    spf__textbuf_adds(&t, "\"");
    spf__textbuf_escape(&t, s, len < 64 ? len : 64);
    spf__textbuf_adds(&t, len > 64 ? "...\"" : "\"");
    spf__textbuf_copy(&t, buf, size);
    spf__textbuf_clear(&t);
}

/* Edit distance counting a swap of neighbours as one edit (optimal string
 * alignment), for "did you mean" hints.  Long words are not compared. */
static size_t distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    if (la > MAX_WORD || lb > MAX_WORD)
        return SIZE_MAX;

    size_t d[MAX_WORD + 1][MAX_WORD + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

static int unknown_key(const struct spf__node *key, const char *const *keys,
                       size_t n_keys)
{
    const char *s = sval(key);
    size_t len = slen(key), best = SIZE_MAX, best_d = SIZE_MAX;
    for (size_t i = 0; i < n_keys; i++) {
        size_t d = distance(s, len, keys[i]);
        if (d < best_d && d <= 2 && d * 3 <= strlen(keys[i])) {
            best = i;
            best_d = d;
        }
    }

    char q[300];
    quote(s, len, q, sizeof(q));
    if (best != SIZE_MAX)
        return spf__node_fail(key, "unknown key %s (did you mean \"%s\"?)", q,
                              keys[best]);

    struct spf__textbuf list = {0};
    for (size_t i = 0; i < n_keys; i++)
        spf__textbuf_addf(&list, "%s%s", i ? ", " : "", keys[i]);
    int r = spf__node_fail(key, "unknown key %s (expected one of: %s)", q,
                           list.data ? list.data : "");
    spf__textbuf_clear(&list);
    return r;
}

/* The key node of pair p, checked to be a scalar. */
static int pair_key(const struct spf__node *map, const yaml_node_pair_t *p,
                    struct spf__node *ret)
{
    yaml_node_t *k = get(map, p->key);
    char suffix[200] = "?";
    /* A key is named bare in paths when it reads as one, else quoted. */
    if (k->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)k->data.scalar.value;
        size_t len = k->data.scalar.length;
        if (len && strcspn(s, "\"\\.[] ") == len && len < sizeof(suffix))
            memcpy(suffix, s, len + 1);
        else
            quote(s, len, suffix, sizeof(suffix));
    }
    make(map, k, suffix, ret);
    if (k->type != YAML_SCALAR_NODE)
        return spf__node_fail(ret, "a key must be a string, not %s", kind(ret));
    return 0;
}

static int expect_mapping(const struct spf__node *n)
{
    if (!n->y || n->y->type != YAML_MAPPING_NODE)
        return spf__node_fail(n, "expected a mapping, got %s", kind(n));
    return 0;
}

/* Fail if the key of pair p repeats the key of an earlier pair. */
static int check_unique(const struct spf__node *map, yaml_node_pair_t *p,
                        const struct spf__node *key)
{
    for (yaml_node_pair_t *q = map->y->data.mapping.pairs.start; q < p; q++) {
        yaml_node_t *k = get(map, q->key);
        char text[300];
        if (!key_is(k, sval(key), slen(key)))
            continue;
        quote(sval(key), slen(key), text, sizeof(text));
        return spf__node_fail(key,
                              "duplicate key %s (first at line %zu, "
                              "column %zu)",
                              text, k->start_mark.line + 1,
                              k->start_mark.column + 1);
    }
    return 0;
}

int spf__node_pairs(const struct spf__node *n, spf__pair_fn *fn, void *ctx)
{
    int r = expect_mapping(n);
    if (r < 0)
        return r;

    yaml_node_pair_t *p = n->y->data.mapping.pairs.start;
    for (; p < n->y->data.mapping.pairs.top; p++) {
        struct spf__node key, value;
        if ((r = pair_key(n, p, &key)) < 0 ||
            (r = check_unique(n, p, &key)) < 0)
            return r;
        value = key;
        value.y = get(n, p->value);
        value.mark = value.y->start_mark;
        if ((r = fn(&key, &value, ctx)) < 0)
            return r;
    }
    return 0;
}

const char *spf__node_scalar(const struct spf__node *n, size_t *ret_len)
{
    *ret_len = slen(n);
    return sval(n);
}

struct mapping_visit {
    const char *const *keys;
    size_t n_keys;
    struct spf__node *values;
};

static int visit_known(const struct spf__node *key,
                       const struct spf__node *value, void *ctx)
{
    struct mapping_visit *m = ctx;
    for (size_t i = 0; i < m->n_keys; i++) {
        if (key_is(key->y, m->keys[i], strlen(m->keys[i]))) {
            m->values[i] = *value;
            return 0;
        }
    }
    return unknown_key(key, m->keys, m->n_keys);
}

int spf__node_mapping(const struct spf__node *n, const char *const *keys,
                      size_t n_keys, struct spf__node *ret_values)
{
    struct spf__node values[MAX_KEYS];
    struct mapping_visit m = {keys, n_keys, values};

    assert(n_keys <= MAX_KEYS);
    for (size_t i = 0; i < n_keys; i++)
        make(n, NULL, keys[i], &values[i]);

    int r = spf__node_pairs(n, visit_known, &m);
    if (r < 0)
        return r;
    memcpy(ret_values, values, n_keys * sizeof(values[0]));
    return 0;
}

bool spf__node_has_key(const struct spf__node *n, const char *key)
{
    if (!n->y || n->y->type != YAML_MAPPING_NODE)
        return false;
    yaml_node_pair_t *p = n->y->data.mapping.pairs.start;
    for (; p < n->y->data.mapping.pairs.top; p++) {
        if (key_is(get(n, p->key), key, strlen(key)))
            return true;
    }
    return false;
}

int spf__node_list(const struct spf__node *n, size_t *ret_len)
{
    if (!n->y || n->y->type != YAML_SEQUENCE_NODE)
        return spf__node_fail(n, "expected a list, got %s", kind(n));
    *ret_len = (size_t)(n->y->data.sequence.items.top -
                        n->y->data.sequence.items.start);
    return 0;
}

void spf__node_item(const struct spf__node *list, size_t i,
                    struct spf__node *ret)
{
    char suffix[32];
    snprintf(suffix, sizeof(suffix), "[%zu]", i);
    make(list, get(list, list->y->data.sequence.items.start[i]), suffix, ret);
}

int spf__node_array(const struct spf__node *n,
                    const struct spf__array_reader *reader, void **ret,
                    size_t *ret_len)
{
    size_t len, i = 0;
    int r = spf__node_list(n, &len);
    if (r < 0)
        return r;
    if (len == 0) {
        *ret = NULL;
        *ret_len = 0;
        return 0;
    }

    char *items = calloc(len, reader->elem_size);
    if (!items)
        return spf__node_nomem(n);
    for (; i < len; i++) {
        struct spf__node item;
        spf__node_item(n, i, &item);
        if ((r = reader->read(&item, items + i * reader->elem_size)) < 0)
            goto fail;
    }
    *ret = items;
    *ret_len = len;
    return 0;

fail:
    while (i-- > 0)
        reader->drop(items + i * reader->elem_size);
    free(items);
    return r;
}

bool spf__node_is_null(const struct spf__node *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (!is_plain(n))
        return false;
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        if (strcmp(sval(n), nulls[i]) == 0)
            return true;
    return false;
}

bool spf__node_is_word(const struct spf__node *n, const char *word)
{
    return is_scalar(n) && slen(n) == strlen(word) &&
           memcmp(sval(n), word, slen(n)) == 0;
}

int spf__node_word(const struct spf__node *n, const char **ret)
{
    if (!is_scalar(n) || spf__node_is_null(n))
        return spf__node_fail(n, "expected a string, got %s", kind(n));
    if (memchr(sval(n), '\0', slen(n)))
        return spf__node_fail(n, "must not contain a NUL byte");
    *ret = sval(n);
    return 0;
}

int spf__node_text(const struct spf__node *n, char **ret)
{
    const char *s;
    int r = spf__node_word(n, &s);
    if (r < 0)
        return r;
    char *copy = strdup(s);
    if (!copy)
        return spf__node_nomem(n);
    *ret = copy;
    return 0;
}

int spf__node_enum(const struct spf__node *n, int (*from_name)(const char *),
                   const char *what, const char *choices, int *ret)
{
    const char *s;
    int r = spf__node_word(n, &s);
    if (r < 0)
        return r;
    int v = from_name(s);
    if (v < 0) {
        char q[300];
        quote(s, strlen(s), q, sizeof(q));
        return spf__node_fail(n, "unknown %s %s (expected %s)", what, q,
                              choices);
    }
    *ret = v;
    return 0;
}

static int new_bytes(const struct spf__node *n, const void *p, size_t len,
                     struct spf_bytes *ret)
{
    char *data = malloc(len + 1);
    if (!data)
        return spf__node_nomem(n);
    if (len)
        memcpy(data, p, len);
    data[len] = '\0';
    *ret = (struct spf_bytes){data, len};
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* {hex: "ff de 00"}: pairs of hex digits, spaces ignored. */
static int read_hex(const struct spf__node *n, struct spf_bytes *ret)
{
    const char *s;
    int r = spf__node_word(n, &s);
    if (r < 0)
        return r;

    size_t len = 0, digits = 0;
    char *out = malloc(strlen(s) / 2 + 1);
    if (!out)
        return spf__node_nomem(n);
    for (size_t i = 0; s[i]; i++) {
        int v = hex_value(s[i]);
        if (s[i] == ' ')
            continue;
        if (v < 0) {
            free(out);
            return spf__node_fail(n, "invalid hex digit '%c' at offset %zu",
                                  s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?', i);
        }
        if (digits++ % 2 == 0)
            out[len] = (char)(v << 4);
        else
            out[len++] |= (char)v;
    }
    if (digits % 2) {
        free(out);
        return spf__node_fail(n, "odd number of hex digits (%zu)", digits);
    }
    out[len] = '\0';
    *ret = (struct spf_bytes){out, len};
    return 0;
}

/* Count len against the load's budget, or fail at n. */
static int spend(const struct spf__node *n, size_t len)
{
    size_t *made = n->doc->made;

    if (!made)
        return 0;
    if (len > SPF_LOAD_BYTES_MAX - *made)
        return spf__node_fail(n,
                              "the values loaded add up to more than %u MiB "
                              "(an alias counts each time it is used)",
                              SPF_LOAD_BYTES_MAX >> 20);
    *made += len;
    return 0;
}

static bool over_budget(const struct spf__node *n, size_t len)
{
    return n->doc->made && len > SPF_LOAD_BYTES_MAX - *n->doc->made;
}

/* {repeat: BYTES, count: N}: the bytes N times over. */
static int read_repeat(const struct spf__node *unit_node,
                       const struct spf__node *count_node,
                       struct spf_bytes *ret)
{
    struct spf_bytes unit;
    long long count;
    int r = spf__node_int(count_node, 0, SPF_BYTES_MAX, &count);
    if (r < 0 || (r = spf__node_bytes(unit_node, &unit)) < 0)
        return r;
    if (unit.len && (size_t)count > SPF_BYTES_MAX / unit.len) {
        free(unit.data);
        return spf__node_fail(count_node,
                              "%lld times %zu bytes is more than the %u MiB "
                              "a value may hold",
                              count, unit.len, SPF_BYTES_MAX >> 20);
    }

    /* Checked before it is made; spf__node_bytes() counts it. */
    if (over_budget(count_node, unit.len * (size_t)count)) {
        free(unit.data);
        return spend(count_node, unit.len * (size_t)count);
    }
    char *data = malloc(unit.len * (size_t)count + 1);
    if (!data) {
        free(unit.data);
        return spf__node_nomem(count_node);
    }
    for (size_t i = 0; i < (size_t)count; i++)
        memcpy(data + i * unit.len, unit.data, unit.len);
    data[unit.len * (size_t)count] = '\0';
    *ret = (struct spf_bytes){data, unit.len * (size_t)count};
    free(unit.data);
    return 0;
}

static int read_bytes(const struct spf__node *n, struct spf_bytes *ret);

int spf__node_bytes(const struct spf__node *n, struct spf_bytes *ret)
{
    int r = read_bytes(n, ret);

    if (r == 0 && (r = spend(n, ret->len)) < 0) {
        free(ret->data);
        *ret = (struct spf_bytes){0};
    }
    return r;
}

static int read_bytes(const struct spf__node *n, struct spf_bytes *ret)
{
    static const char *const keys[] = {"hex", "repeat", "count"};
    struct spf__node v[3];

    if (is_scalar(n) && !spf__node_is_null(n))
        return new_bytes(n, sval(n), slen(n), ret);
    if (!n->y || n->y->type != YAML_MAPPING_NODE)
        return spf__node_fail(n,
                              "expected bytes (a string, {hex: ...} or "
                              "{repeat: ..., count: N}), got %s",
                              kind(n));

    int r = spf__node_mapping(n, keys, 3, v);
    if (r < 0)
        return r;
    if (v[0].y && (v[1].y || v[2].y))
        return spf__node_fail(v[1].y ? &v[1] : &v[2],
                              "hex cannot be combined with repeat or count");
    if (v[0].y)
        return read_hex(&v[0], ret);
    if (!v[1].y && !v[2].y)
        return spf__node_fail(n, "expected {hex: ...} or "
                                 "{repeat: ..., count: N}");
    if (!v[1].y || !v[2].y)
        return spf__node_fail(v[1].y ? &v[2] : &v[1],
                              "missing required key \"%s\"",
                              v[1].y ? "count" : "repeat");
    return read_repeat(&v[1], &v[2], ret);
}

static int read_text_elem(const struct spf__node *item, void *ret)
{
    return spf__node_text(item, ret);
}

void spf__node_drop_text(void *elem)
{
    free(*(char **)elem);
}

static int read_bytes_elem(const struct spf__node *item, void *ret)
{
    return spf__node_bytes(item, ret);
}

static void drop_bytes_elem(void *elem)
{
    free(((struct spf_bytes *)elem)->data);
}

const struct spf__array_reader spf__node_text_array = {
    sizeof(char *), read_text_elem, spf__node_drop_text};
const struct spf__array_reader spf__node_bytes_array = {
    sizeof(struct spf_bytes), read_bytes_elem, drop_bytes_elem};

int spf__node_bool(const struct spf__node *n, bool *ret)
{
    if (is_plain(n) && strcmp(sval(n), "true") == 0)
        *ret = true;
    else if (is_plain(n) && strcmp(sval(n), "false") == 0)
        *ret = false;
    else
        return spf__node_fail(n, "expected true or false, got %s", kind(n));
    return 0;
}

/* Whether s is [-+]?[0-9]+ with nothing else. */
static bool is_integer(const char *s)
{
    s += *s == '-' || *s == '+';
    return *s && s[strspn(s, "0123456789")] == '\0';
}

bool spf__node_is_int(const struct spf__node *n)
{
    return is_plain(n) && is_integer(sval(n));
}

int spf__node_int(const struct spf__node *n, long long min, long long max,
                  long long *ret)
{
    if (!spf__node_is_int(n))
        return spf__node_fail(n, "expected an integer, got %s", kind(n));

    const char *s = sval(n);
    const char *digits = s + (*s == '-' || *s == '+');
    if (digits[0] == '0' && digits[1])
        return spf__node_fail(n,
                              "leading zeros are ambiguous (YAML 1.1 "
                              "reads %s as octal): write it without them",
                              s);

    errno = 0;
    long long v = strtoll(s, NULL, 10);
    bool low = errno == ERANGE ? *s == '-' : v < min;
    if (low)
        return spf__node_fail(n, "%s is out of range: must be >= %lld", s, min);
    if (errno == ERANGE || v > max)
        return spf__node_fail(n, "%s is out of range: must be <= %lld", s, max);
    *ret = v;
    return 0;
}

int spf__node_octal(const struct spf__node *n, unsigned max, unsigned *ret)
{
    const char *s = is_scalar(n) ? sval(n) : "";
    const char *digits = strncmp(s, "0o", 2) == 0 ? s + 2 : s;
    bool ok = is_scalar(n) && digits[0] &&
              digits[strspn(digits, "01234567")] == '\0' &&
              (digits != s || s[0] == '0') && strlen(digits) <= 11;
    if (!ok)
        return spf__node_fail(n, "expected an octal number such as 0o644 "
                                 "or 0644");

    unsigned long v = strtoul(digits, NULL, 8);
    if (v > max)
        return spf__node_fail(n, "0%lo is out of range: at most 0%o", v, max);
    *ret = (unsigned)v;
    return 0;
}

/* Whether s is a decimal number: [-+]?(D+(.D*)?|.D+)([eE][-+]?D+)? */
static bool is_number(const char *s)
{
    static const char digits[] = "0123456789";
    s += *s == '-' || *s == '+';
    size_t whole = strspn(s, digits), frac = 0;
    s += whole;
    if (*s == '.') {
        frac = strspn(s + 1, digits);
        s += 1 + frac;
    }
    if (whole + frac == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s += 1 + (s[1] == '-' || s[1] == '+');
        size_t exp = strspn(s, digits);
        if (exp == 0)
            return false;
        s += exp;
    }
    return *s == '\0';
}

int spf__node_number(const struct spf__node *n, double *ret)
{
    if (!is_plain(n) || !is_number(sval(n)))
        return spf__node_fail(n, "expected a number, got %s", kind(n));
    *ret = strtod(sval(n), NULL);
    return 0;
}

int spf__node_seconds(const struct spf__node *n, bool allow_negative,
                      int64_t *ret_ns)
{
    double s;
    int r = spf__node_number(n, &s);
    if (r < 0)
        return r;
    if (!(fabs(s) <= SPF_SECONDS_MAX))
        return spf__node_fail(n, "%s seconds is out of range (at most %.0f)",
                              sval(n), SPF_SECONDS_MAX);
    if (s < 0 && !allow_negative)
        return spf__node_fail(n, "must be >= 0 seconds");
    *ret_ns = (int64_t)llround(s * 1e9);
    return 0;
}
