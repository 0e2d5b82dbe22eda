/*
 * spawn-bench: the figures of issue 3 ("Fast, as a spawning core should
 * be"), measured side by side in one run.
 *
 *     spawn-bench TARGET [--quick]
 *
 * TARGET is a static program that exits at once (bench/exit0.S).  Timed
 * contenders are interleaved (A, B, C, A, B, C...) and reported as
 * medians; system calls are counted with ptrace.  Every figure is printed
 * with its threshold and "met" or "MISSED"; the exit status is 0 either
 * way (a benchmark reports, it is no timed test), 1 only when a contender
 * could not run at all.  --quick (or SPF_BENCH_QUICK=1) uses fewer rounds
 * and smaller sizes; SPF_BENCH_COMM_MIB and SPF_BENCH_BIG_MIB override the
 * communicate size and the big parent's memory; SPF_BENCH_SECTIONS="13"
 * runs sections 1 and 3 only.
 *
 * Internal modes, run in processes of their own: --server (a parent of a
 * given size that spawns on request) and --comm (one communicate, whose
 * peak memory is then its own).
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spawnfault/spawn.h>

#include "contend.h"
#include "proc.h"
#include "syscount.h"

#define MIB (1024L * 1024)
#define NFDS 19000

extern char **environ;

struct samples {
    int64_t *v;
    size_t n, cap;
};

static struct config {
    const char *target;
    char self[4096];
    bool quick;
    long comm_mib, big_mib;
    char python[4096], node[4096];
    bool failed;
} cfg;

/* ---- statistics and reporting ---------------------------------------- */

static void add(struct samples *s, int64_t v)
{
    if (v < 0) {
        cfg.failed = true;
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v) {
            perror("spawn-bench");
            exit(1);
        }
    }
    s->v[s->n++] = v;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Median in microseconds; -1 without samples. */
