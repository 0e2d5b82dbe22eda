/* A growable byte buffer for the parent side. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int spf__buf_reserve(struct spf__buf *b, size_t len)
{
    if (len > b->cap - b->len || !b->data) {
        size_t cap = b->cap ? b->cap : 4096;
        char *n;

        while (cap - b->len < len) {
            if (cap > SIZE_MAX / 2)
                return -ENOMEM;
            cap *= 2;
        }
        /* One spare byte keeps the data NUL-terminated for callers that
         * treat it as text.  Doubling costs no copy where it matters: the
         * C library moves a large block with mremap(2), and what was never
         * touched is never resident (spf__buf_trim gives it back). */
        n = realloc(b->data, cap + 1);
        if (!n)
            return -ENOMEM;
        b->data = n;
        b->cap = cap;
        b->data[b->len] = '\0';
    }
    return 0;
}

void spf__buf_trim(struct spf__buf *b)
{
    char *n;

    if (!b->data || b->cap == b->len)
        return;
    /* Shrinking in place: the C library neither moves nor copies. */
    n = realloc(b->data, b->len + 1);
    if (n) {
        b->data = n;
        b->cap = b->len;
    }
}

int spf__buf_append(struct spf__buf *b, const void *data, size_t len)
{
    int r = spf__buf_reserve(b, len);

    if (r < 0)
        return r;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

void spf__buf_free(struct spf__buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
