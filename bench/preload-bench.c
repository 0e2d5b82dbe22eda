/*
 * preload-bench: what the fault preload costs a program that loads it
 * (issue: "the preload's overhead, measured and printed").
 *
 *     preload-bench PRELOAD [--quick]
 *
 * PRELOAD is the absolute path of libspawnfault-preload.so.  Each variant
 * runs in a worker process of its own: this program again (--worker),
 * started with or without LD_PRELOAD and a plan, so every variant runs the
 * very same code.  The workers are asked for one block of work at a time,
 * in an order that rotates every round, and answer with nanoseconds.  A
 * figure is a median; a ratio is the ratio of two medians, followed by the
 * median and interquartile range of the ratios of single rounds.
 *
 * Like spawn-bench it reports rather than tests: a ratio above its bound
 * prints "MISSED" and the exit status stays 0.  It exits 1 when something
 * could not run at all: the preload missing or not wrapping write, a
 * worker dying, a spawn failing.  libfiu's preload, when installed, is
 * measured beside ours for comparison; otherwise its lines say skipped.
 * --quick (or SPF_BENCH_QUICK=1) runs fewer rounds; SPF_BENCH_FIU_DIR
 * names the folder of libfiu's preloads (default /usr/lib/fiu).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <spawnfault/faults.h>
#include <spawnfault/spawn.h>

#include "contend.h"
#include "proc.h"
#include "workload.h"

#define SPAWN_TARGET "/bin/true"
#define FIU_WRITE_POINT "posix/io/rw/write"

extern char **environ;

enum lib { LIB_NONE, LIB_SPF, LIB_FIU };

enum variant {
    V_NONE,       /* nothing loaded */
    V_LOADED,     /* the preload, no plan, never armed */
    V_OTHER,      /* armed, a plan that names execve only */
    V_WRITE,      /* armed, a write rule that never fires */
    V_WRITE_P0,   /* armed, a write rule decided on every call, at p=0 */
    V_EXEC,       /* armed, an execve rule that never fires */
    V_FIU_LOADED, /* libfiu's preloads, no point enabled */
    V_FIU_WRITE,  /* libfiu, the write point enabled at probability 0 */
    V_PROBE,      /* write#1=EIO: checks that write is really wrapped */
    V__COUNT
};

static const struct variant_def {
    const char *name;
    enum lib lib;
    const char *plan; /* SPF_FAULTS; NULL: unset */
    bool arm;         /* spf_fault_arm, or libfiu's write point enabled */
} variants[V__COUNT] = {
    [V_NONE] = {"no preload", LIB_NONE, NULL, false},
    [V_LOADED] = {"preload, no plan", LIB_SPF, NULL, false},
    [V_OTHER] = {"armed, execve#1=ENOENT", LIB_SPF, "execve#1=ENOENT", true},
    [V_WRITE] = {"armed, write#4294967294=EIO", LIB_SPF, "write#4294967294=EIO",
                 true},
    [V_WRITE_P0] = {"armed, write#*%0=EIO", LIB_SPF, "write#*%0=EIO", true},
    [V_EXEC] = {"armed, execve#4294967294=ENOENT", LIB_SPF,
                "execve#4294967294=ENOENT", true},
    [V_FIU_LOADED] = {"libfiu, nothing enabled", LIB_FIU, NULL, false},
    [V_FIU_WRITE] = {"libfiu, " FIU_WRITE_POINT " at p=0", LIB_FIU, NULL, true},
    [V_PROBE] = {"probe, write#1=EIO", LIB_SPF, "write#1=EIO", false},
};

static const char *const lib_names[] = {"none", "spf", "fiu"};

/* What a worker is asked: op, and how many answers it gives. */
enum op {
    OP_QUIT,
    OP_PROBE,
    OP_DEVNULL1,
    OP_DEVNULL2,
    OP_PIPE,
    OP_GETPID,
    OP_POSIX,
    OP_SPF,
};

struct command {
    int32_t op;
    int32_t count;
};

/* ---- the worker ------------------------------------------------------ */