static double median_us(struct samples *s)
{
    if (s->n == 0)
        return -1;
    qsort(s->v, s->n, sizeof(*s->v), cmp64);
    if (s->n % 2)
        return s->v[s->n / 2] / 1e3;
    return (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2e3;
}

/* a / b, or -1 when either is missing. */
static double ratio(double a, double b)
{
    return a < 0 || b <= 0 ? -1 : a / b;
}

static void figure(const char *what, double v, const char *unit, size_t n)
{
    if (v < 0)
        printf("  %-48s   (no samples)\n", what);
    else if (n)
        printf("  %-48s %10.2f %s  (median of %zu)\n", what, v, unit, n);
    else
        printf("  %-48s %10.2f %s\n", what, v, unit);
}

/* One requirement: value compared to threshold, at most (le) or at
 * least. */
static void verdict(const char *what, double v, bool le, double threshold)
{
    bool met = v >= 0 && (le ? v <= threshold : v >= threshold);

    if (v < 0) {
        printf("  %-48s %10s    (%s %.2f)  MISSED: not measured\n", what, "-",
               le ? "<=" : ">=", threshold);
        return;
    }
    printf("  %-48s %10.3f    (%s %.2f)  %s\n", what, v,
           le ? "<=" : ">=", threshold, met ? "met" : "MISSED");
}

static void skip(const char *what, const char *why)
{
    printf("  %-48s   skipped: %s\n", what, why);
}

/* ---- running other programs ------------------------------------------ */

/* Run argv (PATH searched), return its stdout (malloc'd) or NULL. */
static char *capture(const char *const *argv)
{
    struct spf_str a[8];
    struct spf_popen_opts o;
    struct spf_run_result res;
    size_t n = 0;

    while (argv[n] && n < 8) {
        a[n] = spf_str_c(argv[n]);
        n++;
    }
    spf_popen_opts_init(&o);
    o.argv = a;
    o.argc = n;
    o.std[1].kind = SPF_STDIO_PIPE;
    if (spf_run(&o, NULL, 0, SPF_FOREVER, true, &res, NULL) < 0)
        return NULL;
    return res.out;
}

/* Resolve a peer's real binary (not a shim script), or leave it empty. */
static void find_peer(char *ret, const char *prog, const char *flag,
                      const char *code)
{
    const char *argv[] = {prog, flag, code, NULL};
    char *out = capture(argv);

    ret[0] = '\0';
    if (out && out[0] == '/') {
        out[strcspn(out, "\n")] = '\0';
        snprintf(ret, 4096, "%s", out);
    }
    free(out);
}

/* Parse whitespace-separated integers from a peer into s. */
static void parse_into(struct samples *s, const char *text)
{
    char *end;

    while (text && *text) {
        long long v = strtoll(text, &end, 10);

        if (end == text)
            break;
        add(s, v);
        text = end;
    }
}

static const char py_spawn[] =
    "import subprocess, sys, time\n"
    "t, n = sys.argv[-2], int(sys.argv[-1])\n"
    "for i in range(n):\n"
    "    a = time.perf_counter_ns()\n"
    "    subprocess.run([t], stdout=subprocess.PIPE)\n"
    "    print(time.perf_counter_ns() - a)\n";

static const char node_spawn[] =
    "const {spawnSync} = require('child_process');\n"
    "const [t, n] = process.argv.slice(-2);\n"
    "const out = [];\n"
    "for (let i = 0; i < +n; i++) {\n"
    "  const a = process.hrtime.bigint();\n"
    "  spawnSync(t, [], {stdio: ['inherit', 'pipe', 'inherit']});\n"
    "  out.push(process.hrtime.bigint() - a);\n"
    "}\n"
    "console.log(out.join('\\n'));\n";

/* One round of a peer: n spawns timed inside the interpreter, so its
 * start-up is not counted.  Both scripts take their last two arguments
 * (python keeps the "--" in sys.argv, node drops it). */
static void peer_round(struct samples *s, bool node, int n)
{
    char count[16];
    const char *argv[] = {node ? cfg.node : cfg.python,
                          node ? "-e" : "-c",
                          node ? node_spawn : py_spawn,
                          "--",
                          cfg.target,
                          count,
                          NULL};
    char *out;

    if (!argv[0][0])
        return;
    snprintf(count, sizeof(count), "%d", n);
    out = capture(argv);
    parse_into(s, out);
    free(out);
}

/* ---- 1. spawn and wait ----------------------------------------------- */

enum { S_RAW1, S_SPF1, S_POSIX1, S_RAW0, S_SPF0, S_POSIX0, S_PY, S_NODE, S_N };

static void spawn_rounds(struct samples *s)
{
    static const struct {
        enum contender c;
        int pipes;
    } order[] = {{C_RAW, 1}, {C_SPF, 1}, {C_POSIX, 1},
                 {C_RAW, 0}, {C_SPF, 0}, {C_POSIX, 0}};
    int rounds = cfg.quick ? 4 : 10, per = cfg.quick ? 100 : 300;

    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < per; i++)
            for (int k = 0; k < 6; k++)
                add(&s[k],
                    contend_timed(order[k].c, cfg.target, order[k].pipes));
        peer_round(&s[S_PY], false, per / 5);
        peer_round(&s[S_NODE], true, per / 5);
    }
}

static void section_spawn(void)
{
    struct samples s[S_N] = {{0}};
    double m[S_N];

    printf("\n1. spawn + wait of the target (us)\n");
    spawn_rounds(s);
    for (int k = 0; k < S_N; k++)
        m[k] = median_us(&s[k]);
    figure("raw vfork+dup2+exec+wait, stdout pipe", m[S_RAW1], "us",
           s[S_RAW1].n);
    figure("spf_popen+wait, stdout pipe", m[S_SPF1], "us", s[S_SPF1].n);
    figure("posix_spawn+wait, stdout pipe", m[S_POSIX1], "us", s[S_POSIX1].n);
    figure("raw vfork+exec+wait, no pipe", m[S_RAW0], "us", s[S_RAW0].n);
    figure("spf_popen+wait, no pipe", m[S_SPF0], "us", s[S_SPF0].n);
    figure("posix_spawn+wait, no pipe", m[S_POSIX0], "us", s[S_POSIX0].n);
    if (cfg.python[0])
        figure("CPython subprocess.run, stdout pipe", m[S_PY], "us", s[S_PY].n);
    else
        skip("CPython subprocess.run", "python3 not found on PATH");
    if (cfg.node[0])
        figure("node spawnSync, stdout pipe", m[S_NODE], "us", s[S_NODE].n);
    else
        skip("node spawnSync", "node not found on PATH");
    verdict("spf / raw, stdout pipe", ratio(m[S_SPF1], m[S_RAW1]), true, 1.10);
    verdict("spf / posix_spawn, stdout pipe", ratio(m[S_SPF1], m[S_POSIX1]),
            true, 0.80);
    if (cfg.python[0])
        figure("CPython / spf (for information)", ratio(m[S_PY], m[S_SPF1]),
               "x", 0);
    if (cfg.node[0])
        figure("node / spf (for information)", ratio(m[S_NODE], m[S_SPF1]), "x",
               0);
    for (int k = 0; k < S_N; k++)
        free(s[k].v);
}

