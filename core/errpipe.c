/* The errpipe, parent side: reading the child's record and decoding it. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errpipe.h"

int spf__errpipe_read(int fd, struct spf__buf *ret)
{
    struct spf__buf b = {0};
    int r = 0;

    /* Reads of SPF__ERRPIPE_LIMIT bytes, as CPython's, so that the bytes
     * kept from an oversized record are the same. */
    for (;;) {
        ssize_t n;

        if ((r = spf__buf_reserve(&b, SPF__ERRPIPE_LIMIT)) < 0)
            break;
        n = read(fd, b.data + b.len, SPF__ERRPIPE_LIMIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        b.len += (size_t)n;
        b.data[b.len] = '\0';
        if (n == 0 || b.len > SPF__ERRPIPE_LIMIT)
            break;
    }
    if (r < 0) {
        spf__buf_free(&b);
        return r;
    }
    *ret = b;
    return 0;
}

/* Strict UTF-8 validation, as Python's bytes.decode() performs it. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned c = s[i], need, cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, cp = c & 0x07;
        else
            return false;
        if (len - i <= need)
            return false;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Reject overlong forms, surrogates and values above U+10FFFF. */
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += need + 1;
    }
    return true;
}

/* Builtin exception classes a record may name.  OSError and its
 * subclasses come first: a record naming one of them carries an errno. */
static const char *const os_errors[] = {
    "OSError",
    "EnvironmentError",
    "IOError",
    "BlockingIOError",
    "ChildProcessError",
    "ConnectionError",
    "BrokenPipeError",
    "ConnectionAbortedError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "FileExistsError",
    "FileNotFoundError",
    "InterruptedError",
    "IsADirectoryError",
    "NotADirectoryError",
    "PermissionError",
    "ProcessLookupError",
    "TimeoutError",
};

static const char *const other_errors[] = {
    "BaseException",
    "BaseExceptionGroup",
    "Exception",
    "ExceptionGroup",
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BufferError",
    "EOFError",
    "FloatingPointError",
    "GeneratorExit",
    "ImportError",
    "IndentationError",
    "IndexError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotImplementedError",
    "OverflowError",
    "PythonFinalizationError",
    "RecursionError",
    "ReferenceError",
    "RuntimeError",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SystemError",
    "SystemExit",
    "TabError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "ValueError",
    "ZeroDivisionError",
    "Warning",
    "UserWarning",
    "DeprecationWarning",
    "PendingDeprecationWarning",
    "SyntaxWarning",
    "RuntimeWarning",
    "FutureWarning",
    "ImportWarning",
    "UnicodeWarning",
    "BytesWarning",
    "ResourceWarning",
    "EncodingWarning",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *const *list, size_t n, const char *s,
                    size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
            return true;
    return false;
}

static bool is_hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

static bool is_py_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * int(field, 16) as Python parses it: surrounding whitespace, a sign, an
 * optional 0x prefix, digits with single underscores between them.  A
 * field Python would reject (ValueError) or an errno beyond int range is
 * reported as bad data instead of escaping (reference section 5, item 12).
 */
