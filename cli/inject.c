/*
 * spawnfault inject: run any program under fault rules, through the
 * preload, and exit as it did.
 *
 *   spawnfault inject [--fault SPEC]... [--seed N] [--log FILE] [--count]
 *                     [--inherit all|libc|none] [--max-procs N] [--max-fds N]
 *                     [--close-stdout-after BYTES] [--] CMD [ARG...]
 *
 * Every SPEC is translated (fault-syntax.h) and checked by the native
 * parser before anything runs.  The program is the root of the fault
 * tree, armed from its load (SPF_FAULT_ARM=1): its own calls are the
 * parent scope, its children before exec the child scope.  The launcher
 * itself never loads the preload, so its own spawn is never faulted.
 *
 * SIGINT, SIGTERM and SIGHUP sent to the launcher are passed on to the
 * program; the launcher still waits for it, writes the log and exits.
 * docs/inject.md is the user's side of all this.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spawnfault/fault-syntax.h>
#include <spawnfault/faults.h>
#include <spawnfault/harness.h>
#include <spawnfault/resources.h>
#include <spawnfault/spawn.h>
#if SPF_HAVE_SECCOMP
#include <spawnfault/seccomp.h>
#endif

/* faults/preload.h: for SPF_ENV_FAULT_ARM, the one private variable a
 * launcher sets. */
#include "preload.h"

#include "inject.h"
#include "print.h"

#define EXIT_BAD_INPUT 2
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

/* Room for records: the memfd is sparse, so only what is written costs. */
#define LOG_CAPACITY (4u << 20)

/* The log fd goes above the fds shells and programs use by number. */
#define LOG_FD_MIN 100

extern char **environ;

struct inject {
    const char **specs;
    size_t n_specs;
    uint64_t seed;
    const char *log_path; /* NULL: no log; "-": stderr */
    bool count;
    const char *inherit; /* SPF_FAULT_INHERIT's value; NULL: the default */
    unsigned max_procs;  /* 0: no pids cgroup */
    unsigned max_fds;    /* 0: RLIMIT_NOFILE left as it is */
    bool close_stdout;   /* --close-stdout-after was given */
    uint64_t close_after;
    char **cmd;
    size_t n_cmd;
    char plan[SPF_FAULT_PLAN_TEXT_MAX];
    size_t n_rules;
    size_t n_seccomp;   /* rules for the seccomp supervisor */
    size_t n_exec;      /* preload rules with the exec scope */
    char path[4096];    /* cmd[0] as found along PATH */
    enum spf_libc libc; /* of that file */
};

/* The program's environment: ours, with the preload and the plan. */
struct env {
    struct spf_env_var *v;
    size_t n;
    char *preload;
    char seed[40];
    char log_fd[16];
};

/* The program, for the signal handler: its pid while it runs, and a
 * pidfd where the kernel has them (-1 otherwise). */
static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t child_pidfd = -1;
static volatile sig_atomic_t pending_signal;
/* Under seccomp, the write end of the pipe that stops the supervisor when
 * a signal comes after the program has ended; -1 otherwise. */
static volatile sig_atomic_t stop_wfd = -1;
static volatile sig_atomic_t late_signal; /* the signal that came then */

static const int forwarded[] = {SIGINT,  SIGTERM, SIGHUP,
                                SIGQUIT, SIGUSR1, SIGUSR2};

static void usage(FILE *f)
{
    fputs("usage: spawnfault inject [--fault SPEC]... [--seed N] "
          "[--log FILE] [--count]\n"
          "                         [--inherit all|libc|none] "
          "[--max-procs N] [--max-fds N]\n"
          "                         "
          "[--close-stdout-after BYTES]\n"
          "                         [--] CMD [ARG...]\n"
          "\n"
          "SPEC is strace's -e inject= syntax (write:error=EIO:when=2+) or a\n"
          "native rule (write#2..=EIO).  --log - writes the fired faults to\n"
          "stderr; --count counts every point reached.  --inherit says\n"
          "which exec'd programs carry the preload.  --max-procs and\n"
          "--max-fds are real limits (a pids cgroup, RLIMIT_NOFILE).\n"
          "--close-stdout-after copies BYTES of CMD's stdout, then closes the\n"
          "pipe: CMD's next write fails with EPIPE, as under | head -c BYTES.\n"
          "The exit status is CMD's.  See docs/inject.md.\n",
          f);
}

/* Decimal, or hexadecimal after 0x: never a sign, a blank or octal. */
static bool parse_seed(const char *s, uint64_t *ret)
{
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const char *digits = hex ? "0123456789abcdefABCDEF" : "0123456789";
    const char *d = hex ? s + 2 : s;
    size_t n = strspn(d, digits);
    char *end;

    if (n == 0 || d[n] != '\0' || (hex && n > 16))
        return false;
    errno = 0;
    *ret = strtoull(d, &end, hex ? 16 : 10);
    return errno == 0;
}

#define LIMIT_MAX 1000000u

static int parse_limit(const char *s, unsigned *ret)
{
    uint64_t v;

    if (s[0] == '0' || !parse_seed(s, &v) || v == 0 || v > LIMIT_MAX ||
        strncmp(s, "0x", 2) == 0)
        return -1;
    *ret = (unsigned)v;
    return 0;
}

