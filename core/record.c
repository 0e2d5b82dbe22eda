/*
 * The child's error record, composed on the stack.  Runs in the child
 * between fork and exec: async-signal-safe, no allocation (child.c's
 * contract applies).
 */
#include "errpipe.h"

static size_t put(char *dst, size_t at, const char *s)
{
    while (*s)
        dst[at++] = *s++;
    return at;
}

size_t spf__record_encode(char *buf, int err, enum spf__step step)
{
    static const char digits[] = "0123456789abcdef";
    static const char *const desc[] = {
        [SPF__STEP_EXEC] = "",
        [SPF__STEP_CHDIR] = "noexec:chdir",
        [SPF__STEP_OTHER] = "noexec",
    };
    char hex[2 * sizeof(unsigned)];
    unsigned v = (unsigned)err;
    size_t n = 0, at;

    /* Lower-case hex without leading zeros; 0 is "0", as Python's
     * "%x" would print it. */
    do {
        hex[n++] = digits[v & 0xf];
        v >>= 4;
    } while (v);
    at = put(buf, 0, "OSError:");
    while (n)
        buf[at++] = hex[--n];
    buf[at++] = ':';
    return put(buf, at, desc[step]);
}