/* The switches of the interposer the worker runs under. */
static struct {
    enum lib lib;
    spf_fault_switch_fn *arm, *disarm;
    int (*fiu_enable)(const char *, int, void *, unsigned);
    int (*fiu_enable_random)(const char *, int, void *, unsigned, float);
    int (*fiu_disable)(const char *);
} sw;

static _Noreturn void worker_exit_fatal(const char *what)
{
    fprintf(stderr, "preload-bench: error: worker (%s): %s\n",
            lib_names[sw.lib], what);
    exit(1);
}

/* Whether the library at path is loaded in this process. */
static bool lib_loaded(const char *path)
{
    void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);

    if (h)
        dlclose(h);
    return h != NULL;
}

/* Checks that exactly the expected interposer is loaded (path: ours, or
 * libfiu's posix preload; for LIB_NONE, ours must be absent) and finds
 * its switches. */
static void worker_find(enum lib lib, const char *path)
{
    sw.lib = lib;
    if (lib_loaded(path) != (lib != LIB_NONE))
        worker_exit_fatal(lib == LIB_NONE ? "the preload is loaded"
                                          : "the preload is not loaded");
    if (lib == LIB_SPF) {
        sw.arm =
            (spf_fault_switch_fn *)dlsym(RTLD_DEFAULT, SPF_FAULT_ARM_SYMBOL);
        sw.disarm =
            (spf_fault_switch_fn *)dlsym(RTLD_DEFAULT, SPF_FAULT_DISARM_SYMBOL);
        if (!sw.arm || !sw.disarm)
            worker_exit_fatal("no " SPF_FAULT_ARM_SYMBOL " in the preload");
    }
    if (lib == LIB_FIU) {
        *(void **)&sw.fiu_enable = dlsym(RTLD_DEFAULT, "fiu_enable");
        *(void **)&sw.fiu_enable_random =
            dlsym(RTLD_DEFAULT, "fiu_enable_random");
        *(void **)&sw.fiu_disable = dlsym(RTLD_DEFAULT, "fiu_disable");
        if (!sw.fiu_enable || !sw.fiu_enable_random || !sw.fiu_disable)
            worker_exit_fatal("libfiu's control functions are missing");
    }
}

/* Arms our preload, or enables libfiu's write point with probability 0:
 * every write then consults an enabled point that never fires. */
static void worker_arm(void)
{
    if (sw.lib == LIB_SPF)
        sw.arm();
    if (sw.lib == LIB_FIU &&
        sw.fiu_enable_random(FIU_WRITE_POINT, 1, NULL, 0, 0.0f) < 0)
        worker_exit_fatal("fiu_enable_random failed");
}

/*
 * One write to /dev/null with faults switched on, then off again: our
 * preload armed (its plan must make the first write fail), or libfiu's
 * write point set to fail every time.  Returns the errno of the write, 0 if
 * it succeeded: an interposer that does not wrap write gives 0.
 */
static int64_t worker_probe(int null)
{
    int err = 0;

    if (sw.lib == LIB_SPF)
        sw.arm();
    if (sw.lib == LIB_FIU && sw.fiu_enable(FIU_WRITE_POINT, 1, NULL, 0) < 0)
        return -EINVAL;
    if (write(null, "x", 1) < 0)
        err = errno;
    if (sw.lib == LIB_SPF)
        sw.disarm();
    if (sw.lib == LIB_FIU)
        sw.fiu_disable(FIU_WRITE_POINT);
    return err;
}

static int64_t worker_once(enum op op, int null)
{
    switch (op) {
    case OP_PROBE:
        return worker_probe(null);
    case OP_DEVNULL1:
    case OP_DEVNULL2:
        return workload_devnull(op == OP_DEVNULL1 ? 1 : 2);
    case OP_PIPE:
        return workload_pipe();
    case OP_GETPID:
        return workload_getpid();
    case OP_POSIX:
        return contend_timed(C_POSIX, SPAWN_TARGET, 0);
    case OP_SPF:
        return contend_timed(C_SPF, SPAWN_TARGET, 0);
    default:
        return -EINVAL;
    }
}