/* A count of bytes: decimal digits only, 0 included. */
static int parse_bytes(const char *s, uint64_t *ret)
{
    size_t n = strspn(s, "0123456789");

    if (n == 0 || s[n] != '\0' || !parse_seed(s, ret))
        return -1;
    return 0;
}

static int parse_args(int argc, char **argv, struct inject *a)
{
    static const struct option longs[] = {
        {"fault", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 's'},
        {"log", required_argument, NULL, 'l'},
        {"count", no_argument, NULL, 'c'},
        {"inherit", required_argument, NULL, 'i'},
        {"max-procs", required_argument, NULL, 'p'},
        {"max-fds", required_argument, NULL, 'n'},
        {"close-stdout-after", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Options that take one value: a second one is a mistake, not an
     * override (a script that appends --seed to a command line). */
    static const char once[] = "slipno";
    bool seen[sizeof(once)] = {false};
    int c, idx = -1;

    /* No more --fault options than words. */
    a->specs = calloc((size_t)argc, sizeof(*a->specs));
    if (!a->specs) {
        spf__cli_error("out of memory");
        return -1;
    }
    /* '+': the first word that is not an option starts the command, whose
     * own options are its business. */
    while ((c = getopt_long(argc, argv, "+h", longs, &idx)) != -1) {
        const char *at = c > 0 ? strchr(once, c) : NULL;

        if (at && seen[at - once]) {
            spf__cli_error("--%s given twice", longs[idx].name);
            return -1;
        }
        if (at)
            seen[at - once] = true;
        if (c == 'f')
            a->specs[a->n_specs++] = optarg;
        if (c == 's' && !parse_seed(optarg, &a->seed)) {
            spf__cli_error("--seed: expected a decimal integer, or 0x and 1"
                           " to 16 hexadecimal digits, got \"%s\"",
                           optarg);
            return -1;
        }
        if (c == 'l')
            a->log_path = optarg;
        if (c == 'c')
            a->count = true;
        if (c == 'i' && strcmp(optarg, "all") != 0 &&
            strcmp(optarg, "libc") != 0 && strcmp(optarg, "none") != 0) {
            spf__cli_error("--inherit: expected all, libc or none, got \"%s\"",
                           optarg);
            return -1;
        }
        if (c == 'i')
            a->inherit = optarg;
        if ((c == 'p' || c == 'n') &&
            parse_limit(optarg, c == 'p' ? &a->max_procs : &a->max_fds) < 0) {
            spf__cli_error("--%s: expected a whole number from 1 to %u, got"
                           " \"%s\"",
                           c == 'p' ? "max-procs" : "max-fds", LIMIT_MAX,
                           optarg);
            return -1;
        }
        if (c == 'o' && parse_bytes(optarg, &a->close_after) < 0) {
            spf__cli_error("--close-stdout-after: expected a whole number of"
                           " bytes, 0 or more, got \"%s\"",
                           optarg);
            return -1;
        }
        a->close_stdout |= c == 'o';
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (c == '?') {
            usage(stderr);
            return -1;
        }
    }
    a->cmd = argv + optind;
    a->n_cmd = (size_t)(argc - optind);
    if (a->n_cmd == 0) {
        spf__cli_error("inject: no command to run");
        usage(stderr);
        return -1;
    }
    if (a->cmd[0][0] == '\0') {
        spf__cli_error("inject: the command is an empty string");
        return -1;
    }
    return 0;
}

static size_t seccomp_rules(const struct spf_fault_plan *plan)
{
    size_t n = 0;

    for (size_t i = 0; i < plan->n_rules; i++)
        n += plan->rules[i].backend == SPF_BACKEND_SECCOMP;
    return n;
}

/* Whether the program loads the preload: for its rules, or to count. */
static bool preload_wanted(const struct inject *a)
{
    return a->n_rules > a->n_seccomp || a->count;
}

static size_t exec_rules(const struct spf_fault_plan *plan)
{
    size_t n = 0;

    for (size_t i = 0; i < plan->n_rules; i++)
        n += plan->rules[i].backend == SPF_BACKEND_PRELOAD &&
             (plan->rules[i].scope & SPF_SCOPE_EXEC);
    return n;
}

/* One --fault: translated, then parsed as the preload will parse it. */
static int compile_one(struct inject *a, size_t i, size_t *len)
{
    char rules[SPF_FAULT_SYNTAX_OUT_MAX], err[512];
    const char *spec = a->specs[i];
    struct spf_fault_plan *plan;
    int n, r;

    n = spf_fault_syntax_translate(spec, strlen(spec), rules, sizeof(rules),
                                   err, sizeof(err));
    plan = n > 0 ? malloc(sizeof(*plan)) : NULL;
    r = !plan ? -ENOMEM
              : spf_fault_plan_parse(rules, strlen(rules), plan, err,
                                     sizeof(err));
#if !SPF_HAVE_SECCOMP
    if (r == 0 && seccomp_rules(plan) > 0)
        r = -EOPNOTSUPP;
#endif
    if (r == 0) {
        a->n_seccomp += seccomp_rules(plan);
        a->n_exec += exec_rules(plan);
    }
    free(plan);
    if (r == -EOPNOTSUPP) {
        spf__cli_error("--fault %zu (\"%s\"): backend seccomp: this build"
                       " has no seccomp supervisor (libseccomp was not"
                       " found), so the rule would never fire",
                       i + 1, spec);
        return -1;
    }
    if (n < 0 || r == -EINVAL) {
        spf__cli_error("--fault %zu (\"%s\"): %s", i + 1, spec, err);
        return -1;
    }
    if (r < 0) {
        spf__cli_error("out of memory");
        return -1;
    }
    if (*len + (*len > 0) + strlen(rules) >= sizeof(a->plan)) {
        spf__cli_error("--fault %zu: the rules of every --fault come to more"
                       " than %d bytes",
                       i + 1, SPF_FAULT_PLAN_TEXT_MAX - 1);
        return -1;
    }
    *len += (size_t)sprintf(a->plan + *len, "%s%s", *len ? ";" : "", rules);
    a->n_rules += (size_t)n;
    return 0;
}

/* Every --fault checked, and the plan they make, before anything runs. */
static int compile(struct inject *a)
{
    size_t len = 0;

    for (size_t i = 0; i < a->n_specs; i++)
        if (compile_one(a, i, &len) < 0)
            return -1;
    if (a->n_rules > SPF_FAULT_MAX_RULES) {
        spf__cli_error("--fault: %zu rules in all, at most %d (a set of"
                       " names gives one rule per point)",
                       a->n_rules, SPF_FAULT_MAX_RULES);
        return -1;
    }
    if (a->n_exec > 0 && a->inherit && !strcmp(a->inherit, "none")) {
        spf__cli_error("--inherit none: %zu rule%s the exec scope, which no"
                       " exec'd program would carry",
                       a->n_exec, a->n_exec == 1 ? " has" : "s have");
        return -1;
    }
    return 0;
}

static void env_add(struct env *e, const char *name, const char *value)
{
    e->v[e->n++] = (struct spf_env_var){spf_str_c(name), spf_str_c(value)};
}

/*
 * Our own variables never pass from the caller: a stale plan would be
 * the one getenv finds, and a stray SPF_FAULT_ROOT would make the program
 * believe it is not the root.  Our preload goes first in LD_PRELOAD.
 */
static int make_env(const struct inject *a, const char *preload, int log_fd,
                    struct env *e)
{
    const char *old = getenv("LD_PRELOAD");
    size_t n = 0;

    while (environ[n])
        n++;
    e->v = calloc(n + 7, sizeof(*e->v));
    /* Seccomp rules alone: the environment stays the caller's, minus our
     * variables. */
    if (!preload)
        e->preload = old ? strdup(old) : NULL;
    if (!e->v ||
        (preload && asprintf(&e->preload, "%s%s%s", preload,
                             old && *old ? ":" : "", old ? old : "") < 0)) {
        e->preload = NULL;
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');

        if (!eq || !strncmp(environ[i], "SPF_FAULT", 9) ||
            !strncmp(environ[i], "LD_PRELOAD=", 11))
            continue;
        e->v[e->n++] = (struct spf_env_var){
            {environ[i], (size_t)(eq - environ[i])}, spf_str_c(eq + 1)};
    }
    if (e->preload)
        env_add(e, "LD_PRELOAD", e->preload);
    if (!preload)
        return 0;
    snprintf(e->seed, sizeof(e->seed), "%" PRIx64 ":0", a->seed);
    snprintf(e->log_fd, sizeof(e->log_fd), "%d", log_fd);
    env_add(e, SPF_ENV_FAULTS, a->plan);
    env_add(e, SPF_ENV_FAULT_SEED, e->seed);
    env_add(e, SPF_ENV_FAULT_LOG_FD, e->log_fd);
    env_add(e, SPF_ENV_FAULT_ARM, "1");
    if (a->count)
        env_add(e, SPF_ENV_FAULT_COUNT, "1");
    if (a->inherit)
        env_add(e, SPF_ENV_FAULT_INHERIT, a->inherit);
    return 0;
}

/* The shared log, at a high fd.  Returns the fd or -1 after a message. */
static int create_log(void)
{
    int fd = spf_fault_log_create(LOG_CAPACITY), high;

    if (fd < 0) {
        spf__cli_error("cannot create the fault log: %s", strerror(-fd));
        return -1;
    }
    high = fcntl(fd, F_DUPFD_CLOEXEC, LOG_FD_MIN);
    close(fd);
    if (high < 0)
        spf__cli_error("cannot create the fault log: %s", strerror(errno));
    return high;
}

/* Opened before the run, so that a bad path costs no run. */
static int open_log_file(const char *path)
{
    int fd;

    if (!path)
        return -1;
    if (!strcmp(path, "-"))
        return STDERR_FILENO;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        spf__cli_error("--log %s: %s", path, strerror(errno));
    return fd < 0 ? -2 : fd;
}

/*
 * Through the pidfd, a signal can never reach another process that took
 * the pid after the program was reaped.  XXX: without pidfds (kernels
 * before 5.3) the pid is used, and one arriving in the few instructions
 * between the reaping and the clearing of child_pid could; the launcher
 * has no other child to mistake, and the kernel hands out pids in order.
 * Async-signal-safe.
 */
static void send_child(int sig)
{
#ifdef SYS_pidfd_send_signal
    if (child_pidfd >= 0) {
        syscall(SYS_pidfd_send_signal, (int)child_pidfd, sig, NULL, 0);
        return;
    }
#endif
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

/* A stopped program (the stop action) would keep the signal pending and
 * the launcher waiting: it is continued, as a shell continues a stopped
 * job it terminates. */
static void signal_child(int sig)
{
    send_child(sig);
    if (sig != SIGCONT)
        send_child(SIGCONT);
}

/* Whether the program has not ended yet: signal 0 through its pidfd
 * fails with ESRCH once it is reaped.  Async-signal-safe. */
static bool program_alive(void)
{
#ifdef SYS_pidfd_send_signal
    if (child_pidfd >= 0)
        return syscall(SYS_pidfd_send_signal, (int)child_pidfd, 0, NULL, 0) ==
                   0 ||
               errno != ESRCH;
#endif
    return child_pid > 0 && (kill((pid_t)child_pid, 0) == 0 || errno != ESRCH);
}

/* A pidfd for the running program, or -1. */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    return -1;
#endif
}

/*
 * A signal sent to the launcher goes on to the program.  One that the
 * terminal sent (si_code SI_KERNEL) reached the whole foreground process
 * group, the program included, and is not sent twice.  Before the program
 * exists, it is kept for later.  Async-signal-safe.
 */
static void forward(int sig, siginfo_t *info, void *uctx)
{
    int saved = errno;

    if (child_pid <= 0) {
        pending_signal = sig;
    } else if (stop_wfd >= 0 && !program_alive()) {
        /* Under seccomp the launcher waits for the whole tree; with the
         * program gone, it stops supervising what is left and ends as
         * the signal says, as the program would have. */
        late_signal = sig;
        (void)!write((int)stop_wfd, "s", 1);
    } else if (info == NULL || info->si_code != SI_KERNEL) {
        signal_child(sig);
    }
    errno = saved;
}

/* A signal the caller ignores stays ignored, here and in the program. */
static void catch_signals(void)
{
    struct sigaction sa = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO};
    struct sigaction old;

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        if (sigaction(forwarded[i], NULL, &old) == 0 &&
            old.sa_handler != SIG_IGN)
            sigaction(forwarded[i], &sa, NULL);
}

/* The limit is the launcher's while it spawns: too low, and the spawn's
 * own pipes (or the seccomp listener) cannot be made. */
static const char *max_fds_hint(const struct inject *a, int err)
{
    return a->max_fds && err == EMFILE
               ? " (--max-fds is too low for the launcher itself, which"
                 " needs a few fds below the limit to start the program;"
                 " raise it)"
               : "";
}

static int spawn_status(const struct inject *a, struct spf_spawn_error *err)
{
    spf__cli_error("cannot run %s: %s%s", a->cmd[0],
                   err->message ? err->message : spf_strerror(err->err),
                   max_fds_hint(a, err->err));
    if (err->stage != SPF_STAGE_EXEC)
        return EXIT_BAD_INPUT;
    return err->err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

/* The real limits the program starts under: a pids cgroup it is born
 * into, and a soft RLIMIT_NOFILE it inherits.  The launcher holds them
 * only across the spawn. */
struct limits {
    struct spf_pids_limit *pids;
    struct rlimit saved_nofile;
    bool nofile_set;
};

static int limits_begin(const struct inject *a, struct limits *l)
{
    char err[512];
    int r;

    if (a->max_procs) {
        /* The launcher counts too while it is inside, until it leaves. */
        r = spf_pids_limit_create(a->max_procs + 1, &l->pids, err, sizeof(err));
        if (r < 0) {
            spf__cli_error("--max-procs: %s", err);
            return -1;
        }
        if ((r = spf_pids_limit_enter(l->pids)) < 0) {
            spf__cli_error("--max-procs: cannot enter the cgroup: %s",
                           strerror(-r));
            return -1;
        }
    }
    if (a->max_fds) {
        struct rlimit lim;
        if (getrlimit(RLIMIT_NOFILE, &l->saved_nofile) < 0) {
            spf__cli_error("--max-fds: %s", strerror(errno));
            return -1;
        }
        lim = l->saved_nofile;
        lim.rlim_cur = a->max_fds;
        if (lim.rlim_max != RLIM_INFINITY && lim.rlim_cur > lim.rlim_max) {
            spf__cli_error("--max-fds: %u is above the hard limit %llu",
                           a->max_fds, (unsigned long long)lim.rlim_max);
            return -1;
        }
        if (setrlimit(RLIMIT_NOFILE, &lim) < 0) {
            spf__cli_error("--max-fds: %s", strerror(errno));
            return -1;
        }
        l->nofile_set = true;
    }
    return 0;
}

/* Right after the spawn: the launcher leaves the cgroup (whose limit is
 * now the program's own) and takes its fd limit back. */
static void limits_spawned(const struct inject *a, struct limits *l)
{
    if (l->pids) {
        spf_pids_limit_leave(l->pids);
        spf_pids_limit_set(l->pids, a->max_procs);
    }
    if (l->nofile_set) {
        setrlimit(RLIMIT_NOFILE, &l->saved_nofile);
        l->nofile_set = false;
    }
}

/* After the wait: whatever is left in the cgroup is killed, and the
 * cgroup removed. */
static void limits_end(const struct inject *a, struct limits *l)
{
    int r;

    limits_spawned(a, l);
    if (l->pids && (r = spf_pids_limit_destroy(l->pids)) < 0)
        spf__cli_warning("--max-procs: cannot remove the cgroup: %s",
                         strerror(-r));
    l->pids = NULL;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Whether the program has exited: on the pidfd, which leaves it to the
 * wait, else by collecting it (spf_proc_wait then returns its code). */
static bool program_exited(struct spf_proc *p)
{
    struct pollfd pfd = {.fd = child_pidfd, .events = POLLIN};
    int code;

    if (child_pidfd >= 0)
        return poll(&pfd, 1, 0) == 1;
    return spf_proc_poll(p, &code) != 0;
}

/* Copies what the pipe holds now, at most *left bytes, to our stdout.
 * Returns 0 when the pipe is empty and more may come, 1 when the copy is
 * over: *left reached 0, end of file, or a failure (our own stdout's
 * EPIPE silently, as a pipeline would). */
static int drain(int fd, uint64_t *left)
{
    static char buf[65536];

    while (*left > 0) {
        size_t want = *left < sizeof(buf) ? (size_t)*left : sizeof(buf);
        ssize_t n = read(fd, buf, want);
        int r;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0)
            spf__cli_warning("--close-stdout-after: reading the program's"
                             " stdout: %s",
                             strerror(errno));
        if (n <= 0)
            return 1;
        r = write_all(STDOUT_FILENO, buf, (size_t)n);
        if (r < 0 && r != -EPIPE)
            spf__cli_warning("--close-stdout-after: writing to stdout: %s",
                             strerror(-r));
        if (r < 0)
            return 1;
        *left -= (uint64_t)n;
    }
    return 1;
}

/*
 * --close-stdout-after: the first `left` bytes of the program's stdout go
 * to ours, then the read end is closed, so that the program's next write
 * fails with EPIPE, or SIGPIPE kills it, for real, as under `| head -c N`.
 * Nothing is read after the close.  The copy also ends once the program
 * has exited and the pipe is empty: a background process holding the
 * pipe open must not keep the launcher past the program's life.  Our own
 * SIGPIPE is ignored from here on (the program's was reset to the default
 * at its spawn), so that a closed stdout of ours ends the copy instead.
 */
static void copy_stdout(struct spf_proc *p, uint64_t left)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    int fd = spf_proc_pipe_fd(p, STDOUT_FILENO);
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
                            {.fd = child_pidfd, .events = POLLIN}};
    nfds_t n = child_pidfd >= 0 ? 2 : 1;
    bool exited = false;

    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, NULL);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    /* Without a pidfd, the program's exit is looked for every 50 ms. */
    while (drain(fd, &left) == 0 && !exited) {
        exited = program_exited(p);
        if (!exited && poll(pfd, n, n == 2 ? -1 : 50) < 0 && errno != EINTR)
            break;
    }
    spf_proc_close_pipe(p, STDOUT_FILENO);
}

