/*
 * Growable text for messages and verdicts: byte escaping that keeps hostile
 * data readable, and shell quoting for replay commands.
 *
 * Allocation failures are sticky: after one, every later call does nothing
 * and spf__textbuf_steal() returns NULL, so a caller builds a whole text and
 * checks once at the end.
 */
#ifndef SPF_SCENARIOS_TEXTBUF_H
#define SPF_SCENARIOS_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct spf__textbuf {
    char *data; /* NUL-terminated when not NULL */
    size_t len;
    size_t cap;
    bool failed;
};

void spf__textbuf_add(struct spf__textbuf *t, const void *p, size_t n);
void spf__textbuf_adds(struct spf__textbuf *t, const char *s);

__attribute__((format(printf, 2, 3))) void
spf__textbuf_addf(struct spf__textbuf *t, const char *fmt, ...);

/* Append n bytes escaped: printable ASCII as is except '\\' and '"', which
 * get a backslash; every other byte as \xHH.  No quotes are added. */
void spf__textbuf_escape(struct spf__textbuf *t, const void *p, size_t n);

/* Append s as one shell word: bare when it holds only characters no shell
 * treats specially, else in single quotes ('\'' for a quote inside). */
void spf__textbuf_shell_word(struct spf__textbuf *t, const char *s);

/* Append s in single quotes, always. */
void spf__textbuf_shell_quote(struct spf__textbuf *t, const char *s);

/* Hand over the text (an empty text gives ""), or NULL after an
 * allocation failure.  The text is empty again afterwards. */
char *spf__textbuf_steal(struct spf__textbuf *t);

/* Copy the text into buf (size len > 0), cut if needed, always
 * NUL-terminated. */
void spf__textbuf_copy(const struct spf__textbuf *t, char *buf, size_t len);

void spf__textbuf_clear(struct spf__textbuf *t);

#endif