static bool parse_py_hex(const char *s, size_t len, int *ret)
{
    size_t i = 0, end = len;
    bool neg = false, digit_seen = false, us_ok = false, last_us = false;
    long long v = 0;

    while (i < end && is_py_space(s[i]))
        i++;
    while (end > i && is_py_space(s[end - 1]))
        end--;
    if (i < end && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (end - i >= 2 && s[i] == '0' && (s[i + 1] | 0x20) == 'x') {
        i += 2;
        us_ok = true; /* "0x_1f" is valid */
    }
    for (; i < end; i++) {
        last_us = s[i] == '_';
        if (last_us) {
            if (!us_ok)
                return false;
            us_ok = false;
            continue;
        }
        if (!is_hex_digit(s[i]))
            return false;
        v = v * 16 + hex_value(s[i]);
        if (v > INT_MAX)
            return false;
        digit_seen = us_ok = true;
    }
    if (!digit_seen || last_us)
        return false;
    *ret = neg ? -(int)v : (int)v;
    return true;
}

static char *dup_n(const char *s, size_t len)
{
    char *d = malloc(len + 1);

    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *spf__bytes_repr(const char *data, size_t len)
{
    bool has_sq = memchr(data, '\'', len) != NULL;
    bool has_dq = memchr(data, '"', len) != NULL;
    char quote = has_sq && !has_dq ? '"' : '\'';
    char *out = malloc(4 * len + 4), *o = out;

    if (!out)
        return NULL;
    *o++ = 'b';
    *o++ = quote;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];

        if (c == (unsigned char)quote || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\t' || c == '\n' || c == '\r') {
            *o++ = '\\';
            *o++ = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        } else if (c < 0x20 || c >= 0x7f) {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = "0123456789abcdef"[c >> 4];
            *o++ = "0123456789abcdef"[c & 0xf];
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = quote;
    *o = '\0';
    return out;
}

static int bad_data(const char *raw, size_t len, struct spf_spawn_error *e)
{
    static const char prefix[] = "Bad exception data from child: ";
    char *repr = spf__bytes_repr(raw, len);

    e->stage = SPF_STAGE_BAD_DATA;
    e->err = 0;
    if (!repr)
        return -ENOMEM;
    e->message = malloc(sizeof(prefix) + strlen(repr));
    if (e->message) {
        memcpy(e->message, prefix, sizeof(prefix) - 1);
        strcpy(e->message + sizeof(prefix) - 1, repr);
    }
    free(repr);
    return e->message ? -SPF_EBADRECORD : -ENOMEM;
}

/* os.strerror(err): the C library's text, "Unknown error -2" for a
 * number it does not know (a forged record may carry any). */
static char *errno_text(int err)
{
    char buf[64];

    if (err > 0 && err < 4096)
        return strdup(strerror(err));
    snprintf(buf, sizeof(buf), "Unknown error %d", err);
    return strdup(buf);
}

/* An OSError-family record with an errno: stage and filename follow the
 * description (3.13 rules; reference section 1.5, item 3). */
static int decode_os_error(int err, const char *desc, size_t desc_len,
                           const char *orig_exec, const char *cwd,
                           struct spf_spawn_error *e)
{
    const char *file = NULL;

    if (desc_len == 12 && memcmp(desc, "noexec:chdir", 12) == 0) {
        e->stage = SPF_STAGE_CHDIR;
        file = cwd;
        desc_len = 0;
    } else if (desc_len == 6 && memcmp(desc, "noexec", 6) == 0) {
        e->stage = SPF_STAGE_PREEXEC;
        desc_len = 0;
    } else {
        e->stage = SPF_STAGE_EXEC;
        file = orig_exec;
    }
    e->err = err;
    e->message = err ? errno_text(err) : dup_n(desc, desc_len);
    if (!e->message)
        return -ENOMEM;
    if (file && !(e->filename = strdup(file)))
        return -ENOMEM;
    return err > 0 ? -err : -SPF_ECHILDERR;
}

static int decode_fields(const char *raw, size_t len, const char *orig_exec,
                         const char *cwd, struct spf_spawn_error *e)
{
    const char *c1 = memchr(raw, ':', len), *c2;
    const char *name, *hex, *desc;
    size_t name_len, hex_len, desc_len;
    int err;

    if (!c1 || !(c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - raw))))
        return bad_data(raw, len, e);
    name = raw, name_len = (size_t)(c1 - raw);
    hex = c1 + 1, hex_len = (size_t)(c2 - hex);
    desc = c2 + 1, desc_len = len - (size_t)(desc - raw);
    /* Python decodes the description as strict UTF-8 and the name as
     * ASCII; both failures are bad data for us. */
    if (!utf8_valid((const unsigned char *)desc, desc_len) ||
        !utf8_valid((const unsigned char *)name, name_len))
        return bad_data(raw, len, e);
    for (size_t i = 0; i < name_len; i++)
        if ((unsigned char)name[i] >= 0x80)
            return bad_data(raw, len, e);

    if (in_list(os_errors, N_OF(os_errors), name, name_len) && hex_len) {
        if (!parse_py_hex(hex, hex_len, &err))
            return bad_data(raw, len, e);
        if (!(e->name = dup_n(name, name_len)))
            return -ENOMEM;
        return decode_os_error(err, desc, desc_len, orig_exec, cwd, e);
    }
    /* Any other class is raised with the description alone; a name that
     * is not a builtin exception class becomes SubprocessError. */
    e->stage = SPF_STAGE_CHILD;
    e->err = 0;
    if (in_list(os_errors, N_OF(os_errors), name, name_len) ||
        in_list(other_errors, N_OF(other_errors), name, name_len))
        e->name = dup_n(name, name_len);
    else
        e->name = strdup("SubprocessError");
    e->message = dup_n(desc, desc_len);
    return e->name && e->message ? -SPF_ECHILDERR : -ENOMEM;
}

int spf__record_decode(const char *raw, size_t len, const char *orig_exec,
                       const char *cwd, struct spf_spawn_error *ret)
{
    struct spf_spawn_error e = {.child_status = INT_MIN};
    int r;

    e.raw = dup_n(raw, len);
    e.raw_len = len;
    r = e.raw ? decode_fields(raw, len, orig_exec, cwd, &e) : -ENOMEM;
    if (r == -ENOMEM) {
        spf_spawn_error_clear(&e);
        e.stage = SPF_STAGE_BAD_DATA;
    }
    *ret = e;
    return r;
}
