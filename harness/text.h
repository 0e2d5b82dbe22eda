#ifndef SPF_HARNESS_TEXT_H
#define SPF_HARNESS_TEXT_H

#include <stddef.h>

/* Text safe for any report: valid UTF-8 passes, other bytes and control
 * characters (but tab and newline) become \xHH.  malloc'd, or NULL. */
char *spf__utf8_escape(const char *s, size_t len);

/* Append a printf-formatted string to a malloc'd vector of strings. */
int spf__strv_addf(char ***v, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A malloc'd printf. */
char *spf__strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