/*
 * Spawn with the project's core and wait.  Returns 0 with the returncode
 * (the exit code, or -N for signal N), or the launcher's own exit status
 * after a message.  A signal that came before the spawn cancels it and
 * counts as the program's death.
 */
/*
 * Until the program exits (left for spf_proc_wait to reap): each time it
 * stops other than by the terminal's job control (the stop action, a
 * SIGSTOP from elsewhere), say so once, since the launcher then waits
 * with nothing to show for it.
 */
static void watch_stops(const struct inject *a, pid_t pid)
{
    for (;;) {
        siginfo_t si = {0};

        if (waitid(P_PID, (id_t)pid, &si,
                   WEXITED | WSTOPPED | WCONTINUED | WNOWAIT) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        /* A stop or a continue is taken, so that the next waitid reports
         * what comes after it; an end is left for spf_proc_wait. */
        if (si.si_code == CLD_CONTINUED) {
            waitid(P_PID, (id_t)pid, &si, WCONTINUED | WNOHANG);
        } else if (si.si_code == CLD_STOPPED) {
            waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOHANG);
            spf__cli_warning("%s (pid %d) is stopped by %s; waiting until"
                             " it is continued (kill -CONT %d) or ends",
                             a->cmd[0], (int)pid, spf_signal_name(si.si_status),
                             (int)pid);
        } else {
            return;
        }
    }
}