/* ---- 2. system calls per spawn --------------------------------------- */

static double count_line(const char *what, enum contender c, int pipes)
{
    struct syscount sc;
    char line[96];
    int r = syscount_run(c, cfg.target, pipes, 20, &sc);

    if (r < 0) {
        printf("  %-48s   failed: %s\n", what, strerror(-r));
        cfg.failed = true;
        return -1;
    }
    snprintf(line, sizeof(line), "%s (parent %.1f + child %.1f)", what,
             sc.parent, sc.child);
    figure(line, sc.parent + sc.child, "calls", 0);
    return sc.parent + sc.child;
}

static void section_syscalls(void)
{
    double spf0, spf1, spf3, per_pipe;

    printf("\n2. system calls per spawn, parent and child up to exec "
           "(ptrace)\n");
    spf0 = count_line("spf, no pipe", C_SPF, 0);
    spf1 = count_line("spf, stdout pipe", C_SPF, 1);
    spf3 = count_line("spf, three pipes", C_SPF, 3);
    count_line("raw vfork, no pipe", C_RAW, 0);
    count_line("raw vfork, stdout pipe", C_RAW, 1);
    count_line("posix_spawn, no pipe", C_POSIX, 0);
    count_line("posix_spawn, stdout pipe", C_POSIX, 1);
    per_pipe = spf1 - spf0;
    if ((spf3 - spf0) / 3 > per_pipe)
        per_pipe = (spf3 - spf0) / 3;
    verdict("spf calls, no pipe", spf0, true, 10);
    verdict("spf calls per pipe (worst of 1 and 3)",
            spf0 < 0 || spf1 < 0 || spf3 < 0 ? -1 : per_pipe, true, 4);
}

/* ---- 3. big parents: 4 GiB of memory, 19,000 fds ---------------------- */

/* A server is a parent of a given shape that spawns on request: commands
 * {contender, count} on its stdin, count timings back on its stdout. */
struct server {
    struct spf_proc *proc;
    int in, out;
};

struct command {
    int32_t contender; /* -1: quit */
    int32_t count;
};

static int raise_nofile(rlim_t want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -errno;
    if (rl.rlim_cur >= want)
        return 0;
    rl.rlim_cur = want;
    if (rl.rlim_max < want)
        rl.rlim_max = want;
    return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
}

