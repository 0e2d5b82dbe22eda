/*
 * Reading a YAML document (libyaml's document API) field by field.  A node
 * carries its dotted path ("faults[1].when") and its mark, so any reader
 * that rejects a value fills the loader's diagnostic with the file, the
 * 1-based line and column, the field and a message, and returns -EINVAL.
 *
 * Every reader writes its ret_ argument only on success; what it allocates
 * is then the caller's.  -ENOMEM also fills the diagnostic.
 */
#ifndef SPF_SCENARIOS_NODE_H
#define SPF_SCENARIOS_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include <spawnfault/scenario.h>

/* Largest value a bytes field may hold: {repeat} makes big inputs cheap to
 * write, and a typo in a count must not eat the machine. */
#define SPF_BYTES_MAX (64u << 20)

/* Durations are limited to about 31 years: the nanoseconds then always
 * fit in an int64_t, far from SPF_FOREVER. */
#define SPF_SECONDS_MAX 1e9

struct spf__doc {
    yaml_document_t *yaml;
    const char *file;
    struct spf_diag *diag; /* may be NULL */
    /* Bytes of every value made so far in this load, an alias counting
     * each time it is used; NULL: not counted. */
    size_t *made;
};

/* What one load may make in all: aliases of one big value would
 * otherwise multiply it without bound (200 uses of 62.5 MiB in a file of
 * 1.3 KB). */
#define SPF_LOAD_BYTES_MAX (256u << 20)

struct spf__node {
    const struct spf__doc *doc;
    yaml_node_t *y;   /* NULL: the key is absent */
    yaml_mark_t mark; /* of y, or of the mapping that lacks the key */
    char path[sizeof(((struct spf_diag *)0)->field)];
};

void spf__node_root(const struct spf__doc *doc, struct spf__node *ret);

static inline bool spf__node_present(const struct spf__node *n)
{
    return n->y != NULL;
}

/* Fill *d (when not NULL), cutting strings to fit, and return code. */
int spf__node_diag_fill(struct spf_diag *d, int code, const char *file,
                        unsigned line, unsigned column, const char *field,
                        const char *message);

/* Fill the diagnostic for n and return -EINVAL. */
__attribute__((format(printf, 2, 3))) int
spf__node_fail(const struct spf__node *n, const char *fmt, ...);

/* Fill the diagnostic with "out of memory" and return -ENOMEM. */
int spf__node_nomem(const struct spf__node *n);

/*
 * Check that n is a mapping whose keys are all in keys[0..n_keys), each at
 * most once, and store the value of keys[i] in ret_values[i] (absent ones
 * have y == NULL).  Unknown keys are errors, with a suggestion when one of
 * the known keys is a near miss.
 */
int spf__node_mapping(const struct spf__node *n, const char *const *keys,
                      size_t n_keys, struct spf__node *ret_values);

/* Whether n is a mapping with that key (no error either way). */
bool spf__node_has_key(const struct spf__node *n, const char *key);

/* Visit the pairs of a mapping in order, with the key (a scalar, unique
 * in the mapping) and its value; stop at the first negative return. */
typedef int spf__pair_fn(const struct spf__node *key,
                         const struct spf__node *value, void *ctx);
int spf__node_pairs(const struct spf__node *n, spf__pair_fn *fn, void *ctx);

/* The text of a scalar node, which may hold NUL bytes. */
const char *spf__node_scalar(const struct spf__node *n, size_t *ret_len);

/* Check that n is a sequence and give its length. */
int spf__node_list(const struct spf__node *n, size_t *ret_len);

/* Item i of a sequence (i < length). */
void spf__node_item(const struct spf__node *list, size_t i,
                    struct spf__node *ret);

/*
 * Read a sequence into a new array of elem_size-byte elements with read();
 * on failure drop() releases the elements already read.  An empty
 * sequence gives NULL and 0.
 */
struct spf__array_reader {
    size_t elem_size;
    int (*read)(const struct spf__node *item, void *ret_elem);
    void (*drop)(void *elem);
};
int spf__node_array(const struct spf__node *n,
                    const struct spf__array_reader *reader, void **ret,
                    size_t *ret_len);

extern const struct spf__array_reader spf__node_text_array;  /* char * */
extern const struct spf__array_reader spf__node_bytes_array; /* spf_bytes */

/* The drop() of an array of strings. */
void spf__node_drop_text(void *elem);

/* Plain null: "", "~", "null", "Null" or "NULL" unquoted. */
bool spf__node_is_null(const struct spf__node *n);

/* Whether n is a scalar spelling exactly word (quoted or not). */
bool spf__node_is_word(const struct spf__node *n, const char *word);

/* A scalar's text, borrowed from the document; not null, no NUL byte. */
int spf__node_word(const struct spf__node *n, const char **ret);

/* The same, as a new string. */
int spf__node_text(const struct spf__node *n, char **ret);

/* A scalar naming one of a set: from_name() maps the text to a value or
 * a negative number; what and choices word the error. */
int spf__node_enum(const struct spf__node *n, int (*from_name)(const char *),
                   const char *what, const char *choices, int *ret);

/* Bytes: a string, {hex: "..."} or {repeat: BYTES, count: N}. */
int spf__node_bytes(const struct spf__node *n, struct spf_bytes *ret);

/* Exactly true or false, unquoted. */
int spf__node_bool(const struct spf__node *n, bool *ret);

/* Whether n is written as an integer: [-+]?[0-9]+, unquoted.  Fields
 * taking a number or a name use it to word the right error. */
bool spf__node_is_int(const struct spf__node *n);

/* A decimal integer in [min, max], unquoted. */
int spf__node_int(const struct spf__node *n, long long min, long long max,
                  long long *ret);

/* An octal number written 0o755, 0755 or "0755", at most max. */
int spf__node_octal(const struct spf__node *n, unsigned max, unsigned *ret);

/* A decimal number, unquoted (1, 0.5, 1e-3). */
int spf__node_number(const struct spf__node *n, double *ret);

/* Seconds as nanoseconds; negative only when allowed. */
int spf__node_seconds(const struct spf__node *n, bool allow_negative,
                      int64_t *ret_ns);

#endif