static int run(const struct inject *a, const struct env *e, int log_fd,
               int *ret_code)
{
    struct spf_str *argv = calloc(a->n_cmd, sizeof(*argv));
    struct spf_spawn_error err = {0};
    struct spf_popen_opts o;
    struct spf_proc *p;
    struct limits lim = {0};
    int r;

    if (!argv) {
        spf__cli_error("out of memory");
        return EXIT_BAD_INPUT;
    }
    for (size_t i = 0; i < a->n_cmd; i++)
        argv[i] = spf_str_c(a->cmd[i]);
    spf_popen_opts_init(&o);
    o.argv = argv;
    o.argc = a->n_cmd;
    o.env_replace = e->v != NULL;
    o.env = e->v;
    o.envc = e->n;
    /* Like env or timeout, the launcher hands on every fd it inherited
     * (make's jobserver, a caller's 5>file): close_fds is off.  The log
     * is close-on-exec everywhere but across this one spawn. */
    o.close_fds = false;
    if (a->close_stdout)
        o.std[STDOUT_FILENO].kind = SPF_STDIO_PIPE;
    if (pending_signal) {
        free(argv);
        *ret_code = -pending_signal;
        return 0;
    }
    if (limits_begin(a, &lim) < 0) {
        free(argv);
        limits_end(a, &lim);
        return EXIT_BAD_INPUT;
    }
    if (log_fd >= 0)
        fcntl(log_fd, F_SETFD, 0);
    r = spf_popen(&o, &p, &err);
    if (log_fd >= 0)
        fcntl(log_fd, F_SETFD, FD_CLOEXEC);
    limits_spawned(a, &lim);
    free(argv);
    if (r < 0) {
        r = spawn_status(a, &err);
        spf_spawn_error_clear(&err);
        limits_end(a, &lim);
        return r;
    }
    /* The pidfd is opened before the wait can reap the program, so it
     * names the program; pidfds are always close-on-exec. */
    child_pidfd = open_pidfd(spf_proc_pid(p));
    child_pid = spf_proc_pid(p);
    if (pending_signal)
        signal_child(pending_signal);
    if (a->close_stdout)
        copy_stdout(p, a->close_after);
    watch_stops(a, spf_proc_pid(p));
    r = spf_proc_wait(p, SPF_FOREVER, ret_code);
    child_pid = 0;
    if (child_pidfd >= 0) {
        close(child_pidfd);
        child_pidfd = -1;
    }
    if (r < 0) {
        spf__cli_error("waiting for %s: %s", a->cmd[0], spf_strerror(-r));
        spf_proc_kill(p);
    }
    spf_proc_free(p);
    limits_end(a, &lim);
    return r < 0 ? EXIT_BAD_INPUT : 0;
}

