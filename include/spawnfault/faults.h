/*
 * spawnfault faults: the fault model shared by the launcher (which compiles
 * rules) and the preload library (which enforces them inside the target).
 *
 * Everything declared here is async-signal-safe and allocation-free, so the
 * preload can use it between fork and exec: no malloc, no stdio, no locks.
 *
 * A plan travels to the target as text in the environment (SPF_FAULTS), in
 * the rule language below; fired faults come back as one text line each,
 * written with a single write(2) to the fd named by SPF_FAULT_LOG_FD.
 *
 *   plan    := rule { ';' rule }
 *   rule    := point [ '@' scope ] [ '#' trigger ] [ '%' prob ]
 *              [ '?' pred { '&' pred } ] [ '!' backend ] '=' action
 *   pred    := fd=N | kind=(file|pipe|socket|tty|char|dir|other)
 *            | path=GLOB | exe=GLOB
 *   point   := spawn/exec | spawn/fork | spawn/fork/fork | spawn/fork/vfork
 *            | fd/pipe | fd/dup | fd/close | io/read | io/write | io/poll
 *            | proc/wait | proc/kill | proc/chdir | proc/setsid
 *            | proc/setpgid | sig/mask | spawn | fd | io | proc | sig
 *              (aliases: execve fork vfork pipe2 dup2 chdir read write
 *               poll waitpid close kill setsid setpgid sigprocmask)
 *   scope   := where { '+' where }      where := parent | child | exec
 *              (default parent+child: the spawner and its child before exec)
 *   trigger := [ ( process | thread | tree ) ':' ] ( '*' | range { ',' range }
 * ) range   := FIRST [ '..' [ LAST ] ] [ '+' STEP ]   (1-based call numbers)
 *   prob    := a decimal in [0, 1], drawn per call from the plan's seed
 *   backend := preload | seccomp
 *   action  := ERRNO-NAME | errno:any | short:( K | half | rand )
 *            | delay:( DURATION | rand ) | signal:SIGNAME | stop | kill
 *            | succeed
 *
 * Example: "spawn/exec@child#1=ENOENT;io/write@parent#*=short:1;
 * io/read#2=signal:SIGALRM;spawn/fork#tree:3..%0.5=EAGAIN".
 */
#ifndef SPAWNFAULT_FAULTS_H
#define SPAWNFAULT_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The points.  The leaves (below SPF_CALL__COUNT) are what a wrapper or a
 * notification reports, each covering a family of functions (see
 * faults/README.md); the families above it name several leaves at once,
 * by the prefix of their hierarchical names: "spawn/fork" is
 * "spawn/fork/fork" and "spawn/fork/vfork".  A rule names any point;
 * a record always names a leaf.  Leaves keep their numbers: append only.
 */
enum spf_fault_call {
    SPF_CALL_EXECVE = 0, /* spawn/exec: execve, execv*, execl*, fexecve */
    SPF_CALL_FORK,       /* spawn/fork/fork: fork, clone without VFORK */
    SPF_CALL_VFORK,      /* spawn/fork/vfork: vfork, clone with VFORK */
    SPF_CALL_PIPE2,      /* fd/pipe: pipe, pipe2 */
    SPF_CALL_DUP2,       /* fd/dup: dup, dup2, dup3 */
    SPF_CALL_CHDIR,      /* proc/chdir: chdir, fchdir */
    SPF_CALL_READ,       /* io/read: read */
    SPF_CALL_WRITE,      /* io/write: write */
    SPF_CALL_POLL,       /* io/poll: poll, ppoll */
    SPF_CALL_WAITPID,    /* proc/wait: waitpid, wait4, wait */
    SPF_CALL_CLOSE,      /* fd/close: close */
    SPF_CALL_KILL,       /* proc/kill: kill */
    SPF_CALL_SETSID,     /* proc/setsid: setsid */
    SPF_CALL_SETPGID,    /* proc/setpgid: setpgid */
    SPF_CALL_SIGMASK,    /* sig/mask: sigprocmask, pthread_sigmask */
    SPF_CALL__COUNT,
    /* Families: never in a record. */
    SPF_POINT_SPAWN_FORK = SPF_CALL__COUNT, /* spawn/fork */
    SPF_POINT_SPAWN,                        /* spawn */
    SPF_POINT_FD,                           /* fd */
    SPF_POINT_IO,                           /* io */
    SPF_POINT_PROC,                         /* proc */
    SPF_POINT_SIG,                          /* sig */
    SPF_POINT__COUNT
};

