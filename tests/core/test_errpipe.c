/* The child's record: encoding, reading, and the reference decoding table
 * (section 1.5), garbled input included. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "../../core/errpipe.h"
#include "common.h"

static void expect_record(int err, enum spf__step step, const char *want)
{
    char buf[SPF__RECORD_MAX];
    size_t n = spf__record_encode(buf, err, step);

    cr_assert_eq(n, strlen(want), "length for %s", want);
    cr_assert_arr_eq(buf, want, n);
}

Test(errpipe, encodes_cpython_records)
{
    expect_record(ENOENT, SPF__STEP_EXEC, "OSError:2:");
    expect_record(EACCES, SPF__STEP_EXEC, "OSError:d:");
    expect_record(ENOTDIR, SPF__STEP_EXEC, "OSError:14:");
    expect_record(ENOEXEC, SPF__STEP_EXEC, "OSError:8:");
    expect_record(ENOENT, SPF__STEP_CHDIR, "OSError:2:noexec:chdir");
    expect_record(EPERM, SPF__STEP_OTHER, "OSError:1:noexec");
    expect_record(0, SPF__STEP_EXEC, "OSError:0:");
    expect_record(INT_MAX, SPF__STEP_CHDIR, "OSError:7fffffff:noexec:chdir");
}

struct decoded {
    int ret;
    struct spf_spawn_error e;
};

static struct decoded decode(const char *raw, size_t len)
{
    struct decoded d;

    d.ret = spf__record_decode(raw, len, "prog", "/tmp", &d.e);
    cr_assert_eq(d.e.raw_len, len);
    cr_assert_arr_eq(d.e.raw, raw, len);
    return d;
}

#define DECODE(lit) decode(lit, sizeof(lit) - 1)

static void expect_os(struct decoded d, enum spf_stage stage, int err,
                      const char *file)
{
    cr_expect_eq(d.e.stage, stage, "stage %s", spf_stage_name(d.e.stage));
    cr_expect_eq(d.e.err, err);
    if (file)
        cr_expect_str_eq(d.e.filename ? d.e.filename : "(none)", file);
    else
        cr_expect_null(d.e.filename, "filename %s", d.e.filename);
    if (err)
        cr_expect_str_eq(d.e.message, strerror(err));
    cr_expect_eq(d.ret, err > 0 ? -err : -SPF_ECHILDERR);
    spf_spawn_error_clear(&d.e);
}

Test(errpipe, exec_failure_names_the_program)
{
    expect_os(DECODE("OSError:15:"), SPF_STAGE_EXEC, EISDIR, "prog");
    expect_os(DECODE("OSError:2:"), SPF_STAGE_EXEC, ENOENT, "prog");
}

Test(errpipe, noexec_has_no_filename)
{
    expect_os(DECODE("OSError:2:noexec"), SPF_STAGE_PREEXEC, ENOENT, NULL);
    expect_os(DECODE("OSError:1:noexec"), SPF_STAGE_PREEXEC, EPERM, NULL);
}

Test(errpipe, chdir_failure_names_the_cwd)
{
    expect_os(DECODE("OSError:2:noexec:chdir"), SPF_STAGE_CHDIR, ENOENT,
              "/tmp");
}

Test(errpipe, custom_text_is_replaced_by_strerror)
{
    expect_os(DECODE("OSError:2:custom text"), SPF_STAGE_EXEC, ENOENT, "prog");
}

Test(errpipe, errno_zero_keeps_the_description)
{
    struct decoded d = DECODE("OSError:0:");

    cr_expect_str_eq(d.e.message, "");
    expect_os(d, SPF_STAGE_EXEC, 0, "prog");
}

Test(errpipe, named_subclass_is_not_remapped)
{
    struct decoded d = DECODE("FileNotFoundError:d:");

    cr_expect_str_eq(d.e.name, "FileNotFoundError");
    expect_os(d, SPF_STAGE_EXEC, EACCES, "prog");
}

Test(errpipe, python_int_parsing_of_the_errno)
{
    expect_os(DECODE("OSError: 0x1F :"), SPF_STAGE_EXEC, 31, "prog");
    expect_os(DECODE("OSError:+1_0:"), SPF_STAGE_EXEC, 16, "prog");
    expect_os(DECODE("OSError:0x_d:"), SPF_STAGE_EXEC, EACCES, "prog");
}

static void expect_child(struct decoded d, const char *name, const char *msg)
{
    cr_expect_eq(d.e.stage, SPF_STAGE_CHILD, "stage %s",
                 spf_stage_name(d.e.stage));
    cr_expect_str_eq(d.e.name, name);
    cr_expect_str_eq(d.e.message, msg);
    cr_expect_eq(d.e.err, 0);
    cr_expect_null(d.e.filename);
    cr_expect_eq(d.ret, -SPF_ECHILDERR);
    spf_spawn_error_clear(&d.e);
}

Test(errpipe, other_classes_carry_the_description)
{
    expect_child(DECODE("ValueError:0:hello"), "ValueError", "hello");
    expect_child(DECODE("KeyError:5:k"), "KeyError", "k");
    expect_child(DECODE("OSError::"), "OSError", "");
    expect_child(DECODE("SubprocessError:0:"), "SubprocessError", "");
    expect_child(DECODE("SubprocessError:0:Exception occurred in "
                        "preexec_fn."),
                 "SubprocessError", "Exception occurred in preexec_fn.");
}

Test(errpipe, unknown_names_become_subprocess_error)
{
    expect_child(DECODE("NoSuchName:3:x"), "SubprocessError", "x");
    /* CPython raises TypeError here (section 5, item 12): a name that is
     * not an exception class is treated as unknown instead. */
    expect_child(DECODE("print:0:x"), "SubprocessError", "x");
}