/* The server's shape: mib MiB touched, nfds inheritable fds open. */
static int server_shape(long mib, int nfds)
{
    int null = open("/dev/null", O_RDONLY);

    if (null < 0 || raise_nofile((rlim_t)nfds + 64) < 0)
        return -1;
    for (int i = 1; i < nfds; i++)
        if (fcntl(null, F_DUPFD, 3) < 0)
            return -1;
    if (nfds == 0)
        close(null);
    if (mib > 0) {
        char *m = mmap(NULL, (size_t)mib * MIB, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (m == MAP_FAILED)
            return -1;
        for (size_t off = 0; off < (size_t)mib * MIB; off += 4096)
            m[off] = 1;
    }
    return 0;
}

static int server_main(long mib, int nfds)
{
    struct command c;
    int64_t *v = NULL;

    bench_die_with_parent();
    if (server_shape(mib, nfds) < 0 || bench_io_full(1, "R", 1, true) < 0)
        return 1;
    while (bench_io_full(0, &c, sizeof(c), false) == 0 && c.contender >= 0) {
        v = realloc(v, (size_t)c.count * sizeof(*v));
        for (int i = 0; v && i < c.count; i++)
            v[i] = contend_timed(c.contender, cfg.target, 1);
        if (!v || bench_io_full(1, v, (size_t)c.count * sizeof(*v), true) < 0)
            return 1;
    }
    free(v);
    return 0;
}

static int server_start(struct server *sv, long mib, int nfds)
{
    char m[24], f[24], ready;
    struct spf_str argv[5];
    struct spf_popen_opts o;

    snprintf(m, sizeof(m), "%ld", mib);
    snprintf(f, sizeof(f), "%d", nfds);
    argv[0] = spf_str_c(cfg.self);
    argv[1] = spf_str_c("--server");
    argv[2] = spf_str_c(m);
    argv[3] = spf_str_c(f);
    argv[4] = spf_str_c(cfg.target);
    spf_popen_opts_init(&o);
    o.argv = argv;
    o.argc = 5;
    o.std[0].kind = SPF_STDIO_PIPE;
    o.std[1].kind = SPF_STDIO_PIPE;
    if (spf_popen(&o, &sv->proc, NULL) < 0)
        return -1;
    sv->in = spf_proc_pipe_fd(sv->proc, 0);
    sv->out = spf_proc_pipe_fd(sv->proc, 1);
    return bench_io_full(sv->out, &ready, 1, false);
}

static void server_ask(struct server *sv, enum contender c, int count,
                       struct samples *s)
{
    struct command cmd = {(int32_t)c, count};
    int64_t v;

    if (!sv->proc || bench_io_full(sv->in, &cmd, sizeof(cmd), true) < 0) {
        cfg.failed = true;
        return;
    }
    for (int i = 0; i < count; i++)
        if (bench_io_full(sv->out, &v, sizeof(v), false) == 0)
            add(s, v);
}

static void server_stop(struct server *sv)
{
    struct command quit = {-1, 0};

    if (!sv->proc)
        return;
    bench_io_full(sv->in, &quit, sizeof(quit), true);
    spf_proc_wait(sv->proc, SPF_FOREVER, NULL);
    spf_proc_free(sv->proc);
}

enum {
    B_EMPTY,
    B_BIG,
    B_FDS,
    B_RAW_EMPTY,
    B_RAW_BIG,
    B_EMPTY_PROC,
    B_FDS_PROC,
    B_EMPTY_FORK,
    B_BIG_FORK,
    B_N
};

/*
 * Short blocks, in an order that rotates every round: what runs just
 * before a block (a 1 ms spawn that closes 19,000 fds, a fork of 4 GiB)
 * changes its timing by a few percent, so each parent follows each of the
 * others equally often.  The references, slow as they are, come every
 * tenth round.
 */
static void big_rounds(struct server *sv, struct samples *s)
{
    int rounds = cfg.quick ? 60 : 150, per = 4;

    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 5; k++) {
            int i = (r + k) % 5; /* B_EMPTY ... B_RAW_BIG */

            server_ask(&sv[i % 3], i < 3 ? C_SPF : C_RAW, per, &s[i]);
        }
        if (r % 10 != 9)
            continue;
        server_ask(&sv[0], C_PROCFD, 2, &s[B_EMPTY_PROC]);
        if (r < 50)
            server_ask(&sv[2], C_PROCFD, 1, &s[B_FDS_PROC]);
        server_ask(&sv[0], C_FORK, 2, &s[B_EMPTY_FORK]);
        if (r < 30)
            server_ask(&sv[1], C_FORK, 1, &s[B_BIG_FORK]);
    }
}

