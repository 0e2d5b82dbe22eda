/*
 * The fault model: names of calls and errnos, the errnos each call can
 * really return, the plan language (parse and format), the decision
 * function and the log records.
 *
 * The preload runs all of this, some of it in a child between vfork and
 * exec, so the whole file stays async-signal-safe: no allocation, no stdio
 * (snprintf may take locale locks), no locks, and no state besides constant
 * tables.  Text is built with the small writer below instead.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <spawnfault/faults.h>

#include "text.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PPM_ALWAYS 1000000u
#define OPEN_END UINT32_MAX
_Static_assert(SPF_FAULT_CALL_MAX == OPEN_END - 1, "call numbers end below");
#define ALL_SCOPES                                                             \
    ((unsigned)(SPF_SCOPE_PARENT | SPF_SCOPE_CHILD | SPF_SCOPE_EXEC))

#define LEAF(c) (1u << (c))

/*
 * Every point, in enum order, with the leaves it covers.  A family's
 * leaves are exactly those whose names start with its name and a '/':
 * test_model checks it, so the table cannot drift from the hierarchy.
 */
static const struct point_row {
    const char *name;
    uint32_t leaves;
} points[SPF_POINT__COUNT] = {
    [SPF_CALL_EXECVE] = {"spawn/exec", LEAF(SPF_CALL_EXECVE)},
    [SPF_CALL_FORK] = {"spawn/fork/fork", LEAF(SPF_CALL_FORK)},
    [SPF_CALL_VFORK] = {"spawn/fork/vfork", LEAF(SPF_CALL_VFORK)},
    [SPF_CALL_PIPE2] = {"fd/pipe", LEAF(SPF_CALL_PIPE2)},
    [SPF_CALL_DUP2] = {"fd/dup", LEAF(SPF_CALL_DUP2)},
    [SPF_CALL_CHDIR] = {"proc/chdir", LEAF(SPF_CALL_CHDIR)},
    [SPF_CALL_READ] = {"io/read", LEAF(SPF_CALL_READ)},
    [SPF_CALL_WRITE] = {"io/write", LEAF(SPF_CALL_WRITE)},
    [SPF_CALL_POLL] = {"io/poll", LEAF(SPF_CALL_POLL)},
    [SPF_CALL_WAITPID] = {"proc/wait", LEAF(SPF_CALL_WAITPID)},
    [SPF_CALL_CLOSE] = {"fd/close", LEAF(SPF_CALL_CLOSE)},
    [SPF_CALL_KILL] = {"proc/kill", LEAF(SPF_CALL_KILL)},
    [SPF_CALL_SETSID] = {"proc/setsid", LEAF(SPF_CALL_SETSID)},
    [SPF_CALL_SETPGID] = {"proc/setpgid", LEAF(SPF_CALL_SETPGID)},
    [SPF_CALL_SIGMASK] = {"sig/mask", LEAF(SPF_CALL_SIGMASK)},
    [SPF_POINT_SPAWN_FORK] = {"spawn/fork",
                              LEAF(SPF_CALL_FORK) | LEAF(SPF_CALL_VFORK)},
    [SPF_POINT_SPAWN] = {"spawn", LEAF(SPF_CALL_EXECVE) | LEAF(SPF_CALL_FORK) |
                                      LEAF(SPF_CALL_VFORK)},
    [SPF_POINT_FD] = {"fd", LEAF(SPF_CALL_PIPE2) | LEAF(SPF_CALL_DUP2) |
                                LEAF(SPF_CALL_CLOSE)},
    [SPF_POINT_IO] = {"io", LEAF(SPF_CALL_READ) | LEAF(SPF_CALL_WRITE) |
                                LEAF(SPF_CALL_POLL)},
    [SPF_POINT_PROC] = {"proc", LEAF(SPF_CALL_WAITPID) | LEAF(SPF_CALL_KILL) |
                                    LEAF(SPF_CALL_CHDIR) |
                                    LEAF(SPF_CALL_SETSID) |
                                    LEAF(SPF_CALL_SETPGID)},
    [SPF_POINT_SIG] = {"sig", LEAF(SPF_CALL_SIGMASK)},
};

/* The function names of the first language, and the most common name of
 * each newer leaf: accepted when parsing, never written. */
static const struct {
    const char *name;
    enum spf_fault_call point;
} point_aliases[] = {
    {"execve", SPF_CALL_EXECVE},       {"fork", SPF_CALL_FORK},
    {"vfork", SPF_CALL_VFORK},         {"pipe2", SPF_CALL_PIPE2},
    {"dup2", SPF_CALL_DUP2},           {"chdir", SPF_CALL_CHDIR},
    {"read", SPF_CALL_READ},           {"write", SPF_CALL_WRITE},
    {"poll", SPF_CALL_POLL},           {"waitpid", SPF_CALL_WAITPID},
    {"close", SPF_CALL_CLOSE},         {"kill", SPF_CALL_KILL},
    {"setsid", SPF_CALL_SETSID},       {"setpgid", SPF_CALL_SETPGID},
    {"sigprocmask", SPF_CALL_SIGMASK},
};

/* The leaves whose calls can be faked to succeed: each has one success
 * value the wrapper can return without doing the call. */
#define SUCCEED_LEAVES                                                         \
    (LEAF(SPF_CALL_CLOSE) | LEAF(SPF_CALL_KILL) | LEAF(SPF_CALL_SETSID) |      \
     LEAF(SPF_CALL_SETPGID) | LEAF(SPF_CALL_SIGMASK) | LEAF(SPF_CALL_CHDIR) |  \
     LEAF(SPF_CALL_WRITE))
#define SHORT_LEAVES (LEAF(SPF_CALL_READ) | LEAF(SPF_CALL_WRITE))

static const char *const signal_names[] = {
    NULL,      "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP",
    "SIGABRT", "SIGBUS",  "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV",
    "SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM", "SIGSTKFLT", "SIGCHLD",
    "SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU",   "SIGURG",
    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",
    "SIGPWR",  "SIGSYS",
};

static const char *const action_names[SPF_ACTION__COUNT] = {
    [SPF_ACTION_ERRNO] = "errno",     [SPF_ACTION_SHORT] = "short",
    [SPF_ACTION_DELAY] = "delay",     [SPF_ACTION_SIGNAL] = "signal",
    [SPF_ACTION_STOP] = "stop",       [SPF_ACTION_KILL] = "kill",
    [SPF_ACTION_SUCCEED] = "succeed",
};

static const char *const count_names[] = {"process", "thread", "tree"};

static const char *const fd_kind_names[SPF_FD__COUNT] = {
    [SPF_FD_ANY] = "any",   [SPF_FD_FILE] = "file",
    [SPF_FD_PIPE] = "pipe", [SPF_FD_SOCKET] = "socket",
    [SPF_FD_TTY] = "tty",   [SPF_FD_CHAR] = "char",
    [SPF_FD_DIR] = "dir",   [SPF_FD_OTHER] = "other",
};

/* The leaves whose calls have an fd, or a path, for the predicates. */
#define FD_LEAVES                                                              \
    (LEAF(SPF_CALL_READ) | LEAF(SPF_CALL_WRITE) | LEAF(SPF_CALL_CLOSE) |       \
     LEAF(SPF_CALL_DUP2))
#define PATH_LEAVES (LEAF(SPF_CALL_EXECVE) | LEAF(SPF_CALL_CHDIR))
static const char *const backend_names[] = {"preload", "seccomp"};

static const char *const scope_names[] = {"parent", "child", "exec"};

struct errno_row {
    int err;
    const char *name;
};

/*
 * The errnos a plan or a record may name.  A number appears once under its
 * canonical name; the aliases at the end (same numbers on Linux) are
 * accepted when parsing and never printed, because the first row that
 * matches a number wins.
 */