#if SPF_HAVE_SECCOMP
/* envp for execve, from the variables spf_popen would have taken. */
static char **env_strings(const struct env *e)
{
    char **envp = calloc(e->n + 1, sizeof(*envp));

    for (size_t i = 0; envp && i < e->n; i++)
        if (asprintf(&envp[i], "%.*s=%.*s", (int)e->v[i].name.len,
                     e->v[i].name.ptr, (int)e->v[i].value.len,
                     e->v[i].value.ptr) < 0)
            envp[i] = NULL;
    return envp;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/*
 * With seccomp rules, the program runs under the supervisor, which this
 * process becomes until the whole tree is gone; the preload's rules, if
 * any, apply as well (the two backends take different rules).  The log
 * fd is inherited for that one fork and exec.
 */
static int run_seccomp(const struct inject *a, const struct env *e, int log_fd,
                       int *ret_code)
{
    struct spf_fault_plan plan;
    struct spf_seccomp *ctx = NULL;
    struct limits lim = {0};
    char err[512], **envp = env_strings(e);
    int r, status = 0, stage = 0, stop[2] = {-1, -1};
    pid_t pid;

    if (!envp || spf_fault_plan_parse(a->plan, strlen(a->plan), &plan, err,
                                      sizeof(err)) < 0) {
        free_strings(envp, e->n);
        spf__cli_error("out of memory");
        return EXIT_BAD_INPUT;
    }
    plan.seed = a->seed;
    r = spf_seccomp_prepare(&plan, &ctx);
    if (r < 0) {
        spf__cli_error("the seccomp supervisor cannot start: %s%s",
                       strerror(-r),
                       r == -EOPNOTSUPP || r == -ENOSYS
                           ? " (this kernel has no seccomp user notification)"
                           : "");
        free_strings(envp, e->n);
        return EXIT_BAD_INPUT;
    }
    if (pending_signal || limits_begin(a, &lim) < 0) {
        limits_end(a, &lim);
        spf_seccomp_free(ctx);
        free_strings(envp, e->n);
        *ret_code = -pending_signal;
        return pending_signal ? 0 : EXIT_BAD_INPUT;
    }
    /* The program inherits the log only for a preload to write to; the
     * supervisor writes its own records. */
    if (log_fd >= 0 && preload_wanted(a))
        fcntl(log_fd, F_SETFD, 0);
    r = spf_seccomp_start(ctx, a->path, a->cmd, envp, &pid);
    if (log_fd >= 0)
        fcntl(log_fd, F_SETFD, FD_CLOEXEC);
    limits_spawned(a, &lim);
    if (r == 0 && pipe2(stop, O_CLOEXEC | O_NONBLOCK) == 0) {
        spf_seccomp_set_stop_fd(ctx, stop[0]);
        stop_wfd = stop[1];
    }
    if (r == 0) {
        child_pidfd = open_pidfd(pid);
        child_pid = pid;
        if (pending_signal)
            signal_child(pending_signal);
        r = spf_seccomp_supervise(ctx, pid, log_fd, &status, &stage);
        child_pid = 0;
        if (child_pidfd >= 0) {
            close(child_pidfd);
            child_pidfd = -1;
        }
    }
    stop_wfd = -1;
    for (int i = 0; i < 2; i++)
        if (stop[i] >= 0)
            close(stop[i]);
    /* A signal that came once the program had ended ends the launcher,
     * whether the supervisor saw the stop or the tree ended first. */
    if ((r == -ECANCELED || r == 0) && late_signal) {
        limits_end(a, &lim);
        spf_seccomp_free(ctx);
        free_strings(envp, e->n);
        *ret_code = -late_signal;
        return 0;
    }
    limits_end(a, &lim);
    spf_seccomp_free(ctx);
    free_strings(envp, e->n);
    if (r < 0) {
        spf__cli_error("cannot run %s: %s%s%s", a->path, strerror(-r),
                       stage == SPF_SECCOMP_STAGE_INSTALL
                           ? " (while installing the seccomp filter)"
                           : "",
                       max_fds_hint(a, -r));
        if (stage == SPF_SECCOMP_STAGE_EXEC)
            return r == -ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
        return EXIT_BAD_INPUT;
    }
    *ret_code = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
    return 0;
}
#endif

/* The preload writes "spf-fault error=..." when it could not use the
 * plan; everything else in the log is records, opaque here. */
static void report_log_errors(const char *text)
{
    static const char tag[] = "spf-fault error=";

    for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
        size_t n = strcspn(l, "\n");

        if (!strncmp(l, tag, sizeof(tag) - 1))
            spf__cli_warning("the preload refused the plan: %.*s",
                             (int)(n - sizeof(tag) + 1), l + sizeof(tag) - 1);
        if (l[n] == '\0')
            break;
    }
}

