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
 *   rule    := call [ '@' scope ] [ '#' trigger ] [ '%' prob ] '=' action
 *   call    := execve | fork | vfork | pipe2 | dup2 | chdir | read | write
 *            | poll | waitpid
 *   scope   := where { '+' where }      where := parent | child | exec
 *              (default parent+child: the spawner and its child before exec)
 *   trigger := '*' | range { ',' range }
 *   range   := FIRST [ '..' [ LAST ] ] [ '+' STEP ]   (1-based call numbers)
 *   prob    := a decimal in [0, 1], drawn per call from the plan's seed
 *   action  := ERRNO-NAME | 'short:' K        (K >= 1 bytes, read/write only)
 *
 * Example: "execve@child#1=ENOENT;write@parent#*=short:1;read#2=EINTR".
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

/* The wrapped calls.  A name covers its family (see faults/README.md). */
enum spf_fault_call {
    SPF_CALL_EXECVE = 0, /* execve, execv, execvp, execvpe, execl*, fexecve */
    SPF_CALL_FORK,       /* fork, clone without CLONE_VFORK */
    SPF_CALL_VFORK,      /* vfork, clone with CLONE_VFORK */
    SPF_CALL_PIPE2,      /* pipe, pipe2 */
    SPF_CALL_DUP2,       /* dup2, dup3 */
    SPF_CALL_CHDIR,      /* chdir, fchdir */
    SPF_CALL_READ,       /* read */
    SPF_CALL_WRITE,      /* write */
    SPF_CALL_POLL,       /* poll, ppoll */
    SPF_CALL_WAITPID,    /* waitpid, wait4, wait */
    SPF_CALL__COUNT
};

/* Where a rule applies: a bit set. */
enum spf_fault_scope {
    SPF_SCOPE_PARENT = 1u << 0, /* the process the plan was armed in */
    SPF_SCOPE_CHILD = 1u << 1,  /* its children, between fork and exec */
    SPF_SCOPE_EXEC = 1u << 2,   /* programs exec'd by those children */
};
#define SPF_SCOPE_DEFAULT (SPF_SCOPE_PARENT | SPF_SCOPE_CHILD)

enum spf_fault_action {
    SPF_ACTION_ERRNO = 0, /* fail with .err */
    SPF_ACTION_SHORT,     /* transfer at most .short_max bytes (>= 1) */
};

#define SPF_FAULT_MAX_RULES 32
#define SPF_FAULT_MAX_RANGES 8

/* Room for a plan's text, as the launcher passes it in the environment. */
#define SPF_FAULT_PLAN_TEXT_MAX 8192

/* The highest call number a trigger may name: UINT32_MAX means "open". */
#define SPF_FAULT_CALL_MAX (UINT32_MAX - 1)

struct spf_fault_range {
    uint32_t first; /* >= 1 */
    uint32_t last;  /* >= first; UINT32_MAX: open-ended */
    uint32_t step;  /* >= 1 */
};

struct spf_fault_rule {
    enum spf_fault_call call;
    unsigned scope; /* SPF_SCOPE_* bits, never 0 */
    bool every;     /* trigger '*': every call */
    struct spf_fault_range ranges[SPF_FAULT_MAX_RANGES];
    size_t n_ranges;
    uint32_t prob_ppm; /* 1000000: always */
    enum spf_fault_action action;
    int err;            /* SPF_ACTION_ERRNO */
    uint32_t short_max; /* SPF_ACTION_SHORT */
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

/* Whether err is one the call can really return (from its man page), and
 * whether the call can transfer fewer bytes than asked. */
bool spf_fault_errno_valid(enum spf_fault_call call, int err);
bool spf_fault_can_be_short(enum spf_fault_call call);

/*
 * Parse a plan from text (len bytes, no NUL needed).  Returns 0 and fills
 * *ret_plan (seed and stream are left zero), or -EINVAL and writes a
 * message naming the offending rule and field to errbuf (errlen bytes).
 * An errno that the call cannot return is rejected.
 */
int spf_fault_plan_parse(const char *text, size_t len,
                         struct spf_fault_plan *ret_plan, char *errbuf,
                         size_t errlen);

/* Write the plan's rules back as text.  Returns the length, or -ENOSPC. */
int spf_fault_plan_format(const struct spf_fault_plan *plan, char *buf,
                          size_t len);

/*
 * The decision for call number n (1-based, counted per process and per
 * call) of `call` in `scope`: returns the index of the first rule that fires,
 * or -1.  Pure: depends only on its arguments, so a run replays exactly.
 */
int spf_fault_decide(const struct spf_fault_plan *plan,
                     enum spf_fault_call call, unsigned scope, uint32_t n);

/* One fired fault, as logged. */
struct spf_fault_record {
    pid_t pid;
    unsigned scope; /* a single SPF_SCOPE_* bit */
    enum spf_fault_call call;
    uint32_t n;
    enum spf_fault_action action;
    int err;       /* SPF_ACTION_ERRNO */
    uint64_t want; /* SPF_ACTION_SHORT: bytes asked for */
    uint64_t got;  /* SPF_ACTION_SHORT: bytes transferred (-1: failed) */
};

/* Format a record as one line ending in '\n'.  Returns the length or
 * -ENOSPC.  SPF_FAULT_RECORD_MAX bytes always suffice. */
#define SPF_FAULT_RECORD_MAX 160
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
 * record instead.
 */
#define SPF_FAULT_LOG_MAGIC "SPFLOG2"
#define SPF_FAULT_SCOPES 3 /* parent, child, exec: a scope bit's index */
struct spf_fault_log_header {
    char magic[8];     /* SPF_FAULT_LOG_MAGIC */
    uint64_t capacity; /* bytes of records after the header */
    uint64_t used;     /* bytes reserved; may exceed capacity */
    uint64_t dropped;  /* records that did not fit */
    /* Every fired fault, whether its record fit or not, by call and by
     * the index of its scope bit (0 parent, 1 child, 2 exec). */
    uint64_t counts[SPF_CALL__COUNT][SPF_FAULT_SCOPES];
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

/* Environment variables read by the preload. */
#define SPF_ENV_FAULTS "SPF_FAULTS"             /* the plan, as text */
#define SPF_ENV_FAULT_SEED "SPF_FAULT_SEED"     /* "SEED:STREAM", hex */
#define SPF_ENV_FAULT_LOG_FD "SPF_FAULT_LOG_FD" /* decimal fd */

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
