/*
 * A bounded text writer, for the model's messages and records and the
 * syntax translator's output.  Async-signal-safe: it only copies bytes.
 */
#ifndef SPF_FAULTS_TEXT_H
#define SPF_FAULTS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A bounded text writer.  It never overflows: once full it only records
 * that it lost bytes, so callers write everything and check once at the
 * end.  The buffer always stays NUL-terminated when it has any room.
 */
struct spf__text {
    char *buf;
    size_t cap;
    size_t len;
    bool lost;
};

void spf__text_init(struct spf__text *t, char *buf, size_t cap);
void spf__text_mem(struct spf__text *t, const char *s, size_t n);
void spf__text_str(struct spf__text *t, const char *s);
void spf__text_u64(struct spf__text *t, uint64_t v);
/* Untrusted bytes in quotes, \xHH for any byte that is not printable
 * ASCII or is a quote or a backslash, so a message stays one line. */
void spf__text_quoted(struct spf__text *t, const char *s, size_t n);

#endif