/* The fired records, to out_fd when there is one.  Returns 0 or 1 on a
 * failure already reported. */
static int write_log(const struct inject *a, int log_fd, int out_fd)
{
    uint64_t dropped = 0, torn = 0;
    char *text = NULL;
    int r =
        log_fd >= 0 ? spf_fault_log_read(log_fd, &text, &dropped, &torn) : 0;

    if (r < 0) {
        spf__cli_error("cannot read the fault log: %s", strerror(-r));
        return 1;
    }
    if (text)
        report_log_errors(text);
    if (dropped)
        spf__cli_warning("%" PRIu64 " fired faults did not fit in the log;"
                         " --count counts them all",
                         dropped);
    if (torn)
        spf__cli_warning("%" PRIu64 " log records were cut short by the"
                         " death of their writer",
                         torn);
    if (out_fd >= 0 && text && (r = write_all(out_fd, text, strlen(text))) < 0)
        spf__cli_error("--log %s: %s", a->log_path, strerror(-r));
    free(text);
    return r < 0;
}

/* One line per point reached or fired, then the totals, on stderr:
 * stdout is the program's. */
static int print_counts(int log_fd)
{
    uint64_t fired[SPF_CALL__COUNT][SPF_FAULT_SCOPES];
    uint64_t reached[SPF_CALL__COUNT][SPF_FAULT_SCOPES];
    uint64_t total_fired = 0, total_reached = 0;
    int r = 0;

    memset(fired, 0, sizeof(fired));
    memset(reached, 0, sizeof(reached));
    if (log_fd >= 0 && ((r = spf_fault_log_counts(log_fd, fired)) < 0 ||
                        (r = spf_fault_log_reached(log_fd, reached)) < 0)) {
        spf__cli_error("cannot read the fault counts: %s", strerror(-r));
        return 1;
    }
    for (int call = 0; call < SPF_CALL__COUNT; call++) {
        const uint64_t *n = reached[call];
        uint64_t f = fired[call][0] + fired[call][1] + fired[call][2];
        uint64_t all = n[0] + n[1] + n[2];

        if (all == 0 && f == 0)
            continue;
        total_fired += f;
        total_reached += all;
        fprintf(stderr,
                "spawnfault: count: %s reached %" PRIu64 " (parent %" PRIu64
                ", child %" PRIu64 ", exec %" PRIu64 "), fired %" PRIu64 "\n",
                spf_fault_call_name((enum spf_fault_call)call), all, n[0], n[1],
                n[2], f);
    }
    fprintf(stderr,
            "spawnfault: count: total reached %" PRIu64 ", fired %" PRIu64 "\n",
            total_reached, total_fired);
    return 0;
}