/* The leaves a point covers, one bit per enum spf_fault_call; 0 for a
 * value that is no point. */
uint32_t spf_fault_point_leaves(enum spf_fault_call point);

/* Where a rule applies: a bit set. */
enum spf_fault_scope {
    SPF_SCOPE_PARENT = 1u << 0, /* the process the plan was armed in */
    SPF_SCOPE_CHILD = 1u << 1,  /* its children, between fork and exec */
    SPF_SCOPE_EXEC = 1u << 2,   /* programs exec'd by those children */
};
#define SPF_SCOPE_DEFAULT (SPF_SCOPE_PARENT | SPF_SCOPE_CHILD)

enum spf_fault_action {
    SPF_ACTION_ERRNO = 0, /* fail with .err (or a seeded pick: .err_any) */
    SPF_ACTION_SHORT,     /* transfer fewer bytes: see enum spf_fault_short */
    SPF_ACTION_DELAY,     /* sleep .delay_ns (or a seeded time), then call */
    SPF_ACTION_SIGNAL,    /* send .sig to the calling thread; EINTR if a
                             handler without SA_RESTART ran, else call */
    SPF_ACTION_STOP,      /* SIGSTOP the calling process, then call */
    SPF_ACTION_KILL,      /* SIGKILL the calling process */
    SPF_ACTION_SUCCEED,   /* return success without calling */
    SPF_ACTION__COUNT
};

enum spf_fault_short {
    SPF_SHORT_FIXED = 0, /* at most .short_max bytes */
    SPF_SHORT_HALF,      /* half the count, at least 1 */
    SPF_SHORT_RAND,      /* a seeded count from 1 to count - 1 */
};

/* What a trigger's call numbers count. */
enum spf_fault_count {
    SPF_COUNT_PROCESS = 0, /* the calling process's calls */
    SPF_COUNT_THREAD,      /* the calling thread's */
    SPF_COUNT_TREE,        /* every process of the tree's, together */
};

/* What an fd is, for the kind= predicate. */
enum spf_fault_fd_kind {
    SPF_FD_ANY = 0, /* in a rule: any; in a site: not known */
    SPF_FD_FILE,    /* a regular file */
    SPF_FD_PIPE,    /* a pipe or FIFO */
    SPF_FD_SOCKET,
    SPF_FD_TTY,  /* a character device that is a terminal */
    SPF_FD_CHAR, /* another character device (/dev/null...) */
    SPF_FD_DIR,
    SPF_FD_OTHER,
    SPF_FD__COUNT
};

/* Room for a glob of the path= and exe= predicates, NUL included. */
#define SPF_FAULT_GLOB_MAX 64

/* Which mechanism enforces a rule. */
enum spf_fault_backend {
    SPF_BACKEND_PRELOAD = 0, /* the LD_PRELOAD library */
    SPF_BACKEND_SECCOMP,     /* the seccomp user-notification supervisor */
};

#define SPF_FAULT_MAX_RULES 32
#define SPF_FAULT_MAX_RANGES 8

/* Room for a plan's text, as the launcher passes it in the environment. */
#define SPF_FAULT_PLAN_TEXT_MAX 8192

/* The highest call number a trigger may name: UINT32_MAX means "open". */
#define SPF_FAULT_CALL_MAX (UINT32_MAX - 1)