static const struct errno_row errno_rows[] = {
    {EPERM, "EPERM"},
    {ENOENT, "ENOENT"},
    {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},
    {EIO, "EIO"},
    {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},
    {ENOEXEC, "ENOEXEC"},
    {EBADF, "EBADF"},
    {ECHILD, "ECHILD"},
    {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},
    {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},
    {EXDEV, "EXDEV"},
    {ENODEV, "ENODEV"},
    {ENOTDIR, "ENOTDIR"},
    {EISDIR, "EISDIR"},
    {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"},
    {EMFILE, "EMFILE"},
    {ENOTTY, "ENOTTY"},
    {ETXTBSY, "ETXTBSY"},
    {EFBIG, "EFBIG"},
    {ENOSPC, "ENOSPC"},
    {ESPIPE, "ESPIPE"},
    {EROFS, "EROFS"},
    {EMLINK, "EMLINK"},
    {EPIPE, "EPIPE"},
    {ERANGE, "ERANGE"},
    {EDEADLK, "EDEADLK"},
    {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOLCK, "ENOLCK"},
    {ENOSYS, "ENOSYS"},
    {ENOTEMPTY, "ENOTEMPTY"},
    {ELOOP, "ELOOP"},
    {ENODATA, "ENODATA"},
    {ENOPKG, "ENOPKG"},
    {ELIBBAD, "ELIBBAD"},
    {EOVERFLOW, "EOVERFLOW"},
    {EILSEQ, "EILSEQ"},
    {EUSERS, "EUSERS"},
    {ENOTSOCK, "ENOTSOCK"},
    {EDESTADDRREQ, "EDESTADDRREQ"},
    {EMSGSIZE, "EMSGSIZE"},
    {EOPNOTSUPP, "EOPNOTSUPP"},
    {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EADDRINUSE, "EADDRINUSE"},
    {ENETDOWN, "ENETDOWN"},
    {ENETUNREACH, "ENETUNREACH"},
    {ECONNABORTED, "ECONNABORTED"},
    {ECONNRESET, "ECONNRESET"},
    {ENOBUFS, "ENOBUFS"},
    {ENOTCONN, "ENOTCONN"},
    {ETIMEDOUT, "ETIMEDOUT"},
    {ECONNREFUSED, "ECONNREFUSED"},
    {EHOSTUNREACH, "EHOSTUNREACH"},
    {EALREADY, "EALREADY"},
    {EINPROGRESS, "EINPROGRESS"},
    {EDQUOT, "EDQUOT"},
    {ECANCELED, "ECANCELED"},
    {EWOULDBLOCK, "EWOULDBLOCK"},
    {EDEADLOCK, "EDEADLOCK"},
    {ENOTSUP, "ENOTSUP"},
};

/* At most this many errnos per call, plus the terminating zero. */
#define MAX_VALID_ERRNOS 20

struct call_errnos {
    const char *man; /* the page whose ERRORS section the row copies */
    int errs[MAX_VALID_ERRNOS];
};

/*
 * What each family can really return, from the ERRORS section of its Linux
 * man page (man-pages 6.03).  A fault outside this set would test code
 * paths that no kernel can reach, so the parser refuses it.
 */
static const struct call_errnos valid_errnos[SPF_CALL__COUNT] = {
    /* execve(2); EAGAIN since Linux 3.1 (RLIMIT_NPROC after set*uid). */
    [SPF_CALL_EXECVE] = {"execve(2)",
                         {E2BIG, EACCES, EAGAIN, EFAULT, EINVAL, EIO, EISDIR,
                          ELIBBAD, ELOOP, EMFILE, ENAMETOOLONG, ENFILE, ENOENT,
                          ENOEXEC, ENOMEM, ENOTDIR, EPERM, ETXTBSY}},
    /* fork(2); ERESTARTNOINTR never reaches user space. */
    [SPF_CALL_FORK] = {"fork(2)", {EAGAIN, ENOMEM, ENOSYS}},
    /* vfork(2) says "for details and return value and errors, see fork(2)". */
    [SPF_CALL_VFORK] = {"vfork(2)", {EAGAIN, ENOMEM, ENOSYS}},
    /* pipe(2); ENOPKG only for pipe2 with O_DIRECT on old kernels. */
    [SPF_CALL_PIPE2] = {"pipe(2)", {EFAULT, EINVAL, EMFILE, ENFILE, ENOPKG}},
    /* dup(2); EBUSY and EINTR are specific to dup2 and dup3. */
    [SPF_CALL_DUP2] = {"dup(2)", {EBADF, EBUSY, EINTR, EINVAL, EMFILE}},
    /* chdir(2); EBADF is fchdir's. */
    [SPF_CALL_CHDIR] = {"chdir(2)",
                        {EACCES, EBADF, EFAULT, EIO, ELOOP, ENAMETOOLONG,
                         ENOENT, ENOMEM, ENOTDIR}},
    /* read(2); EWOULDBLOCK is EAGAIN on Linux. */
    [SPF_CALL_READ] = {"read(2)",
                       {EAGAIN, EBADF, EFAULT, EINTR, EINVAL, EIO, EISDIR}},
    /* write(2). */
    [SPF_CALL_WRITE] = {"write(2)",
                        {EAGAIN, EBADF, EDESTADDRREQ, EDQUOT, EFAULT, EFBIG,
                         EINTR, EINVAL, EIO, ENOSPC, EPERM, EPIPE}},
    /* poll(2). */
    [SPF_CALL_POLL] = {"poll(2)", {EFAULT, EINTR, EINVAL, ENOMEM}},
    /* waitpid(2), that is wait(2); its EAGAIN is waitid's, on a pidfd. */
    [SPF_CALL_WAITPID] = {"waitpid(2)", {ECHILD, EINTR, EINVAL, ESRCH}},
    /* close(2). */
    [SPF_CALL_CLOSE] = {"close(2)", {EBADF, EDQUOT, EINTR, EIO, ENOSPC}},
    /* kill(2). */
    [SPF_CALL_KILL] = {"kill(2)", {EINVAL, EPERM, ESRCH}},
    /* setsid(2). */
    [SPF_CALL_SETSID] = {"setsid(2)", {EPERM}},
    /* setpgid(2). */
    [SPF_CALL_SETPGID] = {"setpgid(2)", {EACCES, EINVAL, EPERM, ESRCH}},
    /* sigprocmask(2). */
    [SPF_CALL_SIGMASK] = {"sigprocmask(2)", {EFAULT, EINVAL}},
};

const char *spf_fault_call_name(enum spf_fault_call call)
{
    /* Contract: the canonical name of a point (a static string), or NULL
     * for a value outside the enum. */
    if ((unsigned)call >= SPF_POINT__COUNT)
        return NULL;
    return points[call].name;
}

uint32_t spf_fault_point_leaves(enum spf_fault_call point)
{
    /* Contract: see faults.h.  Async-signal-safe. */
    if ((unsigned)point >= SPF_POINT__COUNT)
        return 0;
    return points[point].leaves;
}

static bool same_word(const char *name, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(name, word, len) == 0;
}

int spf_fault_call_from_name(const char *name, size_t len)
{
    /* Contract: the enum value of a point's exact, case-sensitive name or
     * alias, else -EINVAL.  Async-signal-safe. */
    for (size_t i = 0; i < SPF_POINT__COUNT; i++)
        if (same_word(name, len, points[i].name))
            return (int)i;
    for (size_t i = 0; i < ARRAY_SIZE(point_aliases); i++)
        if (same_word(name, len, point_aliases[i].name))
            return (int)point_aliases[i].point;
    return -EINVAL;
}

const char *spf_errno_name(int err)
{
    /* Contract: the canonical name of err (a static string), or NULL when
     * the table does not know it.  Async-signal-safe. */
    for (size_t i = 0; i < ARRAY_SIZE(errno_rows); i++)
        if (errno_rows[i].err == err)
            return errno_rows[i].name;
    return NULL;
}

int spf_errno_from_name(const char *name, size_t len)
{
    /* Contract: the positive errno for a name or alias ("EWOULDBLOCK"),
     * else -EINVAL.  Async-signal-safe. */
    for (size_t i = 0; i < ARRAY_SIZE(errno_rows); i++)
        if (same_word(name, len, errno_rows[i].name))
            return errno_rows[i].err;
    return -EINVAL;
}

const char *spf_fault_signal_name(int sig)
{
    if (sig <= 0 || (size_t)sig >= ARRAY_SIZE(signal_names))
        return NULL;
    return signal_names[sig];
}

int spf_fault_signal_from_name(const char *name, size_t len)
{
    for (size_t i = 1; i < ARRAY_SIZE(signal_names); i++)
        if (same_word(name, len, signal_names[i]))
            return (int)i;
    return -EINVAL;
}

const char *spf_fault_action_name(enum spf_fault_action action)
{
    if ((unsigned)action >= SPF_ACTION__COUNT)
        return NULL;
    return action_names[action];
}

static bool leaf_errno_valid(unsigned leaf, int err)
{
    for (const int *e = valid_errnos[leaf].errs; *e != 0; e++)
        if (*e == err)
            return true;
    return false;
}

bool spf_fault_errno_valid(enum spf_fault_call call, int err)
{
    /* Contract: true when the man page of every leaf of the point lists
     * err; false for an unknown point or a non-positive err.
     * Async-signal-safe. */
    uint32_t leaves = spf_fault_point_leaves(call);

    if (leaves == 0 || err <= 0)
        return false;
    for (unsigned leaf = 0; leaf < SPF_CALL__COUNT; leaf++)
        if ((leaves & LEAF(leaf)) && !leaf_errno_valid(leaf, err))
            return false;
    return true;
}

bool spf_fault_can_be_short(enum spf_fault_call call)
{
    /* Contract: true for the points whose every leaf moves a byte count
     * (read, write).  Async-signal-safe. */
    uint32_t leaves = spf_fault_point_leaves(call);

    return leaves != 0 && (leaves & ~SHORT_LEAVES) == 0;
}

unsigned spf_fault_point_predicates(enum spf_fault_call point)
{
    /* Contract: see faults.h.  A family takes a predicate when every leaf
     * of it does. */
    uint32_t leaves = spf_fault_point_leaves(point);
    unsigned preds = SPF_PRED_EXE;

    if (leaves == 0)
        return 0;
    if ((leaves & ~FD_LEAVES) == 0)
        preds |= SPF_PRED_FD;
    if ((leaves & ~PATH_LEAVES) == 0)
        preds |= SPF_PRED_PATH;
    return preds;
}

const char *spf_fault_fd_kind_name(enum spf_fault_fd_kind kind)
{
    return (unsigned)kind < SPF_FD__COUNT ? fd_kind_names[kind] : NULL;
}

int spf_fault_fd_kind_from_name(const char *name, size_t len)
{
    for (int k = SPF_FD_FILE; k < SPF_FD__COUNT; k++)
        if (same_word(name, len, fd_kind_names[k]))
            return k;
    return -EINVAL;
}

enum spf_fault_fd_kind spf_fault_fd_kind_of(unsigned mode, bool tty)
{
    switch (mode & 0170000) {
    case 0100000:
        return SPF_FD_FILE;
    case 0010000:
        return SPF_FD_PIPE;
    case 0140000:
        return SPF_FD_SOCKET;
    case 0040000:
        return SPF_FD_DIR;
    case 0020000:
        return tty ? SPF_FD_TTY : SPF_FD_CHAR;
    default:
        return SPF_FD_OTHER;
    }
}

bool spf_fault_glob(const char *glob, const char *s)
{
    /* Contract: see faults.h.  The classic two-pointer match: on a
     * mismatch, the last '*' takes one more byte; no recursion, so a
     * hostile glob cannot blow the stack. */
    const char *star = NULL, *resume = NULL;

    while (*s != '\0') {
        if (*glob == '*') {
            star = glob++;
            resume = s;
        } else if (*glob == '?' || *glob == *s) {
            glob++;
            s++;
        } else if (star != NULL) {
            glob = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*glob == '*')
        glob++;
    return *glob == '\0';
}

bool spf_fault_can_succeed(enum spf_fault_call call)
{
    /* Contract: see faults.h.  Async-signal-safe. */
    uint32_t leaves = spf_fault_point_leaves(call);

    return leaves != 0 && (leaves & ~SUCCEED_LEAVES) == 0;
}

/* A rule being parsed, kept for the error messages. */
struct rule_ctx {
    const char *text; /* the rule, trimmed */
    size_t len;
    size_t number; /* 1-based position in the plan */
    char *errbuf;
    size_t errlen;
};

/* Long rules are cut in messages so an error line stays well below
 * PIPE_BUF and is written atomically by the preload. */
#define RULE_QUOTE_MAX 60

static void rule_prefix(const struct rule_ctx *c, struct spf__text *t)
{
    spf__text_init(t, c->errbuf, c->errlen);
    if (c->number == 0) /* a lone action: the caller names where it was */
        return;
    spf__text_str(t, "rule ");
    spf__text_u64(t, c->number);
    spf__text_str(t, " (");
    if (c->len <= RULE_QUOTE_MAX) {
        spf__text_quoted(t, c->text, c->len);
    } else {
        spf__text_quoted(t, c->text, RULE_QUOTE_MAX);
        spf__text_str(t, "...");
    }
    spf__text_str(t, "): ");
}

/* Writes `rule N ("TEXT"): WHAT "TOKEN"REST`; always returns -EINVAL. */
static int rule_error(const struct rule_ctx *c, const char *what,
                      const char *tok, size_t toklen, const char *rest)
{
    struct spf__text t;

    rule_prefix(c, &t);
    spf__text_str(&t, what);
    if (tok != NULL) {
        spf__text_str(&t, " ");
        spf__text_quoted(&t, tok, toklen);
    }
    if (rest != NULL)
        spf__text_str(&t, rest);
    return -EINVAL;
}

/* Reads decimal digits at s[*pos...]; -EINVAL without digits, -ERANGE
 * above max.  Moves *pos past the digits on success. */
static int parse_u32(const char *s, size_t n, size_t *pos, uint32_t max,
                     uint32_t *ret)
{
    uint64_t v = 0;
    size_t i = *pos;

    if (i >= n || s[i] < '0' || s[i] > '9')
        return -EINVAL;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > max)
            return -ERANGE;
    }
    *pos = i;
    *ret = (uint32_t)v;
    return 0;
}