static void section_big(void)
{
    struct server sv[3] = {{0}};
    struct samples s[B_N] = {{0}};
    double m[B_N], per_fd, proc_per_fd;
    char what[80];

    printf("\n3. spawn + wait (stdout pipe) from big parents (us)\n");
    if (server_start(&sv[0], 0, 0) < 0 ||
        server_start(&sv[1], cfg.big_mib, 0) < 0 ||
        server_start(&sv[2], 0, NFDS) < 0) {
        printf("  could not start the parents: %s\n", strerror(errno));
        cfg.failed = true;
    } else
        big_rounds(sv, s);
    for (int i = 0; i < 3; i++)
        server_stop(&sv[i]);
    for (int k = 0; k < B_N; k++)
        m[k] = median_us(&s[k]);
    figure("spf, empty parent", m[B_EMPTY], "us", s[B_EMPTY].n);
    snprintf(what, sizeof(what), "spf, parent with %ld MiB touched",
             cfg.big_mib);
    figure(what, m[B_BIG], "us", s[B_BIG].n);
    figure("spf, parent with 19,000 fds, close_fds", m[B_FDS], "us",
           s[B_FDS].n);
    figure("raw vfork, empty parent (reference)", m[B_RAW_EMPTY], "us",
           s[B_RAW_EMPTY].n);
    snprintf(what, sizeof(what), "raw vfork, %ld MiB parent (reference)",
             cfg.big_mib);
    figure(what, m[B_RAW_BIG], "us", s[B_RAW_BIG].n);
    figure("fork+exec, empty parent (reference)", m[B_EMPTY_FORK], "us",
           s[B_EMPTY_FORK].n);
    snprintf(what, sizeof(what), "fork+exec, %ld MiB parent (reference)",
             cfg.big_mib);
    figure(what, m[B_BIG_FORK], "us", s[B_BIG_FORK].n);
    figure("/proc/self/fd close, empty (reference)", m[B_EMPTY_PROC], "us",
           s[B_EMPTY_PROC].n);
    figure("/proc/self/fd close, 19,000 fds (reference)", m[B_FDS_PROC], "us",
           s[B_FDS_PROC].n);
    per_fd =
        m[B_FDS] < 0 || m[B_EMPTY] < 0 ? -1 : (m[B_FDS] - m[B_EMPTY]) / NFDS;
    proc_per_fd = m[B_FDS_PROC] < 0 || m[B_EMPTY_PROC] < 0
                      ? -1
                      : (m[B_FDS_PROC] - m[B_EMPTY_PROC]) / NFDS;
    figure("/proc/self/fd: us per open fd (reference)", proc_per_fd, "us", 0);
    figure("raw big parent / empty parent (reference)",
           ratio(m[B_RAW_BIG], m[B_RAW_EMPTY]), "x", 0);
    verdict("spf big parent / empty parent", ratio(m[B_BIG], m[B_EMPTY]), true,
            1.05);
    verdict("spf close_fds: us per open fd over baseline", per_fd, true, 0.13);
    for (int k = 0; k < B_N; k++)
        free(s[k].v);
}

/* ---- 4. communicate -------------------------------------------------- */

/* Peak resident memory of this process, in bytes (VmHWM). */
static long peak_rss(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib < 0 ? -1 : kib * 1024;
}

/* cat FILE through spf_popen and communicate, everything kept. */
static int comm_spf(const char *file, int pipesize)
{
    struct spf_str argv[] = {spf_str_c("cat"), spf_str_c(file)};
    struct spf_popen_opts o;
    struct spf_proc *p;
    int64_t t0 = mono_ns(), t;
    int r;

    spf_popen_opts_init(&o);
    o.argv = argv;
    o.argc = 2;
    o.std[1].kind = SPF_STDIO_PIPE;
    o.pipesize = pipesize;
    if (spf_popen(&o, &p, NULL) < 0)
        return 1;
    r = spf_proc_communicate(p, NULL, 0, SPF_FOREVER);
    t = mono_ns() - t0;
    printf("%" PRId64 " %zu %ld\n", t, spf_proc_output(p, 1).len, peak_rss());
    spf_proc_free(p);
    return r < 0;
}

/* cat FILE | cat >/dev/null, with a 1 MiB pipe between the two. */
static int comm_pipeline(const char *file)
{
    char *a1[] = {"cat", (char *)file, NULL}, *a2[] = {"cat", NULL};
    posix_spawn_file_actions_t f1, f2;
    int64_t t0 = mono_ns();
    int fds[2], null = open("/dev/null", O_WRONLY | O_CLOEXEC), bad = 0;
    pid_t p1, p2;

    if (null < 0 || pipe2(fds, O_CLOEXEC) < 0)
        return 1;
    fcntl(fds[1], F_SETPIPE_SZ, (int)MIB);
    posix_spawn_file_actions_init(&f1);
    posix_spawn_file_actions_adddup2(&f1, fds[1], 1);
    posix_spawn_file_actions_init(&f2);
    posix_spawn_file_actions_adddup2(&f2, fds[0], 0);
    posix_spawn_file_actions_adddup2(&f2, null, 1);
    bad |= posix_spawnp(&p1, "cat", &f1, NULL, a1, environ);
    bad |= posix_spawnp(&p2, "cat", &f2, NULL, a2, environ);
    close(fds[0]);
    close(fds[1]);
    close(null);
    if (bad)
        return 1;
    waitpid(p1, NULL, 0);
    waitpid(p2, NULL, 0);
    printf("%" PRId64 " 0 %ld\n", mono_ns() - t0, peak_rss());
    return 0;
}