static void expect_bad(struct decoded d, const char *message)
{
    cr_expect_eq(d.e.stage, SPF_STAGE_BAD_DATA, "stage %s",
                 spf_stage_name(d.e.stage));
    cr_expect_eq(d.ret, -SPF_EBADRECORD);
    if (message)
        cr_expect_str_eq(d.e.message, message);
    spf_spawn_error_clear(&d.e);
}

Test(errpipe, garbled_records_are_bad_data)
{
    expect_bad(DECODE("OSError:2:\xff"),
               "Bad exception data from child: b'OSError:2:\\xff'");
    expect_bad(DECODE("only:one"),
               "Bad exception data from child: b'only:one'");
    expect_bad(DECODE("\xff\x00\xde\xad"),
               "Bad exception data from child: b'\\xff\\x00\\xde\\xad'");
    expect_bad(DECODE("OSError:2"),
               "Bad exception data from child: b'OSError:2'");
    /* CPython lets ValueError / UnicodeDecodeError escape for these
     * (section 5, item 12); we keep them in the bad-data family. */
    expect_bad(DECODE("OSError:zz:"), NULL);
    expect_bad(DECODE("\xff:0:x"), NULL);
    expect_bad(DECODE("OSError:1__0:"), NULL);
}

Test(errpipe, repr_follows_python)
{
    char *r = spf__bytes_repr("it's", 4);

    cr_expect_str_eq(r, "b\"it's\"");
    free(r);
    r = spf__bytes_repr("a'\"\\\t\n\r\x7f", 8);
    cr_expect_str_eq(r, "b'a\\'\"\\\\\\t\\n\\r\\x7f'");
    free(r);
}

struct writer {
    int fd;
    size_t len;
};

static void *write_bytes(void *arg)
{
    struct writer *w = arg;
    static char buf[200000];

    memset(buf, 'x', sizeof(buf));
    for (size_t off = 0; off < w->len;) {
        ssize_t n = write(w->fd, buf + off, w->len - off);

        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(w->fd);
    return NULL;
}

/* Feed len bytes through a pipe and return how many the reader kept. */
static size_t read_through_pipe(size_t len)
{
    int p[2];
    pthread_t t;
    struct writer w;
    struct spf__buf b;

    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    w = (struct writer){p[1], len};
    pthread_create(&t, NULL, write_bytes, &w);
    cr_assert_eq(spf__errpipe_read(p[0], &b), 0);
    close(p[0]);
    pthread_join(t, NULL);
    len = b.len;
    spf__buf_free(&b);
    return len;
}

Test(errpipe, reader_stops_past_the_limit, .timeout = 10)
{
    signal(SIGPIPE, SIG_IGN);
    cr_expect_eq(read_through_pipe(0), 0);
    cr_expect_eq(read_through_pipe(48), 48);
    cr_expect_eq(read_through_pipe(50000), 50000);
    cr_expect_eq(read_through_pipe(50001), 50001);
    /* Beyond the limit the reader stops after the read that crossed it:
     * never less than the limit, never the whole of a huge record. */
    {
        size_t kept = read_through_pipe(200000);

        cr_expect_gt(kept, 50000);
        cr_expect_lt(kept, 200000);
    }
}