static bool starts_with(const char *s, size_t n, size_t pos, const char *lit)
{
    size_t l = strlen(lit);

    return n - pos >= l && memcmp(s + pos, lit, l) == 0;
}

/* Splits a range into its numbers; -EINVAL on bad syntax, -ERANGE on a
 * number too large.  A bare "N+S" means "N..+S": a step only makes sense
 * when the range goes on. */
static int split_range(const char *s, size_t n, struct spf_fault_range *r)
{
    size_t pos = 0;
    int ret;

    r->last = OPEN_END;
    r->step = 1;
    ret = parse_u32(s, n, &pos, OPEN_END - 1, &r->first);
    if (ret < 0)
        return ret;
    if (starts_with(s, n, pos, "..")) {
        pos += 2;
        if (pos < n && s[pos] != '+') {
            ret = parse_u32(s, n, &pos, OPEN_END - 1, &r->last);
            if (ret < 0)
                return ret;
        }
    } else if (pos == n) {
        r->last = r->first;
    }
    if (pos < n && s[pos] == '+') {
        pos++;
        ret = parse_u32(s, n, &pos, UINT32_MAX, &r->step);
        if (ret < 0)
            return ret;
    }
    return pos == n ? 0 : -EINVAL;
}

static int parse_range(const struct rule_ctx *c, const char *s, size_t n,
                       struct spf_fault_range *ret_range)
{
    struct spf_fault_range r;
    int ret = split_range(s, n, &r);

    if (ret == -ERANGE)
        return rule_error(c, "trigger range", s, n, ": number too large");
    if (ret < 0)
        return rule_error(c, "bad trigger range", s, n,
                          " (expected N, N..M, N.. or one of them +STEP)");
    if (r.first == 0)
        return rule_error(c, "trigger range", s, n,
                          ": call numbers start at 1");
    if (r.last < r.first)
        return rule_error(c, "trigger range", s, n, ": ends before it starts");
    if (r.step == 0)
        return rule_error(c, "trigger range", s, n,
                          ": the step must be at least 1");
    *ret_range = r;
    return 0;
}

/* "process:", "thread:" or "tree:" before the ranges; a word before a ':'
 * that is none of them is an error, so a typo is never taken for a
 * range. */
static int parse_count_mode(const struct rule_ctx *c, const char **s, size_t *n,
                            struct spf_fault_rule *rule)
{
    const char *colon = memchr(*s, ':', *n);
    size_t len;

    if (colon == NULL)
        return 0;
    len = (size_t)(colon - *s);
    for (size_t k = 0; k < ARRAY_SIZE(count_names); k++) {
        if (same_word(*s, len, count_names[k])) {
            rule->count = (enum spf_fault_count)k;
            *s += len + 1;
            *n -= len + 1;
            return 0;
        }
    }
    return rule_error(c, "unknown counting mode", *s, len,
                      " (expected process, thread or tree before the ':')");
}

static int parse_trigger(const struct rule_ctx *c, const char *s, size_t n,
                         struct spf_fault_rule *rule)
{
    size_t start = 0;
    int ret = parse_count_mode(c, &s, &n, rule);

    if (ret < 0)
        return ret;
    if (n == 1 && s[0] == '*') {
        rule->every = true;
        return 0;
    }
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ',')
            continue;
        if (rule->n_ranges == SPF_FAULT_MAX_RANGES)
            return rule_error(c, "trigger", s, n,
                              ": too many ranges (at most 8)");
        ret =
            parse_range(c, s + start, i - start, &rule->ranges[rule->n_ranges]);
        if (ret < 0)
            return ret;
        rule->n_ranges++;
        start = i + 1;
    }
    return 0;
}

static int parse_scope(const struct rule_ctx *c, const char *s, size_t n,
                       unsigned *ret_scope)
{
    unsigned scope = 0;
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '+')
            continue;
        size_t k = 0;
        while (k < ARRAY_SIZE(scope_names) &&
               !same_word(s + start, i - start, scope_names[k]))
            k++;
        if (k == ARRAY_SIZE(scope_names))
            return rule_error(c, "unknown scope", s + start, i - start,
                              " (expected parent, child or exec)");
        if (scope & (1u << k))
            return rule_error(c, "repeated scope", s + start, i - start, NULL);
        scope |= 1u << k;
        start = i + 1;
    }
    *ret_scope = scope;
    return 0;
}

/* "0", "1", "0.25", "1.000": at most six decimals, so the value is exact
 * in parts per million and formats back to the same number. */
static int split_prob(const char *s, size_t n, uint32_t *ret_ppm)
{
    uint32_t ppm = 0;
    uint32_t unit = PPM_ALWAYS / 10;

    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -EINVAL;
    if (n == 1)
        goto done;
    if (s[1] != '.' || n == 2 || n - 2 > 6)
        return -EINVAL;
    for (size_t i = 2; i < n; i++, unit /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        ppm += (uint32_t)(s[i] - '0') * unit;
    }
    if (s[0] == '1' && ppm != 0)
        return -EINVAL;
done:
    *ret_ppm = s[0] == '1' ? PPM_ALWAYS : ppm;
    return 0;
}

