/*
 * spawnfault-agent: runs one case through the core and reports its
 * outcome.  Started by a supervisor as
 *
 *     spawnfault-agent CASE_FD OUTCOME_FD
 *
 * It reads the case (JSON) from CASE_FD, runs the case's API path under the
 * faults the preload was given (armed only around the API path, so the
 * agent's own work is never faulted), takes its census (fds before and
 * after, children left unreaped), and writes the outcome (JSON) to
 * OUTCOME_FD.  It prints nothing.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "census.h"
#include "fdio.h"
#include "supervisor.h"
#include "text.h"
#include "wire.h"
#include "spf-config.h"

#if SPF_WITH_FIU
#define FIU_ENABLE 1
#include <fiu-control.h>
#include <fiu.h>
#endif

/* The case's options as the core's types.  The strings point into the
 * case, which outlives them. */
struct opts {
    struct spf_popen_opts o;
    struct spf_str *argv;
    struct spf_env_var *env;
};

static struct spf_str str_of(const struct spf_bytes *b)
{
    return (struct spf_str){b->data, b->len};
}

static int opts_from_case(const struct spf_case *c, struct opts *ret)
{
    struct spf_popen_opts *o = &ret->o;

    spf_popen_opts_init(o);
    ret->argv = calloc(c->argc + 1, sizeof(*ret->argv));
    ret->env = calloc(c->envc + 1, sizeof(*ret->env));
    if (!ret->argv || !ret->env)
        return -ENOMEM;
    for (size_t i = 0; i < c->argc; i++)
        ret->argv[i] = str_of(&c->argv[i]);
    for (size_t i = 0; i < c->envc; i++)
        ret->env[i] = (struct spf_env_var){str_of(&c->env_names[i]),
                                           str_of(&c->env_values[i])};
    o->argv = ret->argv;
    o->argc = c->argc;
    o->executable = str_of(&c->executable);
    o->env_replace = c->env_replace;
    o->env = ret->env;
    o->envc = c->envc;
    o->cwd = str_of(&c->cwd);
    memcpy(o->std, c->std, sizeof(o->std));
    o->close_fds = c->close_fds;
    o->pass_fds = c->pass_fds;
    o->n_pass_fds = c->n_pass_fds;
    o->start_new_session = c->start_new_session;
    o->process_group = c->process_group;
    o->umask = c->umask;
    o->restore_signals = c->restore_signals;
    o->allow_vfork = c->allow_vfork;
    o->user = c->user;
    o->group = c->group;
    o->set_extra_groups = c->set_extra_groups;
    o->extra_groups = c->extra_groups;
    o->n_extra_groups = c->n_extra_groups;
    return 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int copy_bytes(struct spf_bytes *b, const char *s, size_t len)
{
    if (!s)
        return 0;
    b->data = malloc(len + 1);
    if (!b->data)
        return -ENOMEM;
    memcpy(b->data, s, len);
    b->data[len] = '\0';
    b->len = len;
    return 0;
}

static void spawn_failed(struct spf_outcome *out,
                         const struct spf_spawn_error *e)
{
    out->result = SPF_RESULT_SPAWN_ERROR;
    out->stage = e->stage;
    out->err = e->err;
    if (copy_bytes(&out->filename, e->filename,
                   e->filename ? strlen(e->filename) : 0) < 0 ||
        copy_bytes(&out->err_name, e->name, e->name ? strlen(e->name) : 0) ||
        copy_bytes(&out->raw, e->raw, e->raw_len) < 0 ||
        copy_bytes(&out->message, e->message,
                   e->message ? strlen(e->message) : 0) < 0)
        out->harness_error = strdup("out of memory");
}

static void capture_output(struct spf_capture *c, struct spf_output o)
{
    if (o.captured)
        spf__capture_set(c, o.data, o.len);
}

static void capture_partial(struct spf_capture *c, struct spf_output o)
{
    if (o.read_any)
        spf__capture_set(c, o.data, o.len);
}

/* The API call failed after the spawn: CPython's OSError out of it. */
static void api_failed(struct spf_outcome *out, const char *call, int err)
{
    char *m = spf__strf("%s: %s", call, spf_strerror(err));

    out->result = SPF_RESULT_ERROR;
    out->err = err;
    if (!m || copy_bytes(&out->message, m, strlen(m)) < 0)
        out->harness_error = strdup("out of memory");
    free(m);
}

static void path_run(const struct spf_case *c, const struct opts *op,
                     struct spf_outcome *out)
{
    struct spf_run_result res;
    struct spf_spawn_error e = {.child_status = INT_MIN};
    int r = spf_run(&op->o, c->input.data, c->input.len, c->timeout_ns,
                    c->check, &res, &e);

    if (r < 0 && r != -ETIMEDOUT && r != -SPF_ECHECK) {
        if (e.stage == SPF_STAGE_NONE) {
            api_failed(out, "communicate", -r);
            out->has_returncode = e.child_status != INT_MIN;
            out->returncode = e.child_status;
        } else
            spawn_failed(out, &e);
        spf_spawn_error_clear(&e);
        return;
    }
    out->has_returncode = true;
    out->returncode = res.returncode;
    if (res.timed_out) {
        out->result = SPF_RESULT_TIMEOUT;
        if (res.out)
            spf__capture_set(&out->partial_out, res.out, res.out_len);
        if (res.err)
            spf__capture_set(&out->partial_err, res.err, res.err_len);
    } else {
        /* CalledProcessError carries the output as run() returns it. */
        out->result = r == -SPF_ECHECK ? SPF_RESULT_CHECK : SPF_RESULT_EXITED;
        if (c->std[1].kind == SPF_STDIO_PIPE)
            spf__capture_set(&out->out, res.out ? res.out : "", res.out_len);
        if (c->std[2].kind == SPF_STDIO_PIPE)
            spf__capture_set(&out->err_out, res.err ? res.err : "",
                             res.err_len);
    }
    spf_run_result_clear(&res);
    spf_spawn_error_clear(&e); /* check failures carry a message */
}

/* Collect the child after the API path: killed first if it still runs. */
static void collect(struct spf_proc *p, bool kill_it, struct spf_outcome *out)
{
    if (kill_it)
        spf_proc_kill(p);
    if (spf_proc_wait(p, SPF_FOREVER, &out->returncode) == 0)
        out->has_returncode = true;
}

static void path_communicate(const struct spf_case *c, struct spf_proc *p,
                             struct spf_outcome *out)
{
    int r = spf_proc_communicate(p, c->input.data, c->input.len, c->timeout_ns);

    out->result = SPF_RESULT_EXITED;
    if (r == -ETIMEDOUT) {
        out->result = SPF_RESULT_TIMEOUT;
        capture_partial(&out->partial_out, spf_proc_output(p, 1));
        capture_partial(&out->partial_err, spf_proc_output(p, 2));
        r = c->resume ? spf_proc_communicate(p, NULL, 0, c->resume_timeout_ns)
                      : -ETIMEDOUT;
    }
    if (r < 0 && r != -ETIMEDOUT)
        api_failed(out, "communicate", -r);
    if (r == 0) {
        capture_output(&out->out, spf_proc_output(p, 1));
        capture_output(&out->err_out, spf_proc_output(p, 2));
    }
    collect(p, r != 0, out);
}

static void path_wait(const struct spf_case *c, struct spf_proc *p,
                      struct spf_outcome *out)
{
    int r = spf_proc_wait(p, c->timeout_ns, &out->returncode);

    out->result = r == -ETIMEDOUT ? SPF_RESULT_TIMEOUT : SPF_RESULT_EXITED;
    if (r < 0 && r != -ETIMEDOUT)
        api_failed(out, "wait", -r);
    /* As CPython's call(): a timeout kills the child, then collects it. */
    if (r == 0)
        out->has_returncode = true;
    else
        collect(p, true, out);
}

static void run_path(const struct spf_case *c, const struct opts *op,
                     struct spf_outcome *out)
{
    struct spf_spawn_error e;
    struct spf_proc *p;

    if (c->api == SPF_API_RUN)
        return path_run(c, op, out);
    if (spf_popen(&op->o, &p, &e) < 0) {
        spawn_failed(out, &e);
        spf_spawn_error_clear(&e);
        return;
    }
    if (c->api == SPF_API_COMMUNICATE)
        path_communicate(c, p, out);
    else
        path_wait(c, p, out);
    spf_proc_free(p);
}

static spf_fault_switch_fn *arm_fn, *disarm_fn;
/* The seccomp supervisor's arm word (supervisor.h): odd while armed. */
static uint32_t *seccomp_arm;

/*
 * Both backends are armed around the API path only.  The word changes
 * with no system call, so the seccomp supervisor sees the agent armed
 * from its next call on, as the preload does.
 */
static void arm(void)
{
    if (arm_fn)
        arm_fn();
    if (seccomp_arm)
        __atomic_add_fetch(seccomp_arm, 1, __ATOMIC_SEQ_CST);
}

static void disarm(void)
{
    if (seccomp_arm)
        __atomic_add_fetch(seccomp_arm, 1, __ATOMIC_SEQ_CST);
    if (disarm_fn)
        disarm_fn();
}

/* Maps the arm word SPF__ENV_SECCOMP_ARM names, and takes the variable
 * out of the environment the case inherits.  0 without it; -errno. */
static int map_seccomp_arm(void)
{
    const char *v = getenv(SPF__ENV_SECCOMP_ARM);
    long long fd, off;
    int n = 0;
    void *map;

    if (!v)
        return 0;
    if (sscanf(v, "%lld:%lld%n", &fd, &off, &n) != 2 || v[n] || fd < 0 ||
        fd > INT_MAX || off < 0)
        return -EINVAL;
    unsetenv(SPF__ENV_SECCOMP_ARM);
    map = mmap(NULL, sizeof(uint32_t), PROT_READ | PROT_WRITE, MAP_SHARED,
               (int)fd, (off_t)off);
    if (map == MAP_FAILED)
        return -errno;
    seccomp_arm = map;
    return 0;
}

static void run_once(const struct spf_case *c, const struct opts *op,
                     struct spf_outcome *out)
{
    int64_t t0;

    arm();
    t0 = now_ns();
    run_path(c, op, out);
    out->elapsed_ns = now_ns() - t0;
    disarm();
}

static bool same_capture(const struct spf_capture *a,
                         const struct spf_capture *b)
{
    return a->present == b->present && a->total_len == b->total_len &&
           strcmp(a->sha256, b->sha256) == 0;
}

/* The first part of everything the verdict looks at (all but timing and
 * the census, which covers the whole case) that differs, or NULL. */
static const char *differs(const struct spf_outcome *a,
                           const struct spf_outcome *b)
{
    if (a->result != b->result)
        return "result";
    if (a->stage != b->stage || a->err != b->err)
        return "errno";
    if (a->has_returncode != b->has_returncode ||
        (a->has_returncode && a->returncode != b->returncode))
        return "returncode";
    if (!spf_bytes_equal(&a->filename, &b->filename))
        return "filename";
    if (!spf_bytes_equal(&a->raw, &b->raw))
        return "raw";
    if (!spf_bytes_equal(&a->message, &b->message))
        return "message";
    if (!same_capture(&a->out, &b->out))
        return "stdout";
    if (!same_capture(&a->err_out, &b->err_out))
        return "stderr";
    if (!same_capture(&a->partial_out, &b->partial_out))
        return "partial_stdout";
    if (!same_capture(&a->partial_err, &b->partial_err))
        return "partial_stderr";
    return NULL;
}

/*
 * The agent's own stdout and stderr (what the inherited streams of the
 * case reach) are memfds that every iteration appends to.  Their size
 * marks where an iteration's output ends; -1 when they are not files.
 */
static off_t written(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : -1;
}

/* Whether the len bytes at b in fd are those at a. */
static bool same_span(int fd, off_t a, off_t b, off_t len)
{
    char x[4096], y[4096];

    while (len > 0) {
        size_t n = len < (off_t)sizeof(x) ? (size_t)len : sizeof(x);

        if (pread(fd, x, n, a) != (ssize_t)n ||
            pread(fd, y, n, b) != (ssize_t)n || memcmp(x, y, n) != 0)
            return false;
        a += (off_t)n, b += (off_t)n, len -= (off_t)n;
    }
    return true;
}

/* Which inherited stream this iteration wrote differently from the first
 * (whose output ends at first[]), or NULL; start[] is where it began. */
static const char *inherited_differs(const off_t first[2], const off_t start[2],
                                     off_t end[2])
{
    static const char *const names[2] = {"inherited_stdout",
                                         "inherited_stderr"};
    const char *what = NULL;

    for (int k = 0; k < 2; k++) {
        end[k] = written(1 + k);
        if (what || first[k] < 0 || end[k] < 0)
            continue;
        if (end[k] - start[k] != first[k] ||
            !same_span(1 + k, 0, start[k], first[k]))
            what = names[k];
    }
    return what;
}

static void run_all(const struct spf_case *c, const struct opts *op,
                    struct spf_outcome *out)
{
    off_t first[2], start[2];

    run_once(c, op, out);
    out->iterations = 1;
    first[0] = start[0] = written(1);
    first[1] = start[1] = written(2);
    for (unsigned i = 1; i < c->repeat && !out->harness_error; i++) {
        struct spf_outcome next = {0};
        off_t end[2];

        run_once(c, op, &next);
        out->iterations++;
        const char *what = differs(out, &next);
        const char *inh = inherited_differs(first, start, end);
        if (!what)
            what = inh;
        if (what || next.harness_error)
            out->harness_error = spf__strf(
                "iteration %u differed from the first (%s): %s %s errno "
                "%d%s%s",
                i + 1, what ? what : "harness error",
                spf_result_name(next.result), spf_stage_name(next.stage),
                next.err, next.harness_error ? ": " : "",
                next.harness_error ? next.harness_error : "");
        spf_outcome_clear(&next);
        memcpy(start, end, sizeof(start));
    }
    /* The expectations are about one iteration: keep the first's output,
     * the others having been compared with it. */
    for (int k = 0; k < 2 && c->repeat > 1; k++)
        if (first[k] >= 0 && ftruncate(1 + k, first[k]) < 0)
            out->harness_error = spf__strf("cannot cut the inherited "
                                           "output to one iteration: %s",
                                           strerror(errno));
}

/* Children of ours still present after the case: the core left them. */
static void census_children(struct spf_outcome *out)
{
    pid_t *pids;
    size_t n;

    if (spf__descendants(getpid(), &pids, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        char *d = spf__proc_describe(pids[i]);

        if (d)
            spf__strv_addf(&out->zombies, &out->n_zombies, "%s%s", d,
                           spf__proc_state(pids[i]) == 'Z'
                               ? " (not reaped)"
                               : " (still running, not waited for)");
        free(d);
    }
    free(pids);
}

static int enable_fiu(const struct spf_case *c, struct spf_str *store)
{
#if SPF_WITH_FIU
    if (c->n_fiu)
        fiu_init(0);
    for (size_t i = 0; i < c->n_fiu; i++) {
        store[i] = str_of(&c->fiu[i].data);
        if (fiu_enable(c->fiu[i].name, 1, &store[i], 0) < 0)
            return -EINVAL;
    }
    return 0;
#else
    return c->n_fiu ? -ENOTSUP : 0;
#endif
}

static void run_case(const struct spf_case *c, struct spf_outcome *out)
{
    struct spf__fdset before = {0}, after = {0};
    struct spf_str *fiu_store = calloc(c->n_fiu + 1, sizeof(*fiu_store));
    struct opts op = {0};

    if (!fiu_store || opts_from_case(c, &op) < 0) {
        out->harness_error = strdup("out of memory");
    } else if (enable_fiu(c, fiu_store) < 0) {
        out->result = SPF_RESULT_HARNESS;
        out->harness_error = strdup("cannot enable the libfiu points (is "
                                    "libfiu compiled in?)");
    } else if (spf__fds_open(&before) < 0) {
        out->harness_error = strdup("cannot list open fds");
    } else {
        run_all(c, &op, out);
        if (spf__fds_open(&after) == 0)
            spf__fds_leaked(&before, &after, &out->leaked_fds,
                            &out->n_leaked_fds);
        census_children(out);
    }
    spf__fdset_free(&before);
    spf__fdset_free(&after);
    free(op.argv);
    free(op.env);
    free(fiu_store);
}

int main(int argc, char **argv)
{
    struct spf_outcome out = {0};
    struct spf_case c;
    char err[256], *text, *json;
    size_t len;
    int in_fd, out_fd, r;

    if (argc != 3)
        return 2;
    in_fd = atoi(argv[1]);
    out_fd = atoi(argv[2]);
    /* Inherited to reach us, but no child of the case may see it. */
    fcntl(out_fd, F_SETFD, FD_CLOEXEC);
    if (spf__read_all(in_fd, &text, &len) < 0)
        text = NULL;
    close(in_fd);
    arm_fn = (spf_fault_switch_fn *)dlsym(RTLD_DEFAULT, SPF_FAULT_ARM_SYMBOL);
    disarm_fn =
        (spf_fault_switch_fn *)dlsym(RTLD_DEFAULT, SPF_FAULT_DISARM_SYMBOL);
    r = text ? spf__case_from_json(text, len, &c, err, sizeof(err)) : -EIO;
    free(text);
    if (r == 0 && (r = map_seccomp_arm()) < 0) {
        spf_case_clear(&c);
        out.result = SPF_RESULT_HARNESS;
        out.harness_error = spf__strf("agent: cannot map the seccomp arm "
                                      "word: %s",
                                      strerror(-r));
    } else if (r < 0) {
        out.result = SPF_RESULT_HARNESS;
        out.harness_error = spf__strf("agent: cannot read the case: %s",
                                      r == -EIO ? "read failed" : err);
    } else {
        run_case(&c, &out);
        spf_case_clear(&c);
    }
    if (out.harness_error && out.result != SPF_RESULT_SPAWN_ERROR &&
        out.result != SPF_RESULT_TIMEOUT && !out.has_returncode)
        out.result = SPF_RESULT_HARNESS;
    json = spf__outcome_to_json(&out);
    spf_outcome_clear(&out);
    r = json ? spf__write_all(out_fd, json, strlen(json)) : -1;
    free(json);
    return r < 0 ? 1 : 0;
}