/* Bounds of a seeded delay (delay:rand), drawn log-uniformly. */
#define SPF_FAULT_DELAY_RAND_MIN_NS 1000000ull    /* 1 ms */
#define SPF_FAULT_DELAY_RAND_MAX_NS 2000000000ull /* 2 s */
/* The longest fixed delay a rule may ask for: one hour. */
#define SPF_FAULT_DELAY_MAX_NS 3600000000000ull

struct spf_fault_range {
    uint32_t first; /* >= 1 */
    uint32_t last;  /* >= first; UINT32_MAX: open-ended */
    uint32_t step;  /* >= 1 */
};

struct spf_fault_rule {
    enum spf_fault_call call; /* the point: a leaf or a family */
    unsigned scope;           /* SPF_SCOPE_* bits, never 0 */
    bool every;               /* trigger '*': every call */
    struct spf_fault_range ranges[SPF_FAULT_MAX_RANGES];
    size_t n_ranges;
    enum spf_fault_count count; /* what the trigger counts */
    uint32_t prob_ppm;          /* 1000000: always */
    enum spf_fault_backend backend;
    enum spf_fault_action action;
    int err;                        /* SPF_ACTION_ERRNO */
    bool err_any;                   /* ERRNO: seeded pick of a valid errno */
    enum spf_fault_short short_how; /* SPF_ACTION_SHORT */
    uint32_t short_max;             /* SPF_SHORT_FIXED */
    uint64_t delay_ns;              /* SPF_ACTION_DELAY; 0 with delay_rand */
    bool delay_rand;                /* DELAY: seeded, log-uniform */
    int sig;                        /* SPF_ACTION_SIGNAL */
    /* Predicates ('?'): the rule matches only calls that satisfy all. */
    bool pred_fd_set;                   /* fd=N given: */
    int pred_fd;                        /*   N */
    enum spf_fault_fd_kind pred_kind;   /* kind=pipe...; ANY: any */
    char pred_path[SPF_FAULT_GLOB_MAX]; /* path=GLOB; "": any */
    char pred_exe[SPF_FAULT_GLOB_MAX];  /* exe=GLOB: the program's name */
};

struct spf_fault_plan {
    struct spf_fault_rule rules[SPF_FAULT_MAX_RULES];
    size_t n_rules;
    uint64_t seed; /* with the stream, keys every probability draw */
    uint64_t stream;
};

/* Names of calls and errnos, and back.  Unknown names give -EINVAL. */
const char *spf_fault_call_name(enum spf_fault_call call);
int spf_fault_call_from_name(const char *name, size_t len);
const char *spf_errno_name(int err); /* "ENOENT"; NULL if unknown */
int spf_errno_from_name(const char *name, size_t len);

/* "parent", "child", "exec" for one SPF_SCOPE_* bit (NULL otherwise), and
 * back (-EINVAL if unknown). */
const char *spf_fault_scope_name(unsigned scope);
int spf_fault_scope_from_name(const char *name, size_t len);

/* "errno", "short", "delay", "signal", "stop", "kill", "succeed"; NULL
 * for a value outside the enum. */
const char *spf_fault_action_name(enum spf_fault_action action);

/* Standard signal names (SIGHUP .. SIGSYS), and back; -EINVAL if
 * unknown. */
const char *spf_fault_signal_name(int sig);
int spf_fault_signal_from_name(const char *name, size_t len);

/*
 * Whether the point can really fail with err (its man page lists it, for
 * every leaf of a family), can transfer fewer bytes than asked (read,
 * write), and can be faked to succeed without being done (close, kill,
 * setsid, setpgid, sigprocmask, chdir, write).
 */
bool spf_fault_errno_valid(enum spf_fault_call call, int err);
bool spf_fault_can_be_short(enum spf_fault_call call);
bool spf_fault_can_succeed(enum spf_fault_call call);

/*
 * Parse a plan from text (len bytes, no NUL needed).  Returns 0 and fills
 * *ret_plan (seed and stream are left zero), or -EINVAL and writes a
 * message naming the offending rule and field to errbuf (errlen bytes).
 * An errno that the call cannot return is rejected.
 */