static int parse_prob(const struct rule_ctx *c, const char *s, size_t n,
                      uint32_t *ret_ppm)
{
    if (split_prob(s, n, ret_ppm) < 0)
        return rule_error(c, "bad probability", s, n,
                          " (expected a decimal from 0 to 1 with at most"
                          " 6 decimals)");
    return 0;
}

static int parse_short(const struct rule_ctx *c, const char *s, size_t n,
                       struct spf_fault_rule *rule)
{
    size_t pos = strlen("short:");
    uint32_t k;

    if (!spf_fault_can_be_short(rule->call))
        return rule_error(c, "action", s, n,
                          ": only read and write can be short");
    rule->action = SPF_ACTION_SHORT;
    if (same_word(s + pos, n - pos, "half")) {
        rule->short_how = SPF_SHORT_HALF;
        return 0;
    }
    if (same_word(s + pos, n - pos, "rand")) {
        rule->short_how = SPF_SHORT_RAND;
        return 0;
    }
    if (parse_u32(s, n, &pos, UINT32_MAX, &k) < 0 || pos != n || k == 0)
        return rule_error(c, "action", s, n,
                          ": expected short:K (K from 1 to 4294967295),"
                          " short:half or short:rand");
    rule->short_how = SPF_SHORT_FIXED;
    rule->short_max = k;
    return 0;
}

static const struct {
    const char *unit;
    uint64_t ns;
} duration_units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};

/* "250ms", "2s", "1500ns": a number and a unit, up to an hour. */
static int split_duration(const char *s, size_t n, uint64_t *ret_ns)
{
    uint64_t v = 0;
    size_t i = 0;

    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > SPF_FAULT_DELAY_MAX_NS)
            return -ERANGE;
    }
    if (i == 0)
        return -EINVAL;
    for (size_t k = 0; k < ARRAY_SIZE(duration_units); k++) {
        if (!same_word(s + i, n - i, duration_units[k].unit))
            continue;
        if (v > SPF_FAULT_DELAY_MAX_NS / duration_units[k].ns)
            return -ERANGE;
        *ret_ns = v * duration_units[k].ns;
        return *ret_ns > 0 ? 0 : -ERANGE;
    }
    return -EINVAL;
}

static int parse_delay(const struct rule_ctx *c, const char *s, size_t n,
                       struct spf_fault_rule *rule)
{
    size_t pos = strlen("delay:");
    int ret;

    rule->action = SPF_ACTION_DELAY;
    if (same_word(s + pos, n - pos, "rand")) {
        rule->delay_rand = true;
        return 0;
    }
    ret = split_duration(s + pos, n - pos, &rule->delay_ns);
    if (ret == -ERANGE)
        return rule_error(c, "action", s, n,
                          ": a delay is from 1ns to one hour");
    if (ret < 0)
        return rule_error(c, "action", s, n,
                          ": expected delay:rand or a number with a unit,"
                          " ns, us, ms or s (delay:250ms)");
    return 0;
}

static int parse_signal(const struct rule_ctx *c, const char *s, size_t n,
                        struct spf_fault_rule *rule)
{
    size_t pos = strlen("signal:");
    int sig = spf_fault_signal_from_name(s + pos, n - pos);

    if (sig < 0)
        return rule_error(c, "action", s, n,
                          ": unknown signal (expected a name such as"
                          " SIGALRM)");
    if (sig == SIGKILL || sig == SIGSTOP)
        return rule_error(c, "action", s, n,
                          ": no handler can run for it (use kill or stop)");
    rule->action = SPF_ACTION_SIGNAL;
    rule->sig = sig;
    return 0;
}

static int parse_errno_action(const struct rule_ctx *c, const char *s, size_t n,
                              struct spf_fault_rule *rule)
{
    struct spf__text t;
    int err;

    rule->action = SPF_ACTION_ERRNO;
    if (same_word(s, n, "errno:any")) {
        rule->err_any = true;
        return 0;
    }
    err = spf_errno_from_name(s, n);
    if (err < 0)
        return rule_error(c, "action", s, n,
                          ": unknown action (expected an errno name such as"
                          " EINTR, errno:any, short:K, delay:D, signal:SIG,"
                          " stop, kill or succeed)");
    if (!spf_fault_errno_valid(rule->call, err)) {
        rule_prefix(c, &t);
        spf__text_str(&t, "action ");
        spf__text_quoted(&t, s, n);
        spf__text_str(&t, ": ");
        spf__text_str(&t, points[rule->call].name);
        spf__text_str(&t, " cannot fail with this errno (see ");
        for (unsigned leaf = 0, first = 1; leaf < SPF_CALL__COUNT; leaf++) {
            if (!(points[rule->call].leaves & LEAF(leaf)) ||
                leaf_errno_valid(leaf, err))
                continue;
            spf__text_str(&t, first ? "" : ", ");
            spf__text_str(&t, valid_errnos[leaf].man);
            first = 0;
        }
        spf__text_str(&t, ")");
        return -EINVAL;
    }
    rule->err = err;
    return 0;
}

static int parse_action(const struct rule_ctx *c, const char *s, size_t n,
                        struct spf_fault_rule *rule)
{
    if (starts_with(s, n, 0, "short:"))
        return parse_short(c, s, n, rule);
    if (starts_with(s, n, 0, "delay:"))
        return parse_delay(c, s, n, rule);
    if (starts_with(s, n, 0, "signal:"))
        return parse_signal(c, s, n, rule);
    if (same_word(s, n, "stop")) {
        rule->action = SPF_ACTION_STOP;
        return 0;
    }
    if (same_word(s, n, "kill")) {
        rule->action = SPF_ACTION_KILL;
        return 0;
    }
    if (same_word(s, n, "succeed")) {
        if (!spf_fault_can_succeed(rule->call))
            return rule_error(c, "action", s, n,
                              ": only close, kill, setsid, setpgid, sig/mask,"
                              " chdir and write can be faked to succeed");
        rule->action = SPF_ACTION_SUCCEED;
        return 0;
    }
    return parse_errno_action(c, s, n, rule);
}

int spf_fault_action_parse(struct spf_fault_rule *rule, const char *text,
                           size_t len, char *errbuf, size_t errlen)
{
    /* Contract: see faults.h. */
    struct rule_ctx c = {
        .text = text, .len = len, .errbuf = errbuf, .errlen = errlen};
    struct spf_fault_rule r = *rule;

    if (errlen > 0)
        errbuf[0] = '\0';
    if ((unsigned)r.call >= SPF_POINT__COUNT)
        return -EINVAL;
    r.action = SPF_ACTION_ERRNO;
    r.err = 0;
    r.err_any = false;
    r.short_how = SPF_SHORT_FIXED;
    r.short_max = 0;
    r.delay_ns = 0;
    r.delay_rand = false;
    r.sig = 0;
    if (parse_action(&c, text, len, &r) < 0)
        return -EINVAL;
    *rule = r;
    return 0;
}

/* A glob: printable bytes; the separators of the language cannot be in
 * it, since they end the field. */
static int parse_glob(const struct rule_ctx *c, const char *s, size_t n,
                      char *out)
{
    if (n == 0 || n >= SPF_FAULT_GLOB_MAX)
        return rule_error(c, "predicate", s, n, ": a glob has 1 to 63 bytes");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return rule_error(c, "predicate", s, n,
                              ": a glob is printable ASCII");
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int parse_fd_pred(const struct rule_ctx *c, const char *s, size_t n,
                         const char *v, size_t vlen,
                         struct spf_fault_rule *rule)
{
    size_t pos = 0;
    uint32_t fd;
    int k;

    if (same_word(s, 2, "fd")) {
        if (rule->pred_fd_set)
            return rule_error(c, "repeated predicate", s, 2, NULL);
        if (parse_u32(v, vlen, &pos, INT32_MAX, &fd) < 0 || pos != vlen)
            return rule_error(c, "predicate", s, n,
                              ": an fd is a number from 0 to 2147483647");
        rule->pred_fd_set = true;
        rule->pred_fd = (int)fd;
        return 0;
    }
    if (rule->pred_kind != SPF_FD_ANY)
        return rule_error(c, "repeated predicate", s, 4, NULL);
    if ((k = spf_fault_fd_kind_from_name(v, vlen)) < 0)
        return rule_error(c, "predicate", s, n,
                          ": unknown kind (expected file, pipe, socket, tty,"
                          " char, dir or other)");
    rule->pred_kind = (enum spf_fault_fd_kind)k;
    return 0;
}

/* KEY:VALUE, checked against what the rule's point can be asked. */
static int parse_pred(const struct rule_ctx *c, const char *s, size_t n,
                      struct spf_fault_rule *rule)
{
    const char *colon = memchr(s, ':', n);
    size_t klen = colon ? (size_t)(colon - s) : n;
    const char *v = s + klen + 1;
    size_t vlen = colon ? n - klen - 1 : 0;
    unsigned takes = spf_fault_point_predicates(rule->call);
    char *glob = NULL;

    if (colon == NULL)
        return rule_error(c, "predicate", s, n,
                          " (expected KEY:VALUE, with fd, kind, path or"
                          " exe)");
    if (same_word(s, klen, "exe")) {
        glob = rule->pred_exe;
    } else if (same_word(s, klen, "path")) {
        if (!(takes & SPF_PRED_PATH))
            return rule_error(c, "predicate", s, n,
                              ": only spawn/exec and proc/chdir have a path");
        glob = rule->pred_path;
    } else if (!same_word(s, klen, "fd") && !same_word(s, klen, "kind")) {
        return rule_error(c, "unknown predicate", s, klen,
                          " (expected fd, kind, path or exe)");
    } else if (!(takes & SPF_PRED_FD)) {
        return rule_error(c, "predicate", s, n,
                          ": only io/read, io/write, fd/close and fd/dup"
                          " have an fd");
    } else {
        return parse_fd_pred(c, s, n, v, vlen, rule);
    }
    if (glob[0] != '\0')
        return rule_error(c, "repeated predicate", s, klen, NULL);
    return parse_glob(c, v, vlen, glob);
}

static int parse_preds(const struct rule_ctx *c, const char *s, size_t n,
                       struct spf_fault_rule *rule)
{
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '&')
            continue;
        int ret = parse_pred(c, s + start, i - start, rule);
        if (ret < 0)
            return ret;
        start = i + 1;
    }
    return 0;
}

