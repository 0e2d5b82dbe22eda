/* spf_run(): CPython's run(), on top of spf_popen and communicate. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc2 ? 2 : 0;

    if (*s >= 0xf5 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* One argument as Python's repr() of a str shows it.  XXX: bytes that are
 * not UTF-8 are shown as \xNN (Python, decoding with surrogateescape,
 * shows \udcNN), and non-ASCII code points Python deems unprintable
 * beyond the C1 controls are copied as they are: exact only for text. */
static void put_repr(FILE *f, struct spf_str a)
{
    const unsigned char *s = (const unsigned char *)a.ptr;
    bool sq = a.len && memchr(a.ptr, '\'', a.len);
    bool dq = a.len && memchr(a.ptr, '"', a.len);
    char q = sq && !dq ? '"' : '\'';

    fputc(q, f);
    for (size_t i = 0; i < a.len; i++) {
        size_t u = s[i] >= 0x80 ? utf8_len(s + i, a.len - i) : 0;

        if (u == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
            fprintf(f, "\\x%02x", s[++i]); /* C1 controls, as Python */
        } else if (u) {
            fwrite(s + i, 1, u, f);
            i += u - 1;
        } else if (s[i] == q || s[i] == '\\')
            fprintf(f, "\\%c", s[i]);
        else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
            fprintf(f, "\\%c", s[i] == '\n' ? 'n' : s[i] == '\r' ? 'r' : 't');
        else if (s[i] < 0x20 || s[i] >= 0x7f)
            fprintf(f, "\\x%02x", s[i]);
        else
            fputc(s[i], f);
    }
    fputc(q, f);
}

/* Python's signal.Signals knows the named signals and the two ends of the
 * real-time range, nothing in between. */
static const char *python_signal_name(int sig)
{
    const char *name = spf_signal_name(sig);

    if (name)
        return name;
    if (sig == SIGSTKFLT)
        return "SIGSTKFLT";
    if (sig == SIGRTMIN)
        return "SIGRTMIN";
    if (sig == SIGRTMAX)
        return "SIGRTMAX";
    return NULL;
}

char *spf_check_message(const struct spf_str *argv, size_t argc, int returncode)
{
    char *msg = NULL;
    size_t len;
    FILE *f = open_memstream(&msg, &len);
    const char *name = returncode < 0 && returncode != INT_MIN
                           ? python_signal_name(-returncode)
                           : NULL;

    if (!f)
        return NULL;
    fputs("Command '[", f);
    for (size_t i = 0; i < argc; i++) {
        if (i)
            fputs(", ", f);
        put_repr(f, argv[i]);
    }
    if (name)
        fprintf(f, "]' died with <Signals.%s: %d>.", name, -returncode);
    else if (returncode < 0)
        fprintf(f, "]' died with unknown signal %lld.", -(long long)returncode);
    else
        fprintf(f, "]' returned non-zero exit status %d.", returncode);
    if (fclose(f) != 0) {
        free(msg);
        return NULL;
    }
    return msg;
}

/* -SPF_ECHECK carries CalledProcessError's text in *e. */
static void check_error(const struct spf_popen_opts *o, int code,
                        struct spf_spawn_error *e)
{
    if (!e)
        return;
    *e = (struct spf_spawn_error){.child_status = code};
    e->stage = SPF_STAGE_NONE;
    e->err = SPF_ECHECK;
    e->message = spf_check_message(o->argv, o->argc, code);
}

static char *take_output(struct spf_proc *p, int s, size_t *ret_len)
{
    char *data;

    if (!p->captured[s] || (!p->read_any[s] && !p->out[s].data)) {
        *ret_len = 0;
        return NULL;
    }
    if (!p->out[s].data && spf__buf_reserve(&p->out[s], 0) < 0)
        return NULL;
    data = p->out[s].data;
    *ret_len = p->out[s].len;
    p->out[s] = (struct spf__buf){0};
    return data;
}

/* With input and an inherited stdin, stdin becomes a pipe, as run() does;
 * input with a stdin the caller chose otherwise is refused. */
static int input_opts(const struct spf_popen_opts *o, const void *input,
                      struct spf_popen_opts *ret, struct spf_spawn_error *e)
{
    *ret = *o;
    if (!input)
        return 0;
    if (o->std[0].kind == SPF_STDIO_INHERIT) {
        ret->std[0].kind = SPF_STDIO_PIPE;
        return 0;
    }
    if (o->std[0].kind == SPF_STDIO_PIPE)
        return 0;
    if (e) {
        *e = (struct spf_spawn_error){.child_status = INT_MIN};
        e->stage = SPF_STAGE_INVALID;
        e->err = EINVAL;
        e->message = strdup("stdin and input arguments may not both be used");
    }
    return -EINVAL;
}

int spf_run(const struct spf_popen_opts *o, const void *input, size_t len,
            int64_t timeout_ns, bool check, struct spf_run_result *ret,
            struct spf_spawn_error *ret_err)
{
    struct spf_popen_opts opts;
    struct spf_run_result res = {0};
    struct spf_proc *p;
    int r, code = 0;
    bool collected;

    if ((r = input_opts(o, input, &opts, ret_err)) < 0)
        return r;
    if ((r = spf_popen(&opts, &p, ret_err)) < 0)
        return r;
    r = spf_proc_communicate(p, input, input ? len : 0, timeout_ns);
    if (r < 0) {
        /* Kill and collect; nothing more is read from the pipes, so a
         * grandchild holding them open cannot delay us (bpo-37424).  After
         * an interrupt CPython does not wait either: the killed child is
         * released and reaped later (reference 2.6, 3.4). */
        spf_proc_kill(p);
        /* Not spf_proc_wait(): with the caller's interrupt flag still set
         * it would return at once, leaving the killed child unreaped. */
        if (r != -EINTR)
            while (spf__proc_collect(p, true) == 0)
                ;
    }
    /* After an interrupt, nothing is collected beyond what the grace wait
     * and the kill's own poll did: CPython's returncode is set by those
     * alone. */
    collected = (r != -EINTR || __atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) &&
                spf_proc_poll(p, &code) == 1;
    res.pid = p->pid;
    res.returncode = code;
    res.timed_out = r == -ETIMEDOUT;
    res.out = take_output(p, 1, &res.out_len);
    res.err = take_output(p, 2, &res.err_len);
    spf_proc_free(p);
    if (r < 0 && r != -ETIMEDOUT) {
        /* The child started: not a spawn failure, so say so. */
        spf_run_result_clear(&res);
        if (ret_err) {
            *ret_err = (struct spf_spawn_error){.child_status = INT_MIN};
            ret_err->stage = SPF_STAGE_NONE;
            ret_err->err = -r;
            /* What CPython's returncode holds after run() raised: the
             * status when the killed child was collected, none (INT_MIN)
             * after an interrupt, which releases it unreaped. */
            ret_err->child_status = collected ? code : INT_MIN;
        }
        return r;
    }
    if (r == 0 && check && code != 0) {
        check_error(o, code, ret_err);
        r = -SPF_ECHECK;
    }
    *ret = res;
    return r;
}

void spf_run_result_clear(struct spf_run_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}
