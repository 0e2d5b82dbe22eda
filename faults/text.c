/* The bounded text writer (text.h). */
#include <string.h>

#include "text.h"

void spf__text_init(struct spf__text *t, char *buf, size_t cap)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    t->lost = cap == 0;
    if (cap > 0)
        buf[0] = '\0';
}

void spf__text_mem(struct spf__text *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t->len + 1 >= t->cap) {
            t->lost = true;
            return;
        }
        t->buf[t->len++] = s[i];
        t->buf[t->len] = '\0';
    }
}

void spf__text_str(struct spf__text *t, const char *s)
{
    spf__text_mem(t, s, strlen(s));
}

void spf__text_u64(struct spf__text *t, uint64_t v)
{
    char digits[20];
    size_t n = 0;

    do {
        digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    spf__text_mem(t, digits + sizeof(digits) - n, n);
}

/* Quote untrusted bytes so a message stays one printable line. */
void spf__text_quoted(struct spf__text *t, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";

    spf__text_mem(t, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            spf__text_mem(t, s + i, 1);
            continue;
        }
        char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
        spf__text_mem(t, esc, sizeof(esc));
    }
    spf__text_mem(t, "\"", 1);
}