static int parse_backend(const struct rule_ctx *c, const char *s, size_t n,
                         struct spf_fault_rule *rule)
{
    for (size_t k = 0; k < ARRAY_SIZE(backend_names); k++) {
        if (same_word(s, n, backend_names[k])) {
            rule->backend = (enum spf_fault_backend)k;
            return 0;
        }
    }
    return rule_error(c, "unknown backend", s, n,
                      " (expected preload or seccomp)");
}

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

enum field {
    F_CALL,
    F_SCOPE,
    F_TRIGGER,
    F_PROB,
    F_PRED,
    F_BACKEND,
    F_ACTION,
    F__COUNT
};

/* The separator that opens each field after the call, in the only order
 * the language allows. */
static const char field_seps[F__COUNT] = {'\0', '@', '#', '%', '?', '!', '='};

struct rule_fields {
    const char *at[F__COUNT];
    size_t len[F__COUNT];
    bool present[F__COUNT];
};

static int field_of(char ch)
{
    for (int f = F_SCOPE; f < F__COUNT; f++)
        if (field_seps[f] == ch)
            return f;
    return -1;
}

/* Cuts a rule at its separators.  Everything after '=' is the action, so
 * a stray separator there is reported by the action's own parser. */
static int split_rule(const struct rule_ctx *c, struct rule_fields *ret)
{
    struct rule_fields fl;
    int cur = F_CALL;
    size_t start = 0;

    memset(&fl, 0, sizeof(fl));
    for (size_t i = 0; i <= c->len; i++) {
        int next = -1;
        if (i < c->len && cur != F_ACTION)
            next = field_of(c->text[i]);
        if (i < c->len && next < 0)
            continue;
        fl.at[cur] = c->text + start;
        fl.len[cur] = i - start;
        fl.present[cur] = true;
        if (i == c->len)
            break;
        if (next <= cur)
            return rule_error(
                c, "misplaced", c->text + i, 1,
                " (the fields go point@scope#trigger%prob?preds!backend=action,"
                " each at most once)");
        cur = next;
        start = i + 1;
    }
    *ret = fl;
    return 0;
}

static int parse_fields(const struct rule_ctx *c, const struct rule_fields *f,
                        struct spf_fault_rule *r)
{
    int ret = 0;

    if (f->present[F_SCOPE])
        ret = parse_scope(c, f->at[F_SCOPE], f->len[F_SCOPE], &r->scope);
    if (ret == 0 && f->present[F_TRIGGER])
        ret = parse_trigger(c, f->at[F_TRIGGER], f->len[F_TRIGGER], r);
    if (ret == 0 && f->present[F_PROB])
        ret = parse_prob(c, f->at[F_PROB], f->len[F_PROB], &r->prob_ppm);
    if (ret == 0 && f->present[F_PRED])
        ret = parse_preds(c, f->at[F_PRED], f->len[F_PRED], r);
    if (ret == 0 && f->present[F_BACKEND])
        ret = parse_backend(c, f->at[F_BACKEND], f->len[F_BACKEND], r);
    if (ret == 0)
        ret = parse_action(c, f->at[F_ACTION], f->len[F_ACTION], r);
    /* The supervisor can only deliver the signal while the call waits on
     * it, and answer EINTR: a call that cannot return EINTR would either
     * fail with it, or restart (fork) or carry the signal into the new
     * program (exec).  The preload runs the handler first, then the call. */
    if (ret == 0 && r->backend == SPF_BACKEND_SECCOMP &&
        r->action == SPF_ACTION_SIGNAL &&
        !spf_fault_errno_valid(r->call, EINTR))
        ret = rule_error(c, "action", f->at[F_ACTION], f->len[F_ACTION],
                         ": under seccomp, a signal needs a point that can"
                         " fail with EINTR (io/read, io/write, io/poll,"
                         " proc/wait, fd/close); the preload signals any"
                         " call");
    return ret;
}

static int parse_rule(const struct rule_ctx *c, struct spf_fault_rule *ret_rule)
{
    struct spf_fault_rule r;
    struct rule_fields f = {0};
    int ret;

    ret = split_rule(c, &f);
    if (ret < 0)
        return ret;

    memset(&r, 0, sizeof(r));
    ret = spf_fault_call_from_name(f.at[F_CALL], f.len[F_CALL]);
    if (ret < 0)
        return rule_error(c, "unknown point", f.at[F_CALL], f.len[F_CALL],
                          " (expected a point such as spawn/exec or io/read,"
                          " or a call such as execve or read)");
    r.call = (enum spf_fault_call)ret;
    if (!f.present[F_ACTION])
        return rule_error(c, "missing action", NULL, 0,
                          " (end the rule with =ACTION, such as =ENOENT)");

    /* An absent trigger means every call, an absent probability always. */
    r.scope = SPF_SCOPE_DEFAULT;
    r.every = !f.present[F_TRIGGER];
    r.prob_ppm = PPM_ALWAYS;
    ret = parse_fields(c, &f, &r);
    if (ret < 0)
        return ret;
    *ret_rule = r;
    return 0;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void trim(const char *s, size_t n, struct rule_ctx *c)
{
    while (n > 0 && is_space(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && is_space(s[n - 1]))
        n--;
    c->text = s;
    c->len = n;
}

int spf_fault_plan_parse(const char *text, size_t len,
                         struct spf_fault_plan *ret_plan, char *errbuf,
                         size_t errlen)
{
    /* Contract: see faults.h.  Rules are numbered by their position among
     * the ';'-separated pieces, empty pieces included, so the number in a
     * message matches what the user counts.  Async-signal-safe; uses about
     * 5 KiB of stack. */
    struct spf_fault_plan plan;
    struct rule_ctx c = {.errbuf = errbuf, .errlen = errlen};
    size_t start = 0;

    memset(&plan, 0, sizeof(plan));
    if (errlen > 0)
        errbuf[0] = '\0';
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != ';')
            continue;
        c.number++;
        trim(text + start, i - start, &c);
        start = i + 1;
        if (c.len == 0)
            continue;
        if (plan.n_rules == SPF_FAULT_MAX_RULES)
            return rule_error(&c, "too many rules", NULL, 0,
                              " (at most " STRINGIFY(SPF_FAULT_MAX_RULES) ")");
        int ret = parse_rule(&c, &plan.rules[plan.n_rules]);
        if (ret < 0)
            return ret;
        plan.n_rules++;
    }
    *ret_plan = plan;
    return 0;
}

static void format_scope(struct spf__text *t, unsigned scope)
{
    const char *sep = "@";

    for (size_t k = 0; k < ARRAY_SIZE(scope_names); k++) {
        if (!(scope & (1u << k)))
            continue;
        spf__text_str(t, sep);
        spf__text_str(t, scope_names[k]);
        sep = "+";
    }
}

static void format_range(struct spf__text *t, const struct spf_fault_range *r)
{
    spf__text_u64(t, r->first);
    if (r->last == r->first && r->step == 1)
        return;
    spf__text_str(t, "..");
    if (r->last != OPEN_END)
        spf__text_u64(t, r->last);
    if (r->step != 1) {
        spf__text_str(t, "+");
        spf__text_u64(t, r->step);
    }
}

static void format_trigger(struct spf__text *t, const struct spf_fault_rule *r)
{
    spf__text_str(t, "#");
    if (r->count != SPF_COUNT_PROCESS) {
        spf__text_str(t, count_names[r->count]);
        spf__text_str(t, ":");
    }
    if (r->every) {
        spf__text_str(t, "*");
        return;
    }
    for (size_t i = 0; i < r->n_ranges; i++) {
        if (i > 0)
            spf__text_str(t, ",");
        format_range(t, &r->ranges[i]);
    }
}

