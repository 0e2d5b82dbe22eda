/* Small text helpers shared by the harness's modules. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Length of a valid UTF-8 sequence at s (at most len), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    size_t need;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        need = 1, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        need = 2, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        need = 3, cp = s[0] & 0x07;
    else
        return 0;
    if (len <= need)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp == 0xfffe ||
        cp == 0xffff)
        return 0;
    return need + 1;
}

char *spf__utf8_escape(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = malloc(4 * len + 1), *o = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(u + i, len - i);
        bool ctl = n == 1 && (u[i] < 0x20 || u[i] == 0x7f) && u[i] != '\t' &&
                   u[i] != '\n';

        if (n == 0 || ctl) {
            o += sprintf(o, "\\x%02x", u[i]);
            i++;
            continue;
        }
        memcpy(o, s + i, n);
        o += n;
        i += n;
    }
    *o = '\0';
    return out;
}

static char *vstrf(const char *fmt, va_list ap)
{
    char *s;

    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *spf__strf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = vstrf(fmt, ap);
    va_end(ap);
    return s;
}

int spf__strv_addf(char ***v, size_t *n, const char *fmt, ...)
{
    char **nv = realloc(*v, (*n + 1) * sizeof(char *));
    va_list ap;

    if (!nv)
        return -1;
    *v = nv;
    va_start(ap, fmt);
    nv[*n] = vstrf(fmt, ap);
    va_end(ap);
    if (!nv[*n])
        return -1;
    (*n)++;
    return 0;
}