/* preload-bench --worker LIB ARM PATH: answers commands on stdin. */
static int worker_main(char **argv)
{
    struct command c;
    int64_t v[64];
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    enum lib lib = LIB_NONE;

    bench_die_with_parent();
    for (int i = 0; i < 3; i++)
        if (strcmp(argv[2], lib_names[i]) == 0)
            lib = (enum lib)i;
    worker_find(lib, argv[4]);
    if (null < 0 || workload_init() < 0)
        worker_exit_fatal(strerror(errno));
    workload_pin(0);
    /* Ready before arming: a probe plan's first write is the probe's. */
    if (bench_io_full(1, "R", 1, true) < 0)
        return 1;
    if (strcmp(argv[3], "1") == 0)
        worker_arm();
    while (bench_io_full(0, &c, sizeof(c), false) == 0 && c.op != OP_QUIT) {
        if (c.count < 1 || c.count > 64)
            return 1;
        for (int i = 0; i < c.count; i++)
            v[i] = worker_once((enum op)c.op, null);
        if (bench_io_full(1, v, (size_t)c.count * sizeof(*v), true) < 0)
            return 1;
    }
    return 0;
}

/* ---- the driver: configuration and samples --------------------------- */

static struct config {
    char self[4096];
    const char *preload;
    char fiu_dir[4096];
    char fiu_run[4200], fiu_posix[4200], fiu_list[8500];
    bool fiu; /* libfiu's two preloads are there */
    bool quick;
    bool failed;
} cfg;

/* Samples in the order they came: round r of a series is .v[r]. */
struct samples {
    double *v;
    size_t n, cap;
};

static void add(struct samples *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v) {
            perror("preload-bench");
            exit(1);
        }
    }
    s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The q-quantile (0 to 1, linear between ranks) of s, which stays in
 * round order; -1 without samples. */
static double quantile(const struct samples *s, double q)
{
    double *c, pos, r;
    size_t i;

    if (s->n == 0)
        return -1;
    c = malloc(s->n * sizeof(*c));
    if (!c) {
        perror("preload-bench");
        exit(1);
    }
    memcpy(c, s->v, s->n * sizeof(*c));
    qsort(c, s->n, sizeof(*c), cmp_double);
    pos = q * (double)(s->n - 1);
    i = (size_t)pos;
    r = i + 1 < s->n ? c[i] + (pos - (double)i) * (c[i + 1] - c[i]) : c[i];
    free(c);
    return r;
}

/* A contender's figures: every sample, and one figure per round (the
 * sample itself, or the median of the round's block). */
struct series {
    struct samples all, rounds;
};

static void series_free(struct series *s)
{
    free(s->all.v);
    free(s->rounds.v);
}

/* ---- the driver: printing -------------------------------------------- */

/* One median, in the unit the samples were scaled to, with its IQR. */
static void figure(const char *what, const struct series *s, const char *unit)
{
    if (s->all.n == 0) {
        printf("  %-48s   (no samples)\n", what);
        return;
    }
    printf("  %-48s %10.2f %s  (median of %zu, IQR %.2f-%.2f)\n", what,
           quantile(&s->all, 0.5), unit, s->all.n, quantile(&s->all, 0.25),
           quantile(&s->all, 0.75));
}

static void skip(const char *what, const char *why)
{
    printf("  %-48s   skipped: %s\n", what, why);
}

/*
 * a / b, the ratio of the medians, against bound (<= 0: for information
 * only); then the median and the interquartile range of the ratios of
 * single rounds.  Those compare samples taken moments apart, so they stay
 * put when the load of the machine drifts during the run, and their
 * spread shows how much it moved.
 */
static void ratio(const char *what, const struct series *a,
                  const struct series *b, double bound)
{
    struct samples per = {0};
    double ma = quantile(&a->all, 0.5), mb = quantile(&b->all, 0.5), r;
    size_t n = a->rounds.n < b->rounds.n ? a->rounds.n : b->rounds.n;

    if (ma < 0 || mb <= 0) {
        printf("  %-48s %10s    not measured\n", what, "-");
        return;
    }
    for (size_t i = 0; i < n; i++)
        add(&per, a->rounds.v[i] / b->rounds.v[i]);
    r = ma / mb;
    if (bound > 0)
        printf("  %-48s %10.3f    (<= %.2f)  %-6s", what, r, bound,
               r <= bound ? "met" : "MISSED");
    else
        printf("  %-48s %10.3f    (for information)", what, r);
    printf("  per round %.3f (IQR %.3f-%.3f)\n", quantile(&per, 0.5),
           quantile(&per, 0.25), quantile(&per, 0.75));
    free(per.v);
}