/* Six decimals without the trailing zeros: 250000 is "0.25". */
static void format_prob(struct spf__text *t, uint32_t ppm)
{
    char digits[6];
    size_t n = sizeof(digits);

    spf__text_str(t, "%0");
    if (ppm == 0)
        return;
    for (size_t i = sizeof(digits); i-- > 0; ppm /= 10)
        digits[i] = (char)('0' + ppm % 10);
    while (digits[n - 1] == '0')
        n--;
    spf__text_str(t, ".");
    spf__text_mem(t, digits, n);
}

static bool action_formattable(const struct spf_fault_rule *r)
{
    switch (r->action) {
    case SPF_ACTION_ERRNO:
        return r->err_any || spf_errno_name(r->err) != NULL;
    case SPF_ACTION_SHORT:
        return r->short_how != SPF_SHORT_FIXED || r->short_max >= 1;
    case SPF_ACTION_DELAY:
        return r->delay_rand ||
               (r->delay_ns >= 1 && r->delay_ns <= SPF_FAULT_DELAY_MAX_NS);
    case SPF_ACTION_SIGNAL:
        return spf_fault_signal_name(r->sig) != NULL;
    case SPF_ACTION_STOP:
    case SPF_ACTION_KILL:
    case SPF_ACTION_SUCCEED:
        return true;
    default:
        return false;
    }
}

static bool rule_formattable(const struct spf_fault_rule *r)
{
    if ((unsigned)r->call >= SPF_POINT__COUNT || r->scope == 0 ||
        (r->scope & ~ALL_SCOPES) != 0)
        return false;
    if (r->prob_ppm > PPM_ALWAYS || r->n_ranges > SPF_FAULT_MAX_RANGES ||
        (!r->every && r->n_ranges == 0))
        return false;
    if ((unsigned)r->count >= ARRAY_SIZE(count_names) ||
        (unsigned)r->backend >= ARRAY_SIZE(backend_names))
        return false;
    if ((unsigned)r->pred_kind >= SPF_FD__COUNT ||
        (r->pred_fd_set && r->pred_fd < 0) ||
        memchr(r->pred_path, '\0', sizeof(r->pred_path)) == NULL ||
        memchr(r->pred_exe, '\0', sizeof(r->pred_exe)) == NULL)
        return false;
    return action_formattable(r);
}

/* In the largest unit that divides the delay exactly, so it reads back
 * the same. */
static void format_duration(struct spf__text *t, uint64_t ns)
{
    size_t k = ARRAY_SIZE(duration_units);

    while (--k > 0 && ns % duration_units[k].ns != 0)
        ;
    spf__text_u64(t, ns / duration_units[k].ns);
    spf__text_str(t, duration_units[k].unit);
}

static void format_rule_action(struct spf__text *t,
                               const struct spf_fault_rule *r)
{
    switch (r->action) {
    case SPF_ACTION_ERRNO:
        spf__text_str(t, r->err_any ? "errno:any" : spf_errno_name(r->err));
        break;
    case SPF_ACTION_SHORT:
        spf__text_str(t, "short:");
        if (r->short_how == SPF_SHORT_HALF)
            spf__text_str(t, "half");
        else if (r->short_how == SPF_SHORT_RAND)
            spf__text_str(t, "rand");
        else
            spf__text_u64(t, r->short_max);
        break;
    case SPF_ACTION_DELAY:
        spf__text_str(t, "delay:");
        if (r->delay_rand)
            spf__text_str(t, "rand");
        else
            format_duration(t, r->delay_ns);
        break;
    case SPF_ACTION_SIGNAL:
        spf__text_str(t, "signal:");
        spf__text_str(t, spf_fault_signal_name(r->sig));
        break;
    default:
        spf__text_str(t, action_names[r->action]);
        break;
    }
}

static void format_preds(struct spf__text *t, const struct spf_fault_rule *r)
{
    const char *sep = "?";

    if (r->pred_fd_set) {
        spf__text_str(t, "?fd:");
        spf__text_u64(t, (uint64_t)r->pred_fd);
        sep = "&";
    }
    if (r->pred_kind != SPF_FD_ANY) {
        spf__text_str(t, sep);
        spf__text_str(t, "kind:");
        spf__text_str(t, fd_kind_names[r->pred_kind]);
        sep = "&";
    }
    if (r->pred_path[0] != '\0') {
        spf__text_str(t, sep);
        spf__text_str(t, "path:");
        spf__text_str(t, r->pred_path);
        sep = "&";
    }
    if (r->pred_exe[0] != '\0') {
        spf__text_str(t, sep);
        spf__text_str(t, "exe:");
        spf__text_str(t, r->pred_exe);
    }
}

static void format_rule(struct spf__text *t, const struct spf_fault_rule *r)
{
    spf__text_str(t, points[r->call].name);
    if (r->scope != SPF_SCOPE_DEFAULT)
        format_scope(t, r->scope);
    format_trigger(t, r);
    if (r->prob_ppm != PPM_ALWAYS)
        format_prob(t, r->prob_ppm);
    format_preds(t, r);
    if (r->backend != SPF_BACKEND_PRELOAD) {
        spf__text_str(t, "!");
        spf__text_str(t, backend_names[r->backend]);
    }
    spf__text_str(t, "=");
    format_rule_action(t, r);
}

int spf_fault_plan_format(const struct spf_fault_plan *plan, char *buf,
                          size_t len)
{
    /* Contract: writes the rules (not the seed) as text that parses back
     * to the same rules, NUL-terminated; returns the length without the
     * NUL, -ENOSPC when buf is too small (its content is then
     * unspecified), or -EINVAL for a plan no text can express.  The
     * default scope, and a probability of 1, are left out; the trigger is
     * always written.  Async-signal-safe. */
    struct spf__text t;

    if (plan->n_rules > SPF_FAULT_MAX_RULES)
        return -EINVAL;
    for (size_t i = 0; i < plan->n_rules; i++)
        if (!rule_formattable(&plan->rules[i]))
            return -EINVAL;

    spf__text_init(&t, buf, len);
    for (size_t i = 0; i < plan->n_rules; i++) {
        if (i > 0)
            spf__text_str(&t, ";");
        format_rule(&t, &plan->rules[i]);
    }
    if (t.lost)
        return -ENOSPC;
    return (int)t.len;
}

/* The splitmix64 output function: a bijective mixer whose output passes
 * statistical tests even for consecutive inputs, which is what a
 * counter-based generator needs. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/*
 * The draws for one (rule, call number) depend on nothing else, so a case
 * replays the same faults whatever ran before it.  Each key is folded in
 * through the mixer instead of being added, so that (n=1, rule=2) and
 * (n=2, rule=1) draw independently.  The rule's point, not the leaf
 * called, is the key: a family's call number already says which call it
 * is.
 */
static uint64_t draw_key(const struct spf_fault_plan *plan, size_t rule_index,
                         const struct spf_fault_site *site, uint32_t n)
{
    const struct spf_fault_rule *r = &plan->rules[rule_index];
    uint64_t h = mix64(plan->seed);

    h = mix64(h ^ plan->stream);
    h = mix64(h ^ ((uint64_t)r->call << 32 | site->scope));
    h = mix64(h ^ n);
    /* Call n of one process is not call n of another: each draws apart.
     * The tree's count already tells its calls apart.  The root is 0, so
     * its draws are those of a plan without processes. */
    if (r->count != SPF_COUNT_TREE && site->proc != 0)
        h = mix64(h ^ site->proc);
    return mix64(h ^ rule_index);
}

uint64_t spf_fault_child_id(uint64_t parent, uint64_t k)
{
    /* Contract: see faults.h. */
    uint64_t id = mix64(mix64(parent ^ 0x70726f63u) ^ k);

    return id != 0 ? id : 1;
}

/* Further choices of a fired rule, each from its own stream. */
enum draw_salt { SALT_ERRNO = 1, SALT_SHORT, SALT_DELAY };

static uint64_t draw_more(uint64_t key, enum draw_salt salt)
{
    return mix64(key ^ ((uint64_t)salt << 56));
}

static bool draw_fires(uint64_t key, uint32_t ppm)
{
    if (ppm >= PPM_ALWAYS)
        return true;
    if (ppm == 0)
        return false;
    /* Scale the top 32 bits to [0, 1000000) without modulo bias. */
    return (((key >> 32) * PPM_ALWAYS) >> 32) < ppm;
}

static bool trigger_matches(const struct spf_fault_rule *r, uint32_t n)
{
    if (r->every)
        return true;
    for (size_t i = 0; i < r->n_ranges && i < SPF_FAULT_MAX_RANGES; i++) {
        const struct spf_fault_range *g = &r->ranges[i];
        uint32_t step = g->step > 0 ? g->step : 1;
        if (n >= g->first && n <= g->last && (n - g->first) % step == 0)
            return true;
    }
    return false;
}

/* The call number a rule sees: the sum of its leaves' counts in the
 * rule's counting mode, 0 when that mode has no counts here. */