int spf_fault_plan_parse(const char *text, size_t len,
                         struct spf_fault_plan *ret_plan, char *errbuf,
                         size_t errlen);

/*
 * Parse one action, as written after a rule's '=' ("ENOENT", "delay:5ms"),
 * for rule->call, into the action fields of *rule (left untouched on
 * error).  Returns 0, or -EINVAL with a message that names the action but
 * no rule, for callers that say themselves where it came from.
 */
int spf_fault_action_parse(struct spf_fault_rule *rule, const char *text,
                           size_t len, char *errbuf, size_t errlen);

/* Write the plan's rules back as text.  Returns the length, or -ENOSPC. */
int spf_fault_plan_format(const struct spf_fault_plan *plan, char *buf,
                          size_t len);

/* The leaves some rule of the backend names (bits of enum spf_fault_call):
 * the calls an enforcer must count. */
uint32_t spf_fault_plan_leaves(const struct spf_fault_plan *plan,
                               enum spf_fault_backend backend);

/* Whether some rule of the backend counts calls of the whole tree. */
bool spf_fault_plan_counts_tree(const struct spf_fault_plan *plan,
                                enum spf_fault_backend backend);

/*
 * A call being decided.  The counts are indexed by leaf and already
 * include this call; a rule naming a family sums the counts of its leaves,
 * so "spawn/fork#2" is the second fork or vfork, whichever it was.
 */
struct spf_fault_site {
    enum spf_fault_call call; /* the leaf being called */
    unsigned scope;           /* a single SPF_SCOPE_* bit */
    enum spf_fault_backend backend;
    const uint32_t *process; /* the calling process's counts */
    const uint32_t *thread;  /* the calling thread's; NULL: as process */
    const uint64_t *tree;    /* the tree's; NULL: tree rules never fire */
    uint64_t count;          /* bytes asked for, for a short transfer */
    /* What predicates look at; a rule whose predicate has nothing to look
     * at does not match. */
    int fd;                      /* the call's fd, or -1 */
    enum spf_fault_fd_kind kind; /* what fd is; ANY: not looked at */
    const char *path;            /* an exec's or chdir's path, or NULL */
    const char *exe;             /* the caller's program name, or NULL */
    /* Which process calls, the same in every run: 0 for the root, and
     * spf_fault_child_id(parent, k) for the k-th child a process makes.
     * Draws of rules that count per process or thread mix it in, so that
     * call n of one child and call n of another draw apart. */
    uint64_t proc;
};

/* The identity of the k-th child (1-based) made by process parent: never
 * 0, the root's.  Pure. */
uint64_t spf_fault_child_id(uint64_t parent, uint64_t k);

/* Which predicates a point takes: bits of SPF_PRED_*. */
#define SPF_PRED_FD (1u << 0)   /* fd= and kind= */
#define SPF_PRED_PATH (1u << 1) /* path= */
#define SPF_PRED_EXE (1u << 2)  /* exe=, every point */
unsigned spf_fault_point_predicates(enum spf_fault_call point);

/* Whether some rule of the backend has the predicate (SPF_PRED_* bits,
 * and SPF_PRED_KIND for kind=), so an enforcer looks it up only then. */
#define SPF_PRED_KIND (1u << 3)
unsigned spf_fault_plan_predicates(const struct spf_fault_plan *plan,
                                   enum spf_fault_backend backend);

/* "pipe", "file"... and back (-EINVAL). */
const char *spf_fault_fd_kind_name(enum spf_fault_fd_kind kind);
int spf_fault_fd_kind_from_name(const char *name, size_t len);

/* The kind of an fd from its st_mode, and isatty's answer for a
 * character device. */
enum spf_fault_fd_kind spf_fault_fd_kind_of(unsigned mode, bool tty);

/* Shell-style glob match of *, ? and plain bytes (no classes); '/' is
 * matched by * like any byte.  Async-signal-safe. */
bool spf_fault_glob(const char *glob, const char *s);