/* ---- the driver: workers --------------------------------------------- */

struct worker {
    struct spf_proc *proc;
    int in, out;
};

static struct worker workers[V__COUNT];

/* Whether a NAME=VALUE entry configures an interposer. */
static bool interposer_var(const char *entry)
{
    return strncmp(entry, "LD_PRELOAD=", 11) == 0 ||
           strncmp(entry, "SPF_FAULT", 9) == 0 ||
           strncmp(entry, "FIU_", 4) == 0;
}

static void env_set(struct spf_env_var *e, const char *name, const char *val)
{
    e->name = spf_str_c(name);
    e->value = spf_str_c(val);
}

/* Our environment without any interposer's variables, then the
 * variant's own.  The array (not the strings) is the caller's to free. */
static struct spf_env_var *worker_env(enum variant v, size_t *ret_n)
{
    const struct variant_def *d = &variants[v];
    size_t n = 0, cap = 3;
    struct spf_env_var *env;

    for (char **e = environ; *e; e++)
        cap++;
    if (!(env = calloc(cap, sizeof(*env))))
        return NULL;
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');

        if (!eq || interposer_var(*e))
            continue;
        env[n].name = (struct spf_str){*e, (size_t)(eq - *e)};
        env[n++].value = spf_str_c(eq + 1);
    }
    if (d->lib != LIB_NONE)
        env_set(&env[n++], "LD_PRELOAD",
                d->lib == LIB_SPF ? cfg.preload : cfg.fiu_list);
    if (d->plan)
        env_set(&env[n++], SPF_ENV_FAULTS, d->plan);
    *ret_n = n;
    return env;
}

/* Starts the worker of variant v and waits for its ready byte. */
static int worker_start(enum variant v)
{
    const struct variant_def *d = &variants[v];
    struct worker *w = &workers[v];
    struct spf_str argv[5];
    struct spf_popen_opts o;
    char ready;
    int r;

    argv[0] = spf_str_c(cfg.self);
    argv[1] = spf_str_c("--worker");
    argv[2] = spf_str_c(lib_names[d->lib]);
    argv[3] = spf_str_c(d->arm ? "1" : "0");
    argv[4] = spf_str_c(d->lib == LIB_FIU ? cfg.fiu_posix : cfg.preload);
    spf_popen_opts_init(&o);
    o.argv = argv;
    o.argc = 5;
    o.env_replace = true;
    o.std[0].kind = SPF_STDIO_PIPE;
    o.std[1].kind = SPF_STDIO_PIPE;
    if (!(o.env = worker_env(v, &o.envc)))
        return -ENOMEM;
    r = spf_popen(&o, &w->proc, NULL);
    free((void *)o.env);
    if (r < 0)
        return r;
    w->in = spf_proc_pipe_fd(w->proc, 0);
    w->out = spf_proc_pipe_fd(w->proc, 1);
    return bench_io_full(w->out, &ready, 1, false);
}

static void worker_stop(struct worker *w)
{
    struct command quit = {OP_QUIT, 1};

    if (!w->proc)
        return;
    bench_io_full(w->in, &quit, sizeof(quit), true);
    spf_proc_close_pipe(w->proc, 0);
    spf_proc_wait(w->proc, SPF_FOREVER, NULL);
    spf_proc_free(w->proc);
    w->proc = NULL;
}

static const char *const op_names[] = {"quit",
                                       "probe",
                                       "write loop",
                                       "two-thread write loop",
                                       "pipe write loop",
                                       "getpid loop",
                                       "posix_spawn",
                                       "spf_popen"};

/*
 * Asks worker v for count answers of op.  Returns how many it gave, each
 * stored in ret[] (nanoseconds, or the probe's errno).  A failure is the
 * benchmark's: it is printed and makes the exit status 1.
 */