static int comm_main(const char *kind, const char *file)
{
    bench_die_with_parent();
    if (strcmp(kind, "spf") == 0)
        return comm_spf(file, 0);
    if (strcmp(kind, "spf1m") == 0)
        return comm_spf(file, (int)MIB);
    return comm_pipeline(file);
}

static const char py_comm[] =
    "import resource, subprocess, sys, time\n"
    "a = time.perf_counter_ns()\n"
    "r = subprocess.run(['cat', sys.argv[1]], stdout=subprocess.PIPE)\n"
    "t = time.perf_counter_ns() - a\n"
    "print(t, len(r.stdout),\n"
    "      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n";

enum { M_SPF, M_SPF1M, M_PIPE, M_PY, M_N };

struct comm_result {
    struct samples t;
    long len, peak; /* the largest seen */
};

static void comm_once(int k, const char *file, struct comm_result *res)
{
    static const char *const kinds[] = {"spf", "spf1m", "pipe1m"};
    const char *own[] = {cfg.self, "--comm", k < M_PY ? kinds[k] : "", file,
                         NULL};
    const char *py[] = {cfg.python, "-c", py_comm, file, NULL};
    long long ns;
    long len, peak;
    char *out;

    if (k == M_PY && !cfg.python[0])
        return;
    out = capture(k == M_PY ? py : own);
    if (!out || sscanf(out, "%lld %ld %ld", &ns, &len, &peak) != 3) {
        cfg.failed = true;
        free(out);
        return;
    }
    add(&res->t, ns);
    if (len > res->len)
        res->len = len;
    if (peak > res->peak)
        res->peak = peak;
    free(out);
}

/* The big file, removed by an interrupt too (on_fatal()). */
static char big_path[4096];
static volatile sig_atomic_t big_made;

static void on_fatal(int sig)
{
    if (big_made)
        unlink(big_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_fatal(void)
{
    struct sigaction sa = {.sa_handler = on_fatal};
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

static int make_big_file(char *path, size_t size)
{
    static char chunk[1 << 20];
    const char *dir = getenv("TMPDIR");
    int fd;

    snprintf(path, 4096, "%s/spf-bench-XXXXXX", dir ? dir : "/tmp");
    if ((fd = mkstemp(path)) < 0)
        return -1;
    big_made = 1;
    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (char)('a' + i % 26);
    for (size_t off = 0; off < size; off += sizeof(chunk))
        if (bench_io_full(fd, chunk, sizeof(chunk), true) < 0) {
            int err = errno;

            close(fd);
            big_made = 0;
            unlink(path);
            errno = err;
            return -1;
        }
    return close(fd);
}

static void comm_report(struct comm_result *res, long size)
{
    static const char *const what[M_N] = {
        "spf communicate, default pipe", "spf communicate, 1 MiB pipe",
        "cat big | cat >/dev/null, 1 MiB pipe", "CPython subprocess.run"};
    double gbs[M_N];
    char line[96];

    for (int k = 0; k < M_N; k++) {
        double us = median_us(&res[k].t);

        gbs[k] = us > 0 ? size / (us * 1e3) : -1;
        if (k == M_PY && !cfg.python[0]) {
            skip(what[k], "python3 not found on PATH");
            continue;
        }
        snprintf(line, sizeof(line), "%s: GB/s", what[k]);
        figure(line, gbs[k], "", res[k].t.n);
        if (k != M_PIPE && res[k].peak > 0)
            printf("  %-48s %10.1f MiB peak for %.1f MiB kept\n", "",
                   res[k].peak / (double)MIB, res[k].len / (double)MIB);
    }
    verdict("spf 1 MiB pipe / shell pipeline (GB/s)",
            ratio(gbs[M_SPF1M], gbs[M_PIPE]), false, 4);
    if (cfg.python[0])
        verdict("spf default pipe / CPython (GB/s)",
                ratio(gbs[M_SPF], gbs[M_PY]), false, 5);
    for (int k = M_SPF; k <= M_SPF1M; k++)
        verdict(k == M_SPF ? "spf peak / (1.1 x kept + 16 MiB), default"
                           : "spf peak / (1.1 x kept + 16 MiB), 1 MiB",
                res[k].len > 0 ? res[k].peak / (1.1 * res[k].len + 16.0 * MIB)
                               : -1,
                true, 1.0);
}

static void section_comm(void)
{
    struct comm_result res[M_N];

    memset(res, 0, sizeof(res));
    char *path = big_path;
    long size = cfg.comm_mib * MIB;
    int rounds = cfg.quick ? 3 : 5;

    printf("\n4. communicate: cat of a %ld MiB file, all kept in memory "
           "(GB/s = 10^9 B/s)\n",
           cfg.comm_mib);
    if (make_big_file(path, (size_t)size) < 0) {
        printf("  could not write %s: %s\n", path, strerror(errno));
        cfg.failed = true;
        return;
    }
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < M_N; k++)
            comm_once(k, path, &res[k]);
    big_made = 0;
    unlink(path);
    comm_report(res, size);
    for (int k = 0; k < M_N; k++)
        free(res[k].t.v);
}

/* ---- main ------------------------------------------------------------ */

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);

    return v && *v ? strtol(v, NULL, 10) : def;
}

