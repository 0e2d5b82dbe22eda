/*
 * Growable text for messages and verdicts: byte escaping that keeps hostile
 * data readable, and shell quoting for replay commands.
 *
 * Allocation failures are sticky: after one, every later call does nothing
 * and spf__text_steal() returns NULL, so a caller builds a whole text and
 * checks once at the end.
 */
#ifndef SPF_SCENARIOS_TEXT_H
#define SPF_SCENARIOS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct spf__text {
    char *data; /* NUL-terminated when not NULL */
    size_t len;
    size_t cap;
    bool failed;
};

void spf__text_add(struct spf__text *t, const void *p, size_t n);
void spf__text_adds(struct spf__text *t, const char *s);

__attribute__((format(printf, 2, 3))) void spf__text_addf(struct spf__text *t,
                                                          const char *fmt, ...);

/* Append n bytes escaped: printable ASCII as is except '\\' and '"', which
 * get a backslash; every other byte as \xHH.  No quotes are added. */
void spf__text_escape(struct spf__text *t, const void *p, size_t n);

/* Append s as one shell word: bare when it holds only characters no shell
 * treats specially, else in single quotes ('\'' for a quote inside). */
void spf__text_shell_word(struct spf__text *t, const char *s);

/* Append s in single quotes, always. */
void spf__text_shell_quote(struct spf__text *t, const char *s);

/* Hand over the text (an empty text gives ""), or NULL after an
 * allocation failure.  The text is empty again afterwards. */
char *spf__text_steal(struct spf__text *t);

/* Copy the text into buf (size len > 0), cut if needed, always
 * NUL-terminated. */
void spf__text_copy(const struct spf__text *t, char *buf, size_t len);

void spf__text_clear(struct spf__text *t);

#endif