static int ask(enum variant v, enum op op, int count, int64_t *ret)
{
    struct worker *w = &workers[v];
    struct command c = {op, count};

    if (!w->proc) /* gone, and said so already */
        return 0;
    if (bench_io_full(w->in, &c, sizeof(c), true) < 0 ||
        bench_io_full(w->out, ret, (size_t)count * sizeof(*ret), false) < 0) {
        printf("preload-bench: error: worker \"%s\" is gone\n",
               variants[v].name);
        cfg.failed = true;
        worker_stop(w);
        return 0;
    }
    for (int i = 0; i < count; i++) {
        if (op == OP_PROBE || ret[i] >= 0)
            continue;
        printf("preload-bench: error: %s, %s: %s\n", variants[v].name,
               op_names[op], strerror((int)-ret[i]));
        cfg.failed = true;
        return 0;
    }
    return count;
}

/* ---- the driver: rounds ---------------------------------------------- */

/* One timed task: a worker and what it is asked to do. */
struct task {
    enum variant v;
    enum op op;
};

/* A block of per answers from c, divided by unit_ns: each answer into
 * s->all, the block's median into s->rounds. */
static void block(struct task c, int per, double unit_ns, struct series *s)
{
    int64_t ns[64];
    struct samples b = {0};
    int n = ask(c.v, c.op, per, ns);

    for (int i = 0; i < n; i++) {
        add(&s->all, (double)ns[i] / unit_ns);
        add(&b, (double)ns[i] / unit_ns);
    }
    if (n > 0)
        add(&s->rounds, quantile(&b, 0.5));
    free(b.v);
}

/*
 * nrounds rounds, each one block per contender, in an order that rotates
 * every round so that each follows each other equally often; first one
 * round unrecorded, which warms caches and the loader's lazy bindings.
 */
static void run_rounds(const struct task *c, int nc, int nrounds, int per,
                       double unit_ns, struct series *s)
{
    int64_t scratch[64];

    for (int k = 0; k < nc; k++)
        ask(c[k].v, c[k].op, 1, scratch);
    for (int r = 0; r < nrounds; r++)
        for (int k = 0; k < nc; k++) {
            int i = (r + k) % nc;

            block(c[i], per, unit_ns, &s[i]);
        }
}

/* ---- the driver: sections -------------------------------------------- */

/* The write loop under the variants in vs (libfiu's left out when it is
 * missing), then each ratio to no preload: bounds[k] <= 0 is for
 * information.  vs[0] must be V_NONE. */
static void write_section(enum op op, const enum variant *vs,
                          const double *bounds, int nv, int nrounds)
{
    struct task c[8];
    struct series s[8];
    char what[96];
    int n = 0;

    for (int k = 0; k < nv; k++)
        if (variants[vs[k]].lib != LIB_FIU || cfg.fiu)
            c[n++] = (struct task){vs[k], op};
    memset(s, 0, sizeof(s));
    run_rounds(c, n, nrounds, 1, WORKLOAD_CALLS, s);
    for (int k = 0; k < n; k++)
        figure(variants[c[k].v].name, &s[k], "ns");
    if (!cfg.fiu)
        skip("libfiu", "its preloads are not installed (fiu-utils)");
    for (int k = 1, j = 1; k < nv; k++) {
        if (variants[vs[k]].lib == LIB_FIU && !cfg.fiu)
            continue;
        snprintf(what, sizeof(what), "%s / none", variants[vs[k]].name);
        ratio(what, &s[j++], &s[0], bounds[k]);
    }
    for (int k = 0; k < n; k++)
        series_free(&s[k]);
}

static void section_devnull(int nrounds)
{
    static const enum variant vs[] = {V_NONE,     V_LOADED,   V_OTHER,
                                      V_WRITE,    V_WRITE_P0, V_FIU_LOADED,
                                      V_FIU_WRITE};
    static const double bounds[] = {0, 1.05, 1.05, 1.05, 1.05, 0, 0};

    static const struct task getpid_task = {V_NONE, OP_GETPID};
    struct series ref = {{0}, {0}};

    printf("\n1. 100,000 write(fd, buf, 1) to /dev/null, one thread "
           "(ns per call)\n");
    write_section(OP_DEVNULL1, vs, bounds, 7, nrounds);
    /* What one more system call costs here: the wrapper of a call that a
     * rule names makes one (getpid) to tell a child from its parent. */
    run_rounds(&getpid_task, 1, nrounds / 4 + 1, 1, WORKLOAD_CALLS, &ref);
    figure("reference: syscall(SYS_getpid), no preload", &ref, "ns");
    series_free(&ref);
}