/* Rules that never fired are most often a misspelt point or a program
 * that does not make the call the user thinks (stdio buffers, a libc
 * that calls clone rather than fork): say so, and how to look. */
static void warn_if_idle(int log_fd)
{
    uint64_t fired[SPF_CALL__COUNT][SPF_FAULT_SCOPES];

    memset(fired, 0, sizeof(fired));
    if (spf_fault_log_counts(log_fd, fired) < 0)
        return;
    for (int call = 0; call < SPF_CALL__COUNT; call++)
        for (int scope = 0; scope < SPF_FAULT_SCOPES; scope++)
            if (fired[call][scope])
                return;
    spf__cli_warning("no rule fired; --count shows which points the program"
                     " reached");
}

/*
 * The program was killed by a signal: die of the same one, so that the
 * caller sees what it would have seen without us (a shell prints
 * "Killed", a script's loop stops at Ctrl-C).  Without a core file of our
 * own: the program's, if any, is the one worth reading.  Returns 128+N
 * only when the signal does not end us (SIGCHLD, SIGWINCH...).
 */
static int die_like(int sig)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    struct rlimit no_core = {0, 0};
    sigset_t set;

    fflush(NULL);
    setrlimit(RLIMIT_CORE, &no_core);
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return 128 + sig;
}