/* What to do, with every seeded choice already made. */
struct spf_fault_hit {
    int rule;   /* index in the plan */
    uint32_t n; /* the call number the rule's trigger matched */
    enum spf_fault_action action;
    int err;           /* ERRNO: the errno to fail with */
    uint64_t bytes;    /* SHORT: how many to transfer, 1 <= bytes < count */
    uint64_t delay_ns; /* DELAY */
    int sig;           /* SIGNAL */
};

/*
 * The first rule of the site's backend that fires for this call: returns
 * its index and fills *ret_hit, or returns -1.  A short rule does not fire
 * on a transfer of fewer than two bytes (nothing shorter is possible but
 * zero, which reads as end of file).  Pure: the result depends only on the
 * arguments and the plan's seed, so a run replays exactly.
 */
int spf_fault_decide(const struct spf_fault_plan *plan,
                     const struct spf_fault_site *site,
                     struct spf_fault_hit *ret_hit);

/* One fired fault, as logged. */
struct spf_fault_record {
    pid_t pid;
    pid_t tid;
    uint64_t t_ns;  /* CLOCK_MONOTONIC when it fired */
    unsigned scope; /* a single SPF_SCOPE_* bit */
    enum spf_fault_call call;
    uint32_t n;
    enum spf_fault_action action;
    int err;           /* ERRNO; SIGNAL: EINTR if the call was cut, or 0 */
    uint64_t want;     /* SHORT: bytes asked for */
    uint64_t got;      /* SHORT: bytes transferred (-1: failed) */
    uint64_t delay_ns; /* DELAY */
    int sig;           /* SIGNAL */
};

/* Format a record as one line ending in '\n'.  Returns the length or
 * -ENOSPC.  SPF_FAULT_RECORD_MAX bytes always suffice. */
#define SPF_FAULT_RECORD_MAX 256
int spf_fault_record_format(const struct spf_fault_record *r, char *buf,
                            size_t len);

/* Parse one line (without its '\n').  Returns 0 or -EINVAL. */
int spf_fault_record_parse(const char *line, size_t len,
                           struct spf_fault_record *ret);

/*
 * The shared log.  A launcher creates it with spf_fault_log_create() and
 * names its fd in SPF_FAULT_LOG_FD; the preload maps it once at load, so
 * every process of the tree appends to the same memory whatever fds the
 * code under test closes (a child's close_fds closes the fd itself long
 * before exec).  Each record is reserved with one atomic add and copied in.
 * An fd that is not such a log (a terminal, a file) gets one write(2) per
 * record instead.  The header also holds the tree's call counts, which
 * tree-counting rules read, and the reach counts of count mode.
 */
#define SPF_FAULT_LOG_MAGIC "SPFLOG3"
#define SPF_FAULT_SCOPES 3 /* parent, child, exec: a scope bit's index */
struct spf_fault_log_header {
    char magic[8];     /* SPF_FAULT_LOG_MAGIC */
    uint64_t capacity; /* bytes of records after the header */
    uint64_t used;     /* bytes reserved; may exceed capacity */
    uint64_t dropped;  /* records that did not fit */
    /* Every fired fault, whether its record fit or not, by call and by
     * the index of its scope bit (0 parent, 1 child, 2 exec). */
    uint64_t counts[SPF_CALL__COUNT][SPF_FAULT_SCOPES];
    /* Calls made by the whole tree, by leaf, for SPF_COUNT_TREE. */
    uint64_t tree[SPF_CALL__COUNT];
    /* Calls reached while counting (SPF_FAULT_COUNT), by leaf and scope. */
    uint64_t reached[SPF_CALL__COUNT][SPF_FAULT_SCOPES];
    /* The plan, when the launcher keeps it here (spf_fault_log_set_plan)
     * instead of in SPF_FAULTS: every process of the tree reads this one
     * copy at each call, so a change reaches them all at their next call.
     * A sequence lock guards it: odd while it is being written. */
    uint32_t plan_seq;
    uint32_t plan_set;       /* 1 once a plan was written */
    uint32_t plan_leaves[2]; /* spf_fault_plan_leaves, by backend */
    uint32_t plan_tree[2];   /* spf_fault_plan_counts_tree, by backend */
    struct spf_fault_plan plan;
};