/*
 * Sections 1 to 3 run on one CPU, the last we may use, and so do the
 * processes they start: contenders then differ only in what they do, not
 * in where the scheduler put them or whom they share a core with (two
 * processes spawning alike differed by up to 20% unpinned, 1% pinned).
 * Section 4 gets every CPU back: a pipeline is two processes at once.
 */
static cpu_set_t all_cpus;

static void pin(bool one)
{
    cpu_set_t set;
    int last = -1;

    if (!one) {
        sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
        return;
    }
    if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) < 0)
        return;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all_cpus))
            last = c;
    CPU_ZERO(&set);
    CPU_SET(last, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

/* SPF_BENCH_SECTIONS, e.g. "13", runs those sections only. */
static bool section_wanted(char n)
{
    const char *only = getenv("SPF_BENCH_SECTIONS");

    return !only || !*only || strchr(only, n);
}

static void configure(int argc, char **argv)
{
    const char *q = getenv("SPF_BENCH_QUICK");
    ssize_t n = readlink("/proc/self/exe", cfg.self, sizeof(cfg.self) - 1);

    cfg.self[n > 0 ? n : 0] = '\0';
    cfg.target = argv[1];
    cfg.quick = (q && *q && strcmp(q, "0") != 0) ||
                (argc > 2 && strcmp(argv[2], "--quick") == 0);
    cfg.comm_mib = env_long("SPF_BENCH_COMM_MIB", cfg.quick ? 64 : 1024);
    cfg.big_mib = env_long("SPF_BENCH_BIG_MIB", cfg.quick ? 256 : 4096);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--server") == 0) {
        cfg.target = argv[4];
        return server_main(atol(argv[2]), atoi(argv[3]));
    }
    if (argc == 4 && strcmp(argv[1], "--comm") == 0)
        return comm_main(argv[2], argv[3]);
    if (argc < 2 || argv[1][0] != '/') {
        fprintf(stderr, "usage: spawn-bench /ABSOLUTE/TARGET [--quick]\n");
        return 2;
    }
    configure(argc, argv);
    catch_fatal();
    find_peer(cfg.python, "python3", "-c", "import sys;print(sys.executable)");
    find_peer(cfg.node, "node", "-e", "console.log(process.execPath)");
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("spawn-bench: target %s%s\n", cfg.target,
           cfg.quick ? " (quick run)" : "");
    printf("peers: python %s, node %s\n", cfg.python[0] ? cfg.python : "-",
           cfg.node[0] ? cfg.node : "-");
    pin(true);
    if (section_wanted('1'))
        section_spawn();
    if (section_wanted('2'))
        section_syscalls();
    if (section_wanted('3'))
        section_big();
    pin(false);
    if (section_wanted('4'))
        section_comm();
    if (cfg.failed)
        printf("\nspawn-bench: error: some contender failed to run\n");
    return cfg.failed ? 1 : 0;
}