/* cmd[0] as execvp would find it along PATH, and its libc. */
static void resolve(struct inject *a)
{
    const char *path = getenv("PATH"), *name = a->cmd[0];

    snprintf(a->path, sizeof(a->path), "%s", name);
    if (strchr(name, '/') == NULL) {
        if (path == NULL)
            path = "/bin:/usr/bin";
        for (const char *p = path;; p++) {
            size_t n = strcspn(p, ":");
            char cand[sizeof(a->path)];

            if ((size_t)snprintf(cand, sizeof(cand), "%.*s/%s", (int)n,
                                 n ? p : ".", name) < sizeof(cand) &&
                access(cand, X_OK) == 0) {
                snprintf(a->path, sizeof(a->path), "%s", cand);
                break;
            }
            p += n;
            if (*p == '\0')
                break;
        }
    }
    a->libc = spf_fault_program_libc(a->path);
}

/*
 * The preload this program can load: the glibc build, or the musl one
 * beside it for a musl program.  NULL after a message when there is none,
 * or when the program is static, since a preload rule could then never
 * fire.
 */
static const char *pick_preload(const struct inject *a)
{
    static char musl[4096];
    const char *glibc = spf_harness_locate_preload(), *slash;

    if (!glibc) {
        spf__cli_error("cannot find the preload libspawnfault-preload.so"
                       " (set SPF_PRELOAD to its path)");
        return NULL;
    }
    if (a->libc == SPF_LIBC_STATIC && a->n_rules > a->n_seccomp) {
        spf__cli_error("%s is statically linked: no preload can enter it, so"
                       " its rules would never fire (give them"
                       " backend=seccomp)",
                       a->path);
        return NULL;
    }
    if (a->libc == SPF_LIBC_STATIC) {
        spf__cli_error("%s is statically linked: --count counts at the"
                       " preload, which cannot enter it",
                       a->path);
        return NULL;
    }
    if (a->libc != SPF_LIBC_MUSL)
        return glibc;
    slash = strrchr(glibc, '/');
    snprintf(musl, sizeof(musl), "%.*slibspawnfault-preload-musl.so",
             slash ? (int)(slash - glibc + 1) : 0, glibc);
    if (access(musl, R_OK) != 0) {
        spf__cli_error("%s is a musl program, and the musl build of the"
                       " preload (%s) is missing: build with musl-tools"
                       " installed",
                       a->path, musl);
        return NULL;
    }
    return musl;
}

/* From parsed arguments to the program's returncode, or our own status. */
static int inject(struct inject *a, int out_fd, int *ret_code)
{
    bool need_preload = preload_wanted(a);
    const char *preload = NULL;
    struct env e = {0};
    int log_fd = -1, r, bad;

    if (a->close_stdout && a->n_seccomp > 0) {
        spf__cli_error("--close-stdout-after: not with backend=seccomp rules"
                       " (the supervisor starts the program itself, with"
                       " no pipe for its stdout)");
        return EXIT_BAD_INPUT;
    }
    resolve(a);
    if (need_preload && !(preload = pick_preload(a)))
        return EXIT_BAD_INPUT;
    if (preload && strpbrk(preload, " :")) {
        spf__cli_error("the preload's path %s holds a blank or a ':', which"
                       " LD_PRELOAD cannot carry",
                       preload);
        return EXIT_BAD_INPUT;
    }
    if ((a->n_rules || a->count) && (log_fd = create_log()) < 0)
        return EXIT_BAD_INPUT;
    if (make_env(a, preload, log_fd, &e) < 0) {
        spf__cli_error("out of memory");
        r = EXIT_BAD_INPUT;
    } else if (a->n_seccomp > 0) {
#if SPF_HAVE_SECCOMP
        r = run_seccomp(a, &e, log_fd, ret_code);
#else
        r = EXIT_BAD_INPUT; /* refused when the rules were compiled */
#endif
    } else {
        r = run(a, &e, log_fd, ret_code);
    }
    bad = write_log(a, log_fd, out_fd);
    if (a->count)
        bad |= print_counts(log_fd);
    else if (r == 0 && a->n_rules)
        warn_if_idle(log_fd);
    free(e.v);
    free(e.preload);
    if (log_fd >= 0)
        close(log_fd);
    return r ? r : bad ? EXIT_BAD_INPUT : 0;
}

int spf__cli_inject(int argc, char **argv)
{
    struct inject *a = calloc(1, sizeof(*a));
    int code = 0, out_fd = -1, r = EXIT_BAD_INPUT;

    if (!a) {
        spf__cli_error("out of memory");
        return EXIT_BAD_INPUT;
    }
    catch_signals();
    if (parse_args(argc, argv, a) == 0 && compile(a) == 0 &&
        (out_fd = open_log_file(a->log_path)) != -2)
        r = inject(a, out_fd, &code);
    if (out_fd > STDERR_FILENO && close(out_fd) < 0 && r == 0) {
        spf__cli_error("--log %s: %s", a->log_path, strerror(errno));
        r = EXIT_BAD_INPUT;
    }
    free(a->specs);
    free(a);
    if (r != 0)
        return r;
    return code < 0 ? die_like(-code) : code;
}
