/*
 * The child's error record and the parent's side of the errpipe.
 *
 * The record has CPython's exact format, so that CPython's own parent can
 * read what our child writes (and our parent what CPython's child writes):
 *
 *     <ExceptionName> ':' <errno in lower-case hex> ':' <description>
 *
 * where the description is "" (exec failed), "noexec:chdir" (chdir failed)
 * or "noexec" (another step before exec failed).  Unlike CPython, our child
 * composes it in full and writes it with one write(2), so it is atomic.
 */
#ifndef SPF_CORE_ERRPIPE_H
#define SPF_CORE_ERRPIPE_H

#include <stddef.h>

#include "internal.h"

/* The child step that failed, which selects the record's description. */
enum spf__step {
    SPF__STEP_EXEC = 0,
    SPF__STEP_CHDIR,
    SPF__STEP_OTHER,
};

/* Longest record the child writes: far below PIPE_BUF. */
#define SPF__RECORD_MAX 48

/* The parent stops reading once it holds more than this (CPython). */
#define SPF__ERRPIPE_LIMIT 50000

/* Compose the record for err failing at step into buf (SPF__RECORD_MAX
 * bytes); returns its length.  Async-signal-safe: used in the child. */
size_t spf__record_encode(char *buf, int err, enum spf__step step);

/* Read fd to end-of-file, retrying on EINTR, stopping once more than
 * SPF__ERRPIPE_LIMIT bytes are held.  Returns 0 or -errno. */
int spf__errpipe_read(int fd, struct spf__buf *ret);

/*
 * Decode a non-empty record by the reference rules (section 1.5): fills
 * *ret (stage, errno, filename, name, message, raw) and returns the code
 * spf_popen() fails with: -errno, -SPF_EBADRECORD or -SPF_ECHILDERR, or
 * -ENOMEM.  orig_exec is the program as the caller named it (executable,
 * else argv[0]) and cwd the caller's cwd or NULL.
 */
int spf__record_decode(const char *raw, size_t len, const char *orig_exec,
                       const char *cwd, struct spf_spawn_error *ret);

/* Python's repr() of bytes, e.g. b'OSError:2' (malloc'd, or NULL). */
char *spf__bytes_repr(const char *data, size_t len);

#endif