static uint32_t rule_number(const struct spf_fault_rule *r,
                            const struct spf_fault_site *site)
{
    uint32_t leaves = points[r->call].leaves;
    uint64_t n = 0;

    for (unsigned leaf = 0; leaf < SPF_CALL__COUNT; leaf++) {
        if (!(leaves & LEAF(leaf)))
            continue;
        switch (r->count) {
        case SPF_COUNT_TREE:
            if (site->tree == NULL)
                return 0;
            n += site->tree[leaf];
            break;
        case SPF_COUNT_THREAD:
            n +=
                site->thread != NULL ? site->thread[leaf] : site->process[leaf];
            break;
        default:
            n += site->process[leaf];
            break;
        }
    }
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* 2^x for 0 <= x < 12, from the series of e^(x ln 2) on the fraction:
 * plain arithmetic, so it is async-signal-safe and the same everywhere. */
static double exp2_small(double x)
{
    unsigned whole = (unsigned)x;
    double y = (x - whole) * 0.69314718055994530942;
    double term = 1.0, sum = 1.0;

    for (int k = 1; k < 20; k++) {
        term *= y / k;
        sum += term;
    }
    return sum * (double)(1u << whole);
}

/* Log-uniform from SPF_FAULT_DELAY_RAND_MIN_NS to _MAX_NS: as many short
 * delays as long ones, per decade. */
static uint64_t delay_from_draw(uint64_t h)
{
    /* log2(2 s / 1 ms) */
    static const double span = 10.965784284662087;
    double u = (double)(h >> 11) / 9007199254740992.0; /* [0, 1) */
    double ns = (double)SPF_FAULT_DELAY_RAND_MIN_NS * exp2_small(u * span);

    if (ns > (double)SPF_FAULT_DELAY_RAND_MAX_NS)
        return SPF_FAULT_DELAY_RAND_MAX_NS;
    return (uint64_t)ns;
}

static int errno_from_draw(enum spf_fault_call leaf, uint64_t h)
{
    const int *errs = valid_errnos[leaf].errs;
    size_t n = 0;

    while (errs[n] != 0)
        n++;
    return errs[h % n];
}

/* Fills the hit for a rule that matched; false when the rule cannot act
 * on this call (a transfer too small to cut). */
static bool fill_hit(const struct spf_fault_plan *plan,
                     const struct spf_fault_site *site, size_t i, uint32_t n,
                     uint64_t key, struct spf_fault_hit *hit)
{
    const struct spf_fault_rule *r = &plan->rules[i];

    memset(hit, 0, sizeof(*hit));
    hit->rule = (int)i;
    hit->n = n;
    hit->action = r->action;
    switch (r->action) {
    case SPF_ACTION_ERRNO:
        hit->err = r->err_any
                       ? errno_from_draw(site->call, draw_more(key, SALT_ERRNO))
                       : r->err;
        return true;
    case SPF_ACTION_SHORT:
        if (r->short_how == SPF_SHORT_FIXED) {
            if (site->count == 0)
                return false;
            hit->bytes =
                site->count < r->short_max ? site->count : r->short_max;
            return true;
        }
        if (site->count < 2)
            return false;
        hit->bytes = r->short_how == SPF_SHORT_HALF
                         ? site->count / 2
                         : 1 + draw_more(key, SALT_SHORT) % (site->count - 1);
        return true;
    case SPF_ACTION_DELAY:
        hit->delay_ns = r->delay_rand
                            ? delay_from_draw(draw_more(key, SALT_DELAY))
                            : r->delay_ns;
        return true;
    case SPF_ACTION_SIGNAL:
        hit->sig = r->sig;
        return true;
    default:
        return true;
    }
}

/* A predicate with nothing to look at does not match. */
static bool preds_match(const struct spf_fault_rule *r,
                        const struct spf_fault_site *site)
{
    if (r->pred_fd_set && site->fd != r->pred_fd)
        return false;
    if (r->pred_kind != SPF_FD_ANY && site->kind != r->pred_kind)
        return false;
    if (r->pred_path[0] != '\0' &&
        (site->path == NULL || !spf_fault_glob(r->pred_path, site->path)))
        return false;
    return r->pred_exe[0] == '\0' ||
           (site->exe != NULL && spf_fault_glob(r->pred_exe, site->exe));
}

int spf_fault_decide(const struct spf_fault_plan *plan,
                     const struct spf_fault_site *site,
                     struct spf_fault_hit *ret_hit)
{
    /* Contract: see faults.h.  Rules are tried in plan order and the first
     * that matches backend, point, scope, trigger and probability, and can
     * act on the call, wins; a call number of 0 never fires.  A fixed
     * short rule fires on any transfer of at least one byte (it may then
     * move them all); half and rand need two.  Async-signal-safe,
     * lock-free, reads only its arguments. */
    size_t count = plan->n_rules;

    if ((unsigned)site->call >= SPF_CALL__COUNT)
        return -1;
    if (count > SPF_FAULT_MAX_RULES)
        count = SPF_FAULT_MAX_RULES;
    for (size_t i = 0; i < count; i++) {
        const struct spf_fault_rule *r = &plan->rules[i];
        uint32_t n;
        uint64_t key;

        if (r->backend != site->backend || (r->scope & site->scope) == 0 ||
            (unsigned)r->call >= SPF_POINT__COUNT ||
            !(points[r->call].leaves & LEAF(site->call)))
            continue;
        if (!preds_match(r, site))
            continue;
        n = rule_number(r, site);
        if (n == 0 || !trigger_matches(r, n))
            continue;
        key = draw_key(plan, i, site, n);
        if (draw_fires(key, r->prob_ppm) &&
            fill_hit(plan, site, i, n, key, ret_hit))
            return (int)i;
    }
    return -1;
}

uint32_t spf_fault_plan_leaves(const struct spf_fault_plan *plan,
                               enum spf_fault_backend backend)
{
    uint32_t leaves = 0;

    for (size_t i = 0; i < plan->n_rules && i < SPF_FAULT_MAX_RULES; i++)
        if (plan->rules[i].backend == backend)
            leaves |= spf_fault_point_leaves(plan->rules[i].call);
    return leaves;
}

unsigned spf_fault_plan_predicates(const struct spf_fault_plan *plan,
                                   enum spf_fault_backend backend)
{
    unsigned preds = 0;

    for (size_t i = 0; i < plan->n_rules && i < SPF_FAULT_MAX_RULES; i++) {
        const struct spf_fault_rule *r = &plan->rules[i];
        if (r->backend != backend)
            continue;
        preds |= r->pred_fd_set ? SPF_PRED_FD : 0;
        preds |= r->pred_kind != SPF_FD_ANY ? SPF_PRED_FD | SPF_PRED_KIND : 0;
        preds |= r->pred_path[0] ? SPF_PRED_PATH : 0;
        preds |= r->pred_exe[0] ? SPF_PRED_EXE : 0;
    }
    return preds;
}

bool spf_fault_plan_counts_tree(const struct spf_fault_plan *plan,
                                enum spf_fault_backend backend)
{
    for (size_t i = 0; i < plan->n_rules && i < SPF_FAULT_MAX_RULES; i++)
        if (plan->rules[i].backend == backend &&
            plan->rules[i].count == SPF_COUNT_TREE)
            return true;
    return false;
}

static const char *scope_name(unsigned scope)
{
    for (size_t k = 0; k < ARRAY_SIZE(scope_names); k++)
        if (scope == 1u << k)
            return scope_names[k];
    return NULL;
}

static void format_errno(struct spf__text *t, int err)
{
    const char *name = spf_errno_name(err);

    if (name != NULL) {
        spf__text_str(t, name);
        return;
    }
    spf__text_u64(t, (uint64_t)err);
}

static void format_action(struct spf__text *t, const struct spf_fault_record *r)
{
    spf__text_str(t, " action=");
    spf__text_str(t, action_names[r->action]);
    switch (r->action) {
    case SPF_ACTION_ERRNO:
        spf__text_str(t, " errno=");
        format_errno(t, r->err);
        break;
    case SPF_ACTION_SHORT:
        spf__text_str(t, " want=");
        spf__text_u64(t, r->want);
        spf__text_str(t, " got=");
        if (r->got == UINT64_MAX)
            spf__text_str(t, "-1");
        else
            spf__text_u64(t, r->got);
        break;
    case SPF_ACTION_DELAY:
        spf__text_str(t, " ns=");
        spf__text_u64(t, r->delay_ns);
        break;
    case SPF_ACTION_SIGNAL:
        spf__text_str(t, " sig=");
        spf__text_str(t, spf_fault_signal_name(r->sig));
        if (r->err != 0) {
            spf__text_str(t, " errno=");
            format_errno(t, r->err);
        }
        break;
    default:
        break;
    }
}

static bool record_formattable(const struct spf_fault_record *r)
{
    if (scope_name(r->scope) == NULL || (unsigned)r->call >= SPF_CALL__COUNT ||
        r->pid < 0 || r->tid < 0 || (unsigned)r->action >= SPF_ACTION__COUNT)
        return false;
    if (r->action == SPF_ACTION_ERRNO)
        return r->err > 0;
    if (r->action == SPF_ACTION_SIGNAL)
        return spf_fault_signal_name(r->sig) != NULL && r->err >= 0;
    return true;
}

int spf_fault_record_format(const struct spf_fault_record *r, char *buf,
                            size_t len)
{
    /* Contract: one line ending in '\n', NUL-terminated, in the field
     * order record_parse expects; returns its length without the NUL,
     * -ENOSPC if buf is too small, -EINVAL for a record with no single
     * scope, a call that is no leaf, an unknown action or signal, or a
     * negative pid, tid or errno.  An errno missing from the name table is
     * written as a decimal number.  Async-signal-safe. */
    struct spf__text t;

    if (!record_formattable(r))
        return -EINVAL;

    spf__text_init(&t, buf, len);
    spf__text_str(&t, "spf-fault pid=");
    spf__text_u64(&t, (uint64_t)r->pid);
    spf__text_str(&t, " tid=");
    spf__text_u64(&t, (uint64_t)r->tid);
    spf__text_str(&t, " t=");
    spf__text_u64(&t, r->t_ns);
    spf__text_str(&t, " scope=");
    spf__text_str(&t, scope_name(r->scope));
    spf__text_str(&t, " call=");
    spf__text_str(&t, points[r->call].name);
    spf__text_str(&t, " n=");
    spf__text_u64(&t, r->n);
    format_action(&t, r);
    spf__text_str(&t, "\n");
    return t.lost ? -ENOSPC : (int)t.len;
}

/* A read position in a record line. */
struct cursor {
    const char *p;
    size_t n;
};

/*
 * Takes "KEY=VALUE" at the cursor.  Fields are separated by exactly one
 * space, and a space must be followed by another field, so a line with
 * extra or trailing blanks is rejected rather than half understood.
 */
static bool take_field(struct cursor *c, const char *key,
                       struct cursor *ret_value)
{
    size_t klen = strlen(key);
    size_t i;

    if (c->n <= klen || memcmp(c->p, key, klen) != 0 || c->p[klen] != '=')
        return false;
    i = klen + 1;
    while (i < c->n && c->p[i] != ' ')
        i++;
    ret_value->p = c->p + klen + 1;
    ret_value->n = i - klen - 1;
    if (i < c->n) {
        i++;
        if (i == c->n)
            return false;
    }
    c->p += i;
    c->n -= i;
    return ret_value->n > 0;
}

static bool value_u64(struct cursor v, uint64_t max, uint64_t *ret)
{
    uint64_t x = 0;

    if (v.n == 0)
        return false;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        uint64_t d = (uint64_t)(v.p[i] - '0');
        if (x > (max - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *ret = x;
    return true;
}

static bool value_scope(struct cursor v, unsigned *ret)
{
    for (size_t k = 0; k < ARRAY_SIZE(scope_names); k++) {
        if (same_word(v.p, v.n, scope_names[k])) {
            *ret = 1u << k;
            return true;
        }
    }
    return false;
}

/* An errno by name, or as the decimal number format_errno falls back to. */
static bool value_errno(struct cursor v, int *ret)
{
    uint64_t x;
    int err = spf_errno_from_name(v.p, v.n);

    if (err > 0) {
        *ret = err;
        return true;
    }
    if (!value_u64(v, INT32_MAX, &x) || x == 0)
        return false;
    *ret = (int)x;
    return true;
}

static bool parse_head(struct cursor *c, struct spf_fault_record *r)
{
    static const char tag[] = "spf-fault ";
    struct cursor v;
    uint64_t x;
    int call;

    if (c->n < sizeof(tag) - 1 || memcmp(c->p, tag, sizeof(tag) - 1) != 0)
        return false;
    c->p += sizeof(tag) - 1;
    c->n -= sizeof(tag) - 1;
    if (!take_field(c, "pid", &v) || !value_u64(v, INT32_MAX, &x) || x == 0)
        return false;
    r->pid = (pid_t)x;
    if (!take_field(c, "tid", &v) || !value_u64(v, INT32_MAX, &x))
        return false;
    r->tid = (pid_t)x;
    if (!take_field(c, "t", &v) || !value_u64(v, UINT64_MAX, &r->t_ns))
        return false;
    if (!take_field(c, "scope", &v) || !value_scope(v, &r->scope))
        return false;
    if (!take_field(c, "call", &v))
        return false;
    /* Records name leaves by their canonical names only. */
    call = spf_fault_call_from_name(v.p, v.n);
    if (call < 0 || call >= SPF_CALL__COUNT ||
        !same_word(v.p, v.n, points[call].name))
        return false;
    r->call = (enum spf_fault_call)call;
    if (!take_field(c, "n", &v) || !value_u64(v, UINT32_MAX, &x))
        return false;
    r->n = (uint32_t)x;
    return true;
}

static bool parse_short_tail(struct cursor *c, struct spf_fault_record *r)
{
    struct cursor v;

    if (!take_field(c, "want", &v) || !value_u64(v, UINT64_MAX, &r->want))
        return false;
    if (!take_field(c, "got", &v))
        return false;
    if (same_word(v.p, v.n, "-1")) {
        r->got = UINT64_MAX;
        return true;
    }
    return value_u64(v, UINT64_MAX - 1, &r->got);
}

static bool parse_signal_tail(struct cursor *c, struct spf_fault_record *r)
{
    struct cursor v;

    if (!take_field(c, "sig", &v) ||
        (r->sig = spf_fault_signal_from_name(v.p, v.n)) < 0)
        return false;
    if (c->n == 0)
        return true;
    return take_field(c, "errno", &v) && value_errno(v, &r->err);
}

static bool parse_tail(struct cursor *c, struct spf_fault_record *r)
{
    struct cursor v;
    size_t k = 0;

    if (!take_field(c, "action", &v))
        return false;
    while (k < SPF_ACTION__COUNT && !same_word(v.p, v.n, action_names[k]))
        k++;
    if (k == SPF_ACTION__COUNT)
        return false;
    r->action = (enum spf_fault_action)k;
    switch (r->action) {
    case SPF_ACTION_ERRNO:
        return take_field(c, "errno", &v) && value_errno(v, &r->err);
    case SPF_ACTION_SHORT:
        return parse_short_tail(c, r);
    case SPF_ACTION_DELAY:
        return take_field(c, "ns", &v) &&
               value_u64(v, UINT64_MAX, &r->delay_ns);
    case SPF_ACTION_SIGNAL:
        return parse_signal_tail(c, r);
    default:
        return true;
    }
}

int spf_fault_record_parse(const char *line, size_t len,
                           struct spf_fault_record *ret)
{
    /* Contract: the inverse of spf_fault_record_format.  A single trailing
     * '\n' is tolerated; anything else that format would not write,
     * including an "spf-fault error=" line, gives -EINVAL and leaves *ret
     * untouched.  Async-signal-safe. */
    struct spf_fault_record r;
    struct cursor c = {line, len};

    if (c.n > 0 && c.p[c.n - 1] == '\n')
        c.n--;
    memset(&r, 0, sizeof(r));
    if (!parse_head(&c, &r) || !parse_tail(&c, &r) || c.n != 0)
        return -EINVAL;
    *ret = r;
    return 0;
}

const char *spf_fault_scope_name(unsigned scope)
{
    for (size_t k = 0; k < ARRAY_SIZE(scope_names); k++)
        if (scope == 1u << k)
            return scope_names[k];
    return NULL;
}

int spf_fault_scope_from_name(const char *name, size_t len)
{
    for (size_t k = 0; k < ARRAY_SIZE(scope_names); k++)
        if (strlen(scope_names[k]) == len &&
            memcmp(scope_names[k], name, len) == 0)
            return (int)(1u << k);
    return -EINVAL;
}

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
    return syscall(SYS_pread64, fd, buf, len, (off_t)off) == (long)len;
}

/* The interpreter named by a 64-bit ELF file's PT_INTERP, or "" when it
 * has none; false when the file is no such ELF. */
static bool elf_interp(int fd, char *ret, size_t len)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph;

    if (!read_at(fd, &eh, sizeof(eh), 0) ||
        memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph))
        return false;
    ret[0] = '\0';
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        if (!read_at(fd, &ph, sizeof(ph),
                     eh.e_phoff + (uint64_t)i * sizeof(ph)))
            return false;
        if (ph.p_type != PT_INTERP)
            continue;
        if (ph.p_filesz == 0 || ph.p_filesz > len ||
            !read_at(fd, ret, ph.p_filesz, ph.p_offset))
            return false;
        ret[ph.p_filesz - 1] = '\0';
        return true;
    }
    return true;
}

enum spf_libc spf_fault_program_libc(const char *path)
{
    /* Contract: see faults.h. */
    char interp[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok;

    if (fd < 0)
        return SPF_LIBC_UNKNOWN;
    ok = elf_interp(fd, interp, sizeof(interp));
    close(fd);
    if (!ok)
        return SPF_LIBC_UNKNOWN;
    if (interp[0] == '\0')
        return SPF_LIBC_STATIC;
    if (strstr(interp, "/ld-musl-") != NULL)
        return SPF_LIBC_MUSL;
    if (strstr(interp, "/ld-linux") != NULL)
        return SPF_LIBC_GLIBC;
    return SPF_LIBC_UNKNOWN;
}