static void section_threads(int nrounds)
{
    static const enum variant vs[] = {V_NONE, V_WRITE, V_FIU_WRITE};
    static const double bounds[] = {0, 1.05, 0};

    printf("\n2. the same in two threads at once, one per CPU, each with "
           "its own fd\n   (ns per call of the slower thread)\n");
    write_section(OP_DEVNULL2, vs, bounds, 3, nrounds);
}

static void section_pipe(int nrounds)
{
    static const enum variant vs[] = {V_NONE, V_WRITE, V_FIU_WRITE};
    static const double bounds[] = {0, 0, 0};

    printf("\n3. 100,000 write(fd, buf, 1) to a 1 MiB pipe that another "
           "thread drains\n   (ns per call)\n");
    write_section(OP_PIPE, vs, bounds, 3, nrounds);
}

static void section_spawn(int nrounds, int per)
{
    static const struct task c[] = {{V_NONE, OP_POSIX},
                                    {V_EXEC, OP_POSIX},
                                    {V_NONE, OP_SPF},
                                    {V_EXEC, OP_SPF}};
    struct series s[4];

    printf("\n4. spawn + wait of " SPAWN_TARGET " (us), preload armed "
           "with execve#4294967294=ENOENT\n");
    memset(s, 0, sizeof(s));
    run_rounds(c, 4, nrounds, per, 1e3, s);
    figure("posix_spawn+waitpid, no preload", &s[0], "us");
    figure("posix_spawn+waitpid, preload armed", &s[1], "us");
    figure("spf_popen+wait, no preload", &s[2], "us");
    figure("spf_popen+wait, preload armed", &s[3], "us");
    ratio("posix_spawn, preload / none", &s[1], &s[0], 1.10);
    ratio("spf_popen, preload / none", &s[3], &s[2], 1.10);
    for (int k = 0; k < 4; k++)
        series_free(&s[k]);
}

/* ---- the driver: set-up and main ------------------------------------- */

/* Runs argv (PATH searched) and returns its stdout (malloc'd), or NULL. */
static char *capture(const char *const *argv, size_t argc)
{
    struct spf_str a[8];
    struct spf_popen_opts o;
    struct spf_run_result res;

    for (size_t i = 0; i < argc && i < 8; i++)
        a[i] = spf_str_c(argv[i]);
    spf_popen_opts_init(&o);
    o.argv = a;
    o.argc = argc < 8 ? argc : 8;
    o.std[1].kind = SPF_STDIO_PIPE;
    o.std[2].kind = SPF_STDIO_DEVNULL;
    if (spf_run(&o, NULL, 0, SPF_FOREVER, true, &res, NULL) < 0)
        return NULL;
    free(res.err);
    return res.out;
}

/* libfiu's preloads, loaded the way fiu-run loads them (its run preload,
 * which initialises libfiu, then the POSIX one), with no control fifo. */
static void find_fiu(void)
{
    const char *dir = getenv("SPF_BENCH_FIU_DIR");

    snprintf(cfg.fiu_dir, sizeof(cfg.fiu_dir), "%s",
             dir && *dir ? dir : "/usr/lib/fiu");
    snprintf(cfg.fiu_run, sizeof(cfg.fiu_run), "%s/fiu_run_preload.so",
             cfg.fiu_dir);
    snprintf(cfg.fiu_posix, sizeof(cfg.fiu_posix), "%s/fiu_posix_preload.so",
             cfg.fiu_dir);
    snprintf(cfg.fiu_list, sizeof(cfg.fiu_list), "%s %s", cfg.fiu_run,
             cfg.fiu_posix);
    cfg.fiu =
        access(cfg.fiu_run, R_OK) == 0 && access(cfg.fiu_posix, R_OK) == 0;
}

