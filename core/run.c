/* spf_run(): CPython's run(), on top of spf_popen and communicate. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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

    if ((r = input_opts(o, input, &opts, ret_err)) < 0)
        return r;
    if ((r = spf_popen(&opts, &p, ret_err)) < 0)
        return r;
    r = spf_proc_communicate(p, input, input ? len : 0, timeout_ns);
    if (r < 0) {
        /* Kill and collect; nothing more is read from the pipes, so a
         * grandchild holding them open cannot delay us (bpo-37424). */
        spf_proc_kill(p);
        spf_proc_wait(p, SPF_FOREVER, NULL);
    }
    spf_proc_poll(p, &code);
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
            /* Killed and collected above: what CPython's returncode
             * holds after run() raised. */
            ret_err->child_status = code;
        }
        return r;
    }
    if (r == 0 && check && code != 0)
        r = -SPF_ECHECK;
    *ret = res;
    return r;
}

void spf_run_result_clear(struct spf_run_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}
