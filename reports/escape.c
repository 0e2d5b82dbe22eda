/* The sanitiser shared by every report writer. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

size_t spf__utf8_decode(const unsigned char *p, size_t n, uint32_t *ret_cp)
{
    static const uint32_t shortest[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    uint32_t cp;

    if (p[0] < 0x80) {
        *ret_cp = p[0];
        return 1;
    }
    if ((p[0] & 0xe0) == 0xc0)
        len = 2;
    else if ((p[0] & 0xf0) == 0xe0)
        len = 3;
    else if ((p[0] & 0xf8) == 0xf0)
        len = 4;
    else
        return 0;
    cp = p[0] & (0x7fu >> len);

    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }

    /* An overlong form could smuggle a '<' or a NUL past a naive check. */
    if (cp < shortest[len])
        return 0;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *ret_cp = cp;
    return len;
}

static bool must_escape(uint32_t cp, unsigned flags)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return flags & SPF__ESC_LINE;
    if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
        return true;
    if (cp == '#')
        return flags & SPF__ESC_HASH;
    if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
        return flags & SPF__ESC_TERM;
    return false;
}

/* The length of the character at p (n >= 1 bytes), 1 for a byte that
 * starts no valid sequence, and whether it must be escaped. */
static size_t next_char(const unsigned char *p, size_t n, unsigned flags,
                        bool *ret_esc)
{
    uint32_t cp;
    size_t len = spf__utf8_decode(p, n, &cp);

    *ret_esc = len == 0 || must_escape(cp, flags);
    return len == 0 ? 1 : len;
}

static const char hex_digits[] = "0123456789abcdef";

/* Escape into dst, which may be NULL to measure.  Returns the length. */
static size_t escape_into(char *dst, const unsigned char *p, size_t len,
                          unsigned flags)
{
    size_t out = 0;

    for (size_t i = 0; i < len;) {
        bool esc;
        size_t n = next_char(p + i, len - i, flags, &esc);

        for (size_t end = i + n; i < end; i++, out += esc ? 4 : 1) {
            if (!dst)
                continue;
            if (!esc) {
                dst[out] = (char)p[i];
                continue;
            }
            dst[out] = '\\';
            dst[out + 1] = 'x';
            dst[out + 2] = hex_digits[p[i] >> 4];
            dst[out + 3] = hex_digits[p[i] & 0xf];
        }
    }
    return out;
}

char *spf__escape(const char *p, size_t len, unsigned flags)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t n = p ? escape_into(NULL, u, len, flags) : 0;
    char *s = malloc(n + 1);

    if (!s)
        return NULL;
    if (p)
        escape_into(s, u, len, flags);
    s[n] = '\0';
    return s;
}

char *spf__escape_str(const char *s, unsigned flags)
{
    return spf__escape(s, s ? strlen(s) : 0, flags);
}

void spf__escape_put(FILE *f, const char *p, size_t len, unsigned flags)
{
    const unsigned char *u = (const unsigned char *)p;

    for (size_t i = 0; i < len;) {
        bool esc;
        size_t n = next_char(u + i, len - i, flags, &esc);

        if (!esc)
            fwrite(u + i, 1, n, f);
        for (size_t k = i; esc && k < i + n; k++)
            fprintf(f, "\\x%c%c", hex_digits[u[k] >> 4],
                    hex_digits[u[k] & 0xf]);
        i += n;
    }
}

void spf__escape_puts(FILE *f, const char *s, unsigned flags)
{
    spf__escape_put(f, s, s ? strlen(s) : 0, flags);
}