static void print_header(void)
{
    static const char *const dpkg[] = {"dpkg-query", "-W", "-f=${Version}",
                                       "libfiu0"};
    char *version = cfg.fiu ? capture(dpkg, 4) : NULL;

    printf("preload-bench: preload %s%s\n", cfg.preload,
           cfg.quick ? " (quick run)" : "");
    if (cfg.fiu)
        printf("libfiu: %s (libfiu0 %s), point %s\n", cfg.fiu_list,
               version && *version ? version : "version unknown",
               FIU_WRITE_POINT);
    else
        printf("libfiu: not found in %s\n", cfg.fiu_dir);
    printf("workers pinned to the last allowed CPU; two-thread runs use "
           "the first and the last\n");
    free(version);
}

static bool variant_used(enum variant v)
{
    return variants[v].lib != LIB_FIU || cfg.fiu;
}

/* Starts every worker.  Ours must start; libfiu's are skipped if not. */
static int start_all(void)
{
    for (int v = 0; v < V__COUNT; v++) {
        int r = variant_used(v) ? worker_start(v) : 0;

        if (r >= 0)
            continue;
        if (variants[v].lib != LIB_FIU) {
            printf("preload-bench: error: cannot start worker \"%s\": %s\n",
                   variants[v].name, strerror(-r));
            return -1;
        }
        printf("preload-bench: warning: libfiu's worker did not start (%s): "
               "libfiu skipped\n",
               strerror(-r));
        cfg.fiu = false;
    }
    return 0;
}

/* A preload that loaded but does not wrap write would make every ratio
 * look perfect: so each interposer must fail a write when told to. */
static int probe_all(void)
{
    int64_t err = 0;

    if (ask(V_PROBE, OP_PROBE, 1, &err) < 1 || err != EIO) {
        printf("preload-bench: error: the preload does not fail write "
               "with write#1=EIO (errno %" PRId64 ")\n",
               err);
        return -1;
    }
    worker_stop(&workers[V_PROBE]);
    if (cfg.fiu && (ask(V_FIU_LOADED, OP_PROBE, 1, &err) < 1 || err <= 0)) {
        printf("preload-bench: warning: libfiu did not fail write with %s "
               "enabled: libfiu skipped\n",
               FIU_WRITE_POINT);
        cfg.fiu = false;
    }
    return 0;
}

static void configure(int argc, char **argv)
{
    const char *q = getenv("SPF_BENCH_QUICK");
    ssize_t n = readlink("/proc/self/exe", cfg.self, sizeof(cfg.self) - 1);

    cfg.self[n > 0 ? n : 0] = '\0';
    cfg.preload = argv[1];
    cfg.quick = (q && *q && strcmp(q, "0") != 0) ||
                (argc > 2 && strcmp(argv[2], "--quick") == 0);
    find_fiu();
}

static void run_sections(void)
{
    section_devnull(cfg.quick ? 11 : 81);
    section_threads(cfg.quick ? 11 : 41);
    section_pipe(cfg.quick ? 5 : 21);
    section_spawn(cfg.quick ? 7 : 31, cfg.quick ? 10 : 20);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--worker") == 0)
        return worker_main(argv);
    if (argc < 2 || argv[1][0] != '/') {
        fprintf(stderr, "usage: preload-bench /ABSOLUTE/PRELOAD.so "
                        "[--quick]\n");
        return 2;
    }
    configure(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A worker that died must be reported, not kill us through its pipe;
     * spf_popen gives the workers SIGPIPE back (restore_signals). */
    signal(SIGPIPE, SIG_IGN);
    if (access(cfg.preload, R_OK) < 0) {
        printf("preload-bench: error: %s: %s\n", cfg.preload, strerror(errno));
        return 1;
    }
    print_header();
    if (start_all() < 0 || probe_all() < 0)
        cfg.failed = true;
    else
        run_sections();
    for (int v = 0; v < V__COUNT; v++)
        worker_stop(&workers[v]);
    if (cfg.failed)
        printf("\npreload-bench: error: some variant failed to run\n");
    return cfg.failed ? 1 : 0;
}