/* A new log memfd (close-on-exec) with room for capacity bytes of
 * records.  Returns the fd or -errno.  Not async-signal-safe. */
int spf_fault_log_create(size_t capacity);

/* The records written so far: a malloc'd, NUL-terminated copy of the
 * complete lines (a record still being written, or torn by a writer's
 * death, is left out and counted in *ret_torn), and how many records did
 * not fit.  Returns 0 or -errno.  Not async-signal-safe. */
int spf_fault_log_read(int fd, char **ret_text, uint64_t *ret_dropped,
                       uint64_t *ret_torn);

/* How many faults fired in all, by call and scope index (see the header):
 * exact even when records were dropped.  Returns 0 or -errno. */
int spf_fault_log_counts(int fd,
                         uint64_t ret[SPF_CALL__COUNT][SPF_FAULT_SCOPES]);

/* Puts plan in the log's header, for every process of the tree to use
 * from its next call on; the preload then ignores SPF_FAULTS.  A log with
 * a plan propagates the preload to exec'd programs (they may be given an
 * exec-scope rule later).  Call it before the target starts, and again
 * whenever the rules must change.  Returns 0 or -errno.  Not
 * async-signal-safe. */
int spf_fault_log_set_plan(int fd, const struct spf_fault_plan *plan);

/* How often each call was reached in count mode, by call and scope index.
 * Returns 0 or -errno. */
int spf_fault_log_reached(int fd,
                          uint64_t ret[SPF_CALL__COUNT][SPF_FAULT_SCOPES]);

/* The C library a program file runs with, by its ELF interpreter. */
enum spf_libc {
    SPF_LIBC_UNKNOWN = 0, /* not an ELF file we can read, or another loader */
    SPF_LIBC_GLIBC,       /* ld-linux*.so.* */
    SPF_LIBC_MUSL,        /* ld-musl-*.so.1 */
    SPF_LIBC_STATIC,      /* no interpreter: LD_PRELOAD means nothing to it */
};

/* Reads the program headers of the file at path (opened read-only,
 * close-on-exec, and closed again).  Async-signal-safe: open, the pread64
 * system call and close only. */
enum spf_libc spf_fault_program_libc(const char *path);

/* Environment variables read by the preload. */
#define SPF_ENV_FAULTS "SPF_FAULTS"             /* the plan, as text */
#define SPF_ENV_FAULT_SEED "SPF_FAULT_SEED"     /* "SEED:STREAM", hex */
#define SPF_ENV_FAULT_LOG_FD "SPF_FAULT_LOG_FD" /* decimal fd */
/* "1": count every point reached, in the shared log's reach counts. */
#define SPF_ENV_FAULT_COUNT "SPF_FAULT_COUNT"
/* The identity (spf_fault_site.proc, hex) of the process that exec'd: set
 * by the preload for the exec'd programs of the exec scope. */
#define SPF_ENV_FAULT_ID "SPF_FAULT_ID"
/* What exec'd programs inherit: "all" (the preload built for their libc;
 * the default), "libc" (the preload only when their libc is the root's;
 * the others run without it) or "none" (no exec'd program gets it, so
 * exec-scope rules and counting stop at exec). */
#define SPF_ENV_FAULT_INHERIT "SPF_FAULT_INHERIT"

/*
 * Symbols the preload exports.  A launcher-side program finds them with
 * dlsym(RTLD_DEFAULT, ...): counting and faults start at arm (counters
 * reset) and stop at disarm, so the program's own set-up and reporting are
 * never faulted.  Programs exec'd in SPF_SCOPE_EXEC are armed at load.
 */
#define SPF_FAULT_ARM_SYMBOL "spf_fault_arm"
#define SPF_FAULT_DISARM_SYMBOL "spf_fault_disarm"
typedef void spf_fault_switch_fn(void);

#ifdef __cplusplus
}
#endif

#endif
