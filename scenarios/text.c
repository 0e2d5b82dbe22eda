/* Growable text, escaping and shell quoting (text.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Make room for n more bytes and the terminating NUL. */
static bool reserve(struct spf__text *t, size_t n)
{
    if (t->failed)
        return false;
    if (n < t->cap - t->len)
        return true;
    if (n > SIZE_MAX / 2 - t->len) {
        spf__text_clear(t);
        t->failed = true;
        return false;
    }

    size_t cap = t->cap ? t->cap : 64;
    while (cap <= t->len + n)
        cap *= 2;
    char *data = realloc(t->data, cap);
    if (!data) {
        spf__text_clear(t);
        t->failed = true;
        return false;
    }
    t->data = data;
    t->cap = cap;
    return true;
}

void spf__text_add(struct spf__text *t, const void *p, size_t n)
{
    if (!reserve(t, n))
        return;
    if (n)
        memcpy(t->data + t->len, p, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void spf__text_adds(struct spf__text *t, const char *s)
{
    spf__text_add(t, s, strlen(s));
}

void spf__text_addf(struct spf__text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(t, (size_t)n))
        return;

    va_start(ap, fmt);
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void spf__text_escape(struct spf__text *t, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' || s[i] == '"')
            spf__text_addf(t, "\\%c", s[i]);
        else if (s[i] >= 0x20 && s[i] < 0x7f)
            spf__text_add(t, &s[i], 1);
        else
            spf__text_addf(t, "\\x%02x", s[i]);
    }
}

void spf__text_shell_quote(struct spf__text *t, const char *s)
{
    spf__text_adds(t, "'");
    for (const char *q; (q = strchr(s, '\'')); s = q + 1) {
        spf__text_add(t, s, (size_t)(q - s));
        spf__text_adds(t, "'\\''");
    }
    spf__text_adds(t, s);
    spf__text_adds(t, "'");
}

void spf__text_shell_word(struct spf__text *t, const char *s)
{
    /* Characters that no POSIX shell expands or splits on, anywhere in a
     * word.  '=' and '~' are left out: they matter at a word's start. */
    static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_-./:,+@%";
    if (*s && s[strspn(s, safe)] == '\0')
        spf__text_adds(t, s);
    else
        spf__text_shell_quote(t, s);
}

char *spf__text_steal(struct spf__text *t)
{
    if (!t->failed && !t->data)
        spf__text_add(t, "", 0);
    char *data = t->failed ? NULL : t->data;
    *t = (struct spf__text){0};
    return data;
}

void spf__text_copy(const struct spf__text *t, char *buf, size_t len)
{
    snprintf(buf, len, "%s", t->data && !t->failed ? t->data : "");
}

void spf__text_clear(struct spf__text *t)
{
    free(t->data);
    *t = (struct spf__text){0};
}
