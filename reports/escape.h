/*
 * The one sanitiser every report goes through.  Valid UTF-8 passes as it
 * is; bytes a report cannot carry are written as the visible text \xHH
 * (lower-case hex), one escape per byte.  What "cannot carry" means grows
 * with the flags; the base set is what XML 1.0 forbids: NUL and the other
 * C0 controls except TAB, LF and CR, U+FFFE and U+FFFF, and every byte of
 * an invalid UTF-8 sequence (overlong forms, encoded surrogates, code points
 * above U+10FFFF, truncated sequences, stray continuation bytes).
 *
 * A backslash is not escaped: the reports that use this are for people,
 * and the mismatch texts they show arrive already escaped by the checker,
 * so doubling backslashes would garble them.  The JSON report is the
 * lossless one (docs/reports.md).
 */
#ifndef SPF_REPORTS_ESCAPE_H
#define SPF_REPORTS_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum spf__esc_flags {
    SPF__ESC_XML = 0,        /* only what XML 1.0 cannot carry */
    SPF__ESC_LINE = 1u << 0, /* also TAB, LF, CR: the text stays on one line */
    SPF__ESC_TERM = 1u << 1, /* also DEL and the C1 controls */
    SPF__ESC_HASH = 1u << 2, /* also '#', which starts a TAP directive */
};

/* Everything a line of a text or TAP report must not carry. */
#define SPF__ESC_ONE_LINE (SPF__ESC_LINE | SPF__ESC_TERM)

/*
 * Decode one UTF-8 sequence from the n bytes at p (n >= 1).  Returns its
 * length (1 to 4) and stores the code point in *ret_cp, or returns 0 when
 * the sequence is invalid (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF).
 */
size_t spf__utf8_decode(const unsigned char *p, size_t n, uint32_t *ret_cp);

/*
 * The len bytes at p (NULL: none) escaped per flags, as a new
 * NUL-terminated string the caller frees; NULL when out of memory.
 */
char *spf__escape(const char *p, size_t len, unsigned flags);

/* The same for a C string (NULL: the empty string). */
char *spf__escape_str(const char *s, unsigned flags);

/*
 * Write the len bytes at p (NULL: none), escaped, to f.  Allocates
 * nothing; write errors stay on the stream for its owner to find with
 * ferror().
 */
void spf__escape_put(FILE *f, const char *p, size_t len, unsigned flags);

/* The same for a C string (NULL: the empty string). */
void spf__escape_puts(FILE *f, const char *s, unsigned flags);

#endif
