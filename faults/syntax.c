/*
 * strace's fault syntax (`-e inject=SET:error=...:when=...`) turned into
 * native rules (faults/README.md), so a fault written for one tool works
 * in the other.  What strace has and we do not is refused by name, never
 * approximated: a rule that silently does something else would make a
 * verdict wrong.  libfiu's control commands ("enable name=posix/...")
 * are taken the same way, below.
 *
 * Pure: no allocation, no stdio, no state; text is built with the small
 * bounded writer below.  It sits in faults_lib beside the model, so it
 * keeps to the string functions the child-symbols check allows.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <spawnfault/fault-syntax.h>
#include <spawnfault/faults.h>

#include "text.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The highest call number a trigger may name (faults.h). */
#define CALL_MAX 4294967294u

/* What the call returns when it succeeds, for retval=N. */
enum success {
    SUCCESS_ZERO,   /* always 0: retval=0 is plain success */
    SUCCESS_VARIES, /* a pid, an fd, a count: depends on the call */
    SUCCESS_NONE,   /* exec: does not return at all */
};

struct name_row {
    const char *name;
    const char *point;
    enum success success;
};

/*
 * Every name a SET may hold: the points themselves (the families spawn,
 * fd, io, proc and sig name all the points below them), then the system calls
 * strace knows, each with the point whose wrappers see it.  A system call
 * stands for its whole point: clone is spawn/fork, which fork and vfork
 * share.  retval= is checked against the name as written.
 */
static const struct name_row names[] = {
    {"spawn/exec", "spawn/exec", SUCCESS_NONE},
    {"spawn/fork", "spawn/fork", SUCCESS_VARIES},
    {"spawn/fork/fork", "spawn/fork/fork", SUCCESS_VARIES},
    {"spawn/fork/vfork", "spawn/fork/vfork", SUCCESS_VARIES},
    {"fd/pipe", "fd/pipe", SUCCESS_ZERO},
    {"fd/dup", "fd/dup", SUCCESS_VARIES},
    {"fd/close", "fd/close", SUCCESS_ZERO},
    {"io/read", "io/read", SUCCESS_VARIES},
    {"io/write", "io/write", SUCCESS_VARIES},
    {"io/poll", "io/poll", SUCCESS_VARIES},
    {"proc/wait", "proc/wait", SUCCESS_VARIES},
    {"proc/kill", "proc/kill", SUCCESS_ZERO},
    {"proc/chdir", "proc/chdir", SUCCESS_ZERO},
    {"proc/setsid", "proc/setsid", SUCCESS_VARIES},
    {"proc/setpgid", "proc/setpgid", SUCCESS_ZERO},
    {"sig/mask", "sig/mask", SUCCESS_ZERO},
    {"spawn", "spawn", SUCCESS_VARIES},
    {"fd", "fd", SUCCESS_VARIES},
    {"io", "io", SUCCESS_VARIES},
    {"proc", "proc", SUCCESS_VARIES},
    {"sig", "sig", SUCCESS_ZERO},
    {"execve", "spawn/exec", SUCCESS_NONE},
    {"execveat", "spawn/exec", SUCCESS_NONE},
    {"fork", "spawn/fork/fork", SUCCESS_VARIES},
    {"vfork", "spawn/fork/vfork", SUCCESS_VARIES},
    {"clone", "spawn/fork", SUCCESS_VARIES},
    {"clone3", "spawn/fork", SUCCESS_VARIES},
    {"pipe", "fd/pipe", SUCCESS_ZERO},
    {"pipe2", "fd/pipe", SUCCESS_ZERO},
    {"dup", "fd/dup", SUCCESS_VARIES},
    {"dup2", "fd/dup", SUCCESS_VARIES},
    {"dup3", "fd/dup", SUCCESS_VARIES},
    {"close", "fd/close", SUCCESS_ZERO},
    {"read", "io/read", SUCCESS_VARIES},
    {"write", "io/write", SUCCESS_VARIES},
    {"poll", "io/poll", SUCCESS_VARIES},
    {"ppoll", "io/poll", SUCCESS_VARIES},
    {"wait4", "proc/wait", SUCCESS_VARIES},
    {"waitid", "proc/wait", SUCCESS_ZERO},
    {"waitpid", "proc/wait", SUCCESS_VARIES},
    {"kill", "proc/kill", SUCCESS_ZERO},
    {"tgkill", "proc/kill", SUCCESS_ZERO},
    {"chdir", "proc/chdir", SUCCESS_ZERO},
    {"fchdir", "proc/chdir", SUCCESS_ZERO},
    {"setsid", "proc/setsid", SUCCESS_VARIES},
    {"setpgid", "proc/setpgid", SUCCESS_ZERO},
    {"rt_sigprocmask", "sig/mask", SUCCESS_ZERO},
    {"sigprocmask", "sig/mask", SUCCESS_ZERO},
};

struct piece {
    const char *p;
    size_t n;
};

enum key {
    K_ERROR,
    K_RETVAL,
    K_SIGNAL,
    K_DELAY,
    K_SHORT,
    K_ERRNO,
    K_WHEN,
    K_PROB,
    K_SCOPE,
    K_COUNT,
    K_BACKEND,
    K__COUNT
};

/* Keys, in enum order; those before K_WHEN each choose an action. */
static const char *const key_names[K__COUNT] = {
    [K_ERROR] = "error",       [K_RETVAL] = "retval",   [K_SIGNAL] = "signal",
    [K_DELAY] = "delay_enter", [K_SHORT] = "short",     [K_ERRNO] = "errno",
    [K_WHEN] = "when",         [K_PROB] = "prob",       [K_SCOPE] = "scope",
    [K_COUNT] = "count",       [K_BACKEND] = "backend",
};

/* strace's keys that have no counterpart here, and what each does. */
static const struct {
    const char *key;
    const char *what;
} strace_only[] = {
    {"delay_exit", "a delay after the call returns"},
    {"poke_enter", "writing into the call's memory before it runs"},
    {"poke_exit", "writing into the call's memory after it returns"},
    {"syscall", "running another system call in its place"},
};

/* One spec being translated: its keys, and where messages go. */
struct spec {
    struct piece set;
    struct piece val[K__COUNT];
    bool given[K__COUNT];
    unsigned scope;  /* SPF_SCOPE_* bits from scope=, 0: the default */
    uint64_t retval; /* retval='s number, checked against each name */
    char *errbuf;
    size_t errlen;
};

/* Writes `WHAT "TOKEN"REST` as the message; always returns -EINVAL. */
static int fail(struct spec *s, const char *what, const char *tok, size_t n,
                const char *rest)
{
    struct spf__text o;

    spf__text_init(&o, s->errbuf, s->errlen);
    spf__text_str(&o, what);
    if (tok != NULL) {
        spf__text_str(&o, " ");
        spf__text_quoted(&o, tok, n);
    }
    if (rest != NULL)
        spf__text_str(&o, rest);
    return -EINVAL;
}

/* The message for key=value: `KEY "VALUE": REST`. */
static int fail_key(struct spec *s, enum key k, const char *rest)
{
    return fail(s, key_names[k], s->val[k].p, s->val[k].n, rest);
}

static bool same(struct piece a, const char *word)
{
    return strlen(word) == a.n && memcmp(a.p, word, a.n) == 0;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Decimal digits only, up to max; false on anything else. */
static bool number(struct piece v, uint64_t max, uint64_t *ret)
{
    uint64_t x = 0;

    if (v.n == 0)
        return false;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        if (x > (max - (uint64_t)(v.p[i] - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(v.p[i] - '0');
    }
    *ret = x;
    return true;
}

/* Digits at the front of *v, taken off it; false when there are none or
 * they pass max (then *ret_big tells which). */
static bool take_number(struct piece *v, uint64_t max, uint64_t *ret,
                        bool *ret_big)
{
    struct piece d = {v->p, 0};

    while (d.n < v->n && v->p[d.n] >= '0' && v->p[d.n] <= '9')
        d.n++;
    *ret_big = false;
    if (d.n == 0)
        return false;
    if (!number(d, max, ret)) {
        *ret_big = true;
        return false;
    }
    v->p += d.n;
    v->n -= d.n;
    return true;
}

static int set_scope(struct spec *s, struct piece v)
{
    size_t start = 0;

    for (size_t i = 0; i <= v.n; i++) {
        struct piece w = {v.p + start, i - start};
        int bit;

        if (i < v.n && v.p[i] != '+')
            continue;
        bit = spf_fault_scope_from_name(w.p, w.n);
        if (bit < 0)
            return fail(s, "scope", w.p, w.n,
                        ": unknown (expected parent, child or exec)");
        if (s->scope & (unsigned)bit)
            return fail(s, "scope", w.p, w.n, ": given twice");
        s->scope |= (unsigned)bit;
        start = i + 1;
    }
    return 0;
}

/* A key we do not know: strace's own get their reason. */
static int refuse_key(struct spec *s, struct piece k)
{
    struct spf__text o;

    for (size_t i = 0; i < ARRAY_SIZE(strace_only); i++) {
        if (!same(k, strace_only[i].key))
            continue;
        spf__text_init(&o, s->errbuf, s->errlen);
        spf__text_str(&o, strace_only[i].key);
        spf__text_str(&o, ": strace has it (");
        spf__text_str(&o, strace_only[i].what);
        spf__text_str(&o, "), spawnfault does not");
        return -EINVAL;
    }
    return fail(s, "unknown key", k.p, k.n,
                " (expected error, retval, signal, delay_enter, when, short,"
                " prob, scope, count, backend or errno)");
}

/* One KEY=VALUE token after the SET. */
static int take_token(struct spec *s, struct piece t)
{
    const char *eq = memchr(t.p, '=', t.n);
    struct piece k = {t.p, eq ? (size_t)(eq - t.p) : t.n};
    struct piece v = {eq ? eq + 1 : NULL, eq ? t.n - k.n - 1 : 0};
    size_t i = 0;

    if (t.n == 0)
        return fail(s, "empty key", NULL, 0,
                    " (a ':' with no KEY=VALUE after it)");
    if (eq == NULL)
        return fail(s, "key", t.p, t.n, ": expected KEY=VALUE");
    while (i < K__COUNT && !same(k, key_names[i]))
        i++;
    if (i == K__COUNT)
        return refuse_key(s, k);
    if (v.n == 0)
        return fail(s, key_names[i], NULL, 0, "=: the value is missing");
    if (i == K_SCOPE)
        return set_scope(s, v);
    if (s->given[i])
        return fail(s, key_names[i], NULL, 0, "=: given twice");
    s->given[i] = true;
    s->val[i] = v;
    return 0;
}

/* Cuts "SET:k=v:k=v" into the set and the keys. */
static int split_spec(struct spec *s, const char *text, size_t len)
{
    const char *colon = memchr(text, ':', len);
    size_t start;
    int r = 0;

    s->set.p = text;
    s->set.n = (size_t)(colon - text);
    start = s->set.n + 1;
    for (size_t i = start; r == 0 && i <= len; i++) {
        if (i < len && text[i] != ':')
            continue;
        r = take_token(s, (struct piece){text + start, i - start});
        start = i + 1;
    }
    return r;
}

/* error=: a name in any case, or a number, as strace takes it. */
static int errno_value(struct spec *s, int *ret)
{
    struct piece v = s->val[K_ERROR];
    char name[24];
    uint64_t x;
    int err;

    if (number(v, 4095, &x)) {
        if (x == 0 || spf_errno_name((int)x) == NULL)
            return fail_key(s, K_ERROR, ": no errno has this number here");
        *ret = (int)x;
        return 0;
    }
    for (size_t i = 0; i < v.n && i < sizeof(name); i++)
        name[i] = upper(v.p[i]);
    err = v.n <= sizeof(name) ? spf_errno_from_name(name, v.n) : -EINVAL;
    if (err < 0)
        return fail_key(s, K_ERROR,
                        ": unknown errno (expected a name such"
                        " as ENOENT, or its number)");
    *ret = err;
    return 0;
}

/* Whether a, upper-cased, is word. */
static bool same_upper(struct piece a, const char *word)
{
    if (strlen(word) != a.n)
        return false;
    for (size_t i = 0; i < a.n; i++)
        if (upper(a.p[i]) != word[i])
            return false;
    return true;
}

/* signal=: a number, or a name in any case with or without "SIG", as
 * strace takes it; the model's table says which signals exist. */
static int signal_value(struct spec *s, int *ret_sig)
{
    struct piece v = s->val[K_SIGNAL];
    char name[16] = "SIG";
    size_t skip = 0;
    uint64_t x;
    int sig = -EINVAL;

    if (number(v, 255, &x)) {
        if (spf_fault_signal_name((int)x) != NULL)
            sig = (int)x;
    } else {
        if (v.n > 3 && same_upper((struct piece){v.p, 3}, "SIG"))
            skip = 3;
        for (size_t i = skip; i < v.n && 3 + i - skip < sizeof(name); i++)
            name[3 + i - skip] = upper(v.p[i]);
        if (3 + v.n - skip <= sizeof(name))
            sig = spf_fault_signal_from_name(name, 3 + v.n - skip);
    }
    if (sig < 0)
        return fail_key(s, K_SIGNAL,
                        ": unknown signal (expected a name such"
                        " as SIGUSR1, or its number; real-time"
                        " signals are not supported)");
    *ret_sig = sig;
    return 0;
}

static int write_signal(struct spec *s, struct spf__text *o)
{
    int sig = 0;
    int r = signal_value(s, &sig);

    if (r < 0)
        return r;
    if (sig == SIGSTOP) {
        spf__text_str(o, "stop");
    } else if (sig == SIGKILL) {
        spf__text_str(o, "kill");
    } else {
        spf__text_str(o, "signal:");
        spf__text_str(o, spf_fault_signal_name(sig));
    }
    return 0;
}

/* retval=: decimal, or hexadecimal after 0x, as strtoull reads it. */
static int retval_value(struct spec *s)
{
    struct piece v = s->val[K_RETVAL];
    uint64_t x = 0;

    if (v.n > 2 && v.p[0] == '0' && (v.p[1] == 'x' || v.p[1] == 'X')) {
        for (size_t i = 2; i < v.n; i++) {
            char c = upper(v.p[i]);
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0 || i > 17)
                return fail_key(s, K_RETVAL, ": expected a number");
            x = x << 4 | (uint64_t)d;
        }
    } else if (!number(v, UINT64_MAX, &x)) {
        return fail_key(s, K_RETVAL, ": expected a number");
    }
    s->retval = x;
    return 0;
}

static const struct {
    const char *unit;
    uint64_t ns;
} units[] = {{"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1}};

/* The fraction after a '.' at the front of *v, in parts of 10^9. */
static bool take_fraction(struct piece *v, uint64_t *ret_nano, bool *ret_fine)
{
    uint64_t nano = 0, unit = 100000000;
    size_t i = 1;

    *ret_fine = false;
    for (; i < v->n && v->p[i] >= '0' && v->p[i] <= '9'; i++, unit /= 10) {
        if (unit == 0 && v->p[i] != '0')
            *ret_fine = true;
        nano += (uint64_t)(v->p[i] - '0') * unit;
    }
    if (i == 1 || *ret_fine)
        return false;
    v->p += i;
    v->n -= i;
    *ret_nano = nano;
    return true;
}

/* delay_enter=: strace's DUR, a number (a decimal fraction too) with an
 * optional unit, microseconds without one.  Written in the unit given
 * when whole, else in the largest unit that holds it exactly. */
static int write_delay(struct spec *s, struct spf__text *o)
{
    static const char expected[] = ": expected a number with an optional"
                                   " unit: ns, us, ms or s (none: us)";
    struct piece v = s->val[K_DELAY];
    uint64_t whole, nano = 0, scale = 1000;
    const char *unit = "us";
    bool big, fine, frac = false;
    size_t u = 0;

    if (!take_number(&v, UINT64_MAX, &whole, &big))
        return fail_key(s, K_DELAY, big ? ": too long" : expected);
    if (v.n > 0 && v.p[0] == '.') {
        if (!take_fraction(&v, &nano, &fine))
            return fail_key(s, K_DELAY,
                            fine ? ": finer than a nanosecond" : expected);
        frac = true;
    }
    if (v.n > 0) {
        while (u < ARRAY_SIZE(units) && !same(v, units[u].unit))
            u++;
        if (u == ARRAY_SIZE(units))
            return fail_key(s, K_DELAY, expected);
        unit = units[u].unit;
        scale = units[u].ns;
    }
    if (whole > UINT64_MAX / scale - 1)
        return fail_key(s, K_DELAY, ": too long");
    if (nano * scale % 1000000000 != 0)
        return fail_key(s, K_DELAY, ": finer than a nanosecond");
    whole = whole * scale + nano * scale / 1000000000;
    if (whole == 0)
        return fail_key(s, K_DELAY, ": a delay of zero does nothing");
    for (u = 0; frac && whole % units[u].ns != 0; u++)
        ;
    spf__text_str(o, "delay:");
    spf__text_u64(o, whole / (frac ? units[u].ns : scale));
    spf__text_str(o, frac ? units[u].unit : unit);
    return 0;
}

static int write_short(struct spec *s, struct spf__text *o)
{
    struct piece v = s->val[K_SHORT];
    uint64_t k;

    spf__text_str(o, "short:");
    if (same(v, "half") || same(v, "rand")) {
        spf__text_mem(o, v.p, v.n);
        return 0;
    }
    if (!number(v, UINT32_MAX, &k) || k == 0)
        return fail_key(s, K_SHORT,
                        ": expected half, rand or a number of"
                        " bytes from 1 to 4294967295");
    spf__text_u64(o, k);
    return 0;
}

/* The message when two keys each ask for an action. */
static int two_actions(struct spec *s, enum key a, enum key b)
{
    struct spf__text o;

    spf__text_init(&o, s->errbuf, s->errlen);
    spf__text_str(&o, "one action per rule: ");
    spf__text_str(&o, key_names[a]);
    spf__text_str(&o, "= and ");
    spf__text_str(&o, key_names[b]);
    spf__text_str(&o, "= both given");
    if (a == K_ERROR && b == K_SIGNAL)
        spf__text_str(&o, " (only error=EINTR goes with signal=: the signal"
                          " interrupts the call)");
    return -EINVAL;
}

/* Which key chooses the action.  error=EINTR beside signal= is strace's
 * way of saying that the signal interrupts the call: one action. */
static int action_key(struct spec *s, int err, enum key *ret)
{
    enum key seen = K__COUNT;

    for (enum key k = K_ERROR; k < K_WHEN; k++) {
        if (!s->given[k])
            continue;
        if (k == K_ERROR && s->given[K_SIGNAL] && err == EINTR)
            continue;
        if (seen != K__COUNT)
            return two_actions(s, seen, k);
        seen = k;
    }
    if (seen == K__COUNT)
        return fail(s, "no action", NULL, 0,
                    " (give error=, retval=, signal=, delay_enter=, short="
                    " or errno=any)");
    *ret = seen;
    return 0;
}

static int write_action(struct spec *s, struct spf__text *o)
{
    enum key k = K_ERROR;
    int err = 0;
    int r = s->given[K_ERROR] ? errno_value(s, &err) : 0;

    if (r == 0)
        r = action_key(s, err, &k);
    if (r < 0)
        return r;
    spf__text_str(o, "=");
    switch (k) {
    case K_ERROR:
        spf__text_str(o, spf_errno_name(err));
        return 0;
    case K_RETVAL:
        spf__text_str(o, "succeed");
        return retval_value(s);
    case K_SIGNAL:
        return write_signal(s, o);
    case K_DELAY:
        return write_delay(s, o);
    case K_SHORT:
        return write_short(s, o);
    default:
        if (!same(s->val[K_ERRNO], "any"))
            return fail_key(s, K_ERRNO,
                            ": expected any (for one errno,"
                            " use error=NAME)");
        spf__text_str(o, "errno:any");
        return 0;
    }
}

/* when=FIRST[..LAST][+[STEP]], strace's meaning: FIRST alone is that
 * call only; FIRST+ and FIRST+STEP go on for ever; ..LAST stops. */
struct when {
    uint64_t first, last, step; /* last 0: open-ended */
};

static int when_value(struct spec *s, struct when *ret)
{
    struct piece v = s->val[K_WHEN];
    struct when w = {0, 0, 1};
    bool big = false, range = false;

    if (!take_number(&v, CALL_MAX, &w.first, &big))
        goto bad;
    w.last = w.first;
    if (v.n >= 2 && v.p[0] == '.' && v.p[1] == '.') {
        v.p += 2;
        v.n -= 2;
        if (!take_number(&v, CALL_MAX, &w.last, &big))
            goto bad;
        range = true;
    }
    if (v.n > 0 && v.p[0] == '+') {
        v.p++;
        v.n--;
        if (!range)
            w.last = 0;
        if (v.n > 0 && !take_number(&v, UINT32_MAX, &w.step, &big))
            goto bad;
    }
    if (v.n > 0)
        goto bad;
    if (w.first == 0)
        return fail_key(s, K_WHEN, ": call numbers start at 1");
    if (w.last != 0 && w.last < w.first)
        return fail_key(s, K_WHEN, ": ends before it starts");
    if (w.step == 0)
        return fail_key(s, K_WHEN, ": the step must be at least 1");
    *ret = w;
    return 0;
bad:
    return fail_key(s, K_WHEN,
                    big ? ": number too large (at most 4294967294)"
                        : ": expected FIRST, FIRST..LAST, FIRST+,"
                          " FIRST+STEP or FIRST..LAST+STEP");
}

/* The trigger in the native form spf_fault_plan_format writes. */
static int write_trigger(struct spec *s, struct spf__text *o)
{
    struct piece m = s->val[K_COUNT];
    struct when w = {0, 0, 1};
    int r;

    if (s->given[K_COUNT] && !same(m, "process") && !same(m, "thread") &&
        !same(m, "tree"))
        return fail_key(s, K_COUNT, ": expected process, thread or tree");
    if (!s->given[K_WHEN] && (!s->given[K_COUNT] || same(m, "process")))
        return 0;
    spf__text_str(o, "#");
    if (s->given[K_COUNT] && !same(m, "process")) {
        spf__text_mem(o, m.p, m.n);
        spf__text_str(o, ":");
    }
    if (!s->given[K_WHEN]) {
        spf__text_str(o, "*");
        return 0;
    }
    r = when_value(s, &w);
    if (r < 0)
        return r;
    spf__text_u64(o, w.first);
    if (w.last == w.first)
        return 0;
    spf__text_str(o, "..");
    if (w.last != 0)
        spf__text_u64(o, w.last);
    if (w.step != 1) {
        spf__text_str(o, "+");
        spf__text_u64(o, w.step);
    }
    return 0;
}

/* "0", "1", or either with one to six decimals: exact in parts per
 * million, as the native parser takes it. */
static bool prob_ok(struct piece v)
{
    bool ok = v.n == 1 || (v.n >= 3 && v.n <= 8 && v.p[1] == '.');

    ok = ok && (v.p[0] == '0' || v.p[0] == '1');
    for (size_t i = 2; ok && i < v.n; i++)
        ok = v.p[i] >= '0' && v.p[i] <= (v.p[0] == '1' ? '0' : '9');
    return ok;
}

static int write_prob(struct spec *s, struct spf__text *o)
{
    struct piece v = s->val[K_PROB];

    if (!prob_ok(v))
        return fail_key(s, K_PROB,
                        ": expected a decimal from 0 to 1 with"
                        " at most 6 decimals");
    spf__text_str(o, "%");
    spf__text_mem(o, v.p, v.n);
    return 0;
}

static void write_scope(const struct spec *s, struct spf__text *o)
{
    const char *sep = "@";

    if (s->scope == 0 || s->scope == SPF_SCOPE_DEFAULT)
        return;
    for (unsigned bit = 1; bit <= s->scope; bit <<= 1) {
        if (!(s->scope & bit))
            continue;
        spf__text_str(o, sep);
        spf__text_str(o, spf_fault_scope_name(bit));
        sep = "+";
    }
}

/* Everything after the point: [@scope][#trigger][%prob][!backend]=action. */
static int write_tail(struct spec *s, struct spf__text *o)
{
    struct piece b = s->val[K_BACKEND];
    int r;

    write_scope(s, o);
    r = write_trigger(s, o);
    if (r == 0 && s->given[K_PROB])
        r = write_prob(s, o);
    if (r == 0 && s->given[K_BACKEND] && !same(b, "preload")) {
        if (!same(b, "seccomp"))
            return fail_key(s, K_BACKEND, ": expected preload or seccomp");
        spf__text_str(o, "!seccomp");
    }
    return r == 0 ? write_action(s, o) : r;
}

/* strace's set syntax beyond a list of names, each refused by name. */
static const struct {
    char first;
    const char *what;
} set_forms[] = {
    {'%', "a class of system calls"},
    {'!', "negation"},
    {'/', "a regular expression"},
    {'?', "an optional name"},
};

static int find_name(struct spec *s, struct piece w,
                     const struct name_row **ret)
{
    struct spf__text o;

    if (w.n == 0)
        return fail(s, "empty name in the set", NULL, 0,
                    " (names are separated by one ',')");
    for (size_t i = 0; i < ARRAY_SIZE(set_forms); i++) {
        if (w.p[0] != set_forms[i].first)
            continue;
        spf__text_init(&o, s->errbuf, s->errlen);
        spf__text_quoted(&o, w.p, w.n);
        spf__text_str(&o, ": strace has ");
        spf__text_str(&o, set_forms[i].what);
        spf__text_str(&o, " in a set, spawnfault does not (name each call)");
        return -EINVAL;
    }
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (same(w, names[i].name)) {
            *ret = &names[i];
            return 0;
        }
    }
    return fail(s, "unknown system call or point", w.p, w.n,
                " (docs/inject.md lists them)");
}

/* retval=N asks for a success that returns N: only a call whose success
 * is always 0 can be faked faithfully. */
static int check_retval(struct spec *s, struct piece w,
                        const struct name_row *row)
{
    struct spf__text o;

    if (!s->given[K_RETVAL] || (row->success == SUCCESS_ZERO && s->retval == 0))
        return 0;
    spf__text_init(&o, s->errbuf, s->errlen);
    spf__text_str(&o, "retval ");
    spf__text_quoted(&o, s->val[K_RETVAL].p, s->val[K_RETVAL].n);
    spf__text_str(&o, ": ");
    spf__text_mem(&o, w.p, w.n);
    spf__text_str(&o, row->success == SUCCESS_NONE
                          ? " does not return when it succeeds"
                      : row->success == SUCCESS_VARIES
                          ? " returns a value that depends on the call when it"
                            " succeeds"
                          : " returns 0 when it succeeds");
    spf__text_str(&o, "; spawnfault only fakes success, where it is 0");
    return -EINVAL;
}

/* One rule per distinct point of the set, in the order first named. */
static int write_rules(struct spec *s, const char *tail, struct spf__text *o)
{
    const char *done[ARRAY_SIZE(names)];
    size_t n = 0, start = 0;

    for (size_t i = 0; i <= s->set.n; i++) {
        struct piece w = {s->set.p + start, i - start};
        const struct name_row *row = NULL;
        size_t k = 0;
        int r;

        if (i < s->set.n && s->set.p[i] != ',')
            continue;
        start = i + 1;
        r = find_name(s, w, &row);
        if (r == 0)
            r = check_retval(s, w, row);
        if (r < 0)
            return r;
        while (k < n && strcmp(done[k], row->point) != 0)
            k++;
        if (k < n)
            continue;
        done[n++] = row->point;
        if (n > 1)
            spf__text_str(o, ";");
        spf__text_str(o, row->point);
        spf__text_str(o, tail);
    }
    return (int)n;
}

/*
 * Native when the text before the first '=' has no ':', or when its first
 * ':' follows a field of the native form after the point: '@', '#' (a
 * counting mode: "write#tree:2=EIO"), '?' (a predicate: "write?fd:1"),
 * '%' or '!'.  strace's form always starts with its set, then a ':'; in
 * a set, '?', '%' and '!' only ever start a name ("?execve", "%file",
 * "!write").
 */
static bool is_native(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = text[i];

        if (c == ':')
            return false;
        if (c == '=' || c == '@' || c == '#')
            return true;
        if ((c == '?' || c == '%' || c == '!') && i > 0 && text[i - 1] != ',')
            return true;
    }
    return true;
}

static int copy_native(struct spec *s, const char *text, size_t len,
                       struct spf__text *o)
{
    if (memchr(text, ';', len) != NULL)
        return fail(s, "one rule per spec", NULL, 0,
                    ": a native rule holds no ';' (give each rule its own"
                    " spec)");
    spf__text_mem(o, text, len);
    return 1;
}

/*
 * libfiu's control commands, as fiu-run -c, fiu-ctrl -c and fiu_rc_string
 * take them:
 *
 *   enable name=NAME[,failnum=N][,failinfo=ERRNO][,onetime]
 *   enable_random name=NAME,probability=P[,failnum=N][,failinfo=ERRNO]
 *
 * NAME is a point of libfiu's POSIX preload (fiu_posix_preload.so).  Its
 * wrappers set errno to failinfo, or to one of the call's errnos drawn
 * with random() when failinfo is 0 or absent: errno:any is that draw,
 * seeded.  failnum is only what fiu_fail() returns, which those wrappers
 * ignore unless it is 0, and then the point never fails.
 */
struct fiu_row {
    const char *name;
    const char *point;
    bool reduce; /* a "/reduce" point: shortens the transfer, no errno */
};

/*
 * XXX: a "/reduce" point becomes short:rand, 1 to count - 1 bytes.
 * libfiu's draw (count - random() % count) leaves the count whole once in
 * count draws; ours always shortens.  Accepted: the fault is the same
 * kind, and a program that survives ours survives libfiu's.
 */

/* The points of libfiu 1.1's POSIX preload that one of ours covers.  A
 * point of ours covers its whole family: proc/wait is every wait. */
static const struct fiu_row fiu_names[] = {
    {"posix/proc/fork", "spawn/fork/fork", false},
    {"posix/proc/wait", "proc/wait", false},
    {"posix/proc/waitpid", "proc/wait", false},
    {"posix/proc/waitid", "proc/wait", false},
    {"posix/proc/kill", "proc/kill", false},
    {"posix/io/oc/close", "fd/close", false},
    {"posix/io/rw/read", "io/read", false},
    {"posix/io/rw/read/reduce", "io/read", true},
    {"posix/io/rw/write", "io/write", false},
    {"posix/io/rw/write/reduce", "io/write", true},
    {"posix/io/net/poll", "io/poll", false},
};

enum fiu_param {
    FP_NAME,
    FP_FAILNUM,
    FP_FAILINFO,
    FP_PROBABILITY,
    FP_ONETIME,
    FP__COUNT
};

static const char *const fiu_param_names[FP__COUNT] = {
    [FP_NAME] = "name",         [FP_FAILNUM] = "failnum",
    [FP_FAILINFO] = "failinfo", [FP_PROBABILITY] = "probability",
    [FP_ONETIME] = "onetime",
};

/* libfiu's commands that have no counterpart here, and what each does. */
static const struct {
    const char *cmd;
    const char *what;
} fiu_only[] = {
    {"enable_stack", "failing only while a given function is on the stack"},
    {"enable_stack_by_name",
     "failing only while a given function is on the stack"},
    {"enable_external", "a function of the program's deciding each failure"},
};

struct fiu_cmd {
    bool random;
    struct piece val[FP__COUNT];
    bool given[FP__COUNT];
};

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The word at the front of text after any blanks, as libfiu cuts it. */
static struct piece fiu_word(const char *text, size_t len)
{
    struct piece w = {text, 0};

    while (w.p < text + len && blank(*w.p))
        w.p++;
    while (w.p + w.n < text + len && !blank(w.p[w.n]))
        w.n++;
    return w;
}

/* A libfiu command: its first word starts with "enable", or is
 * "disable".  No native rule or strace set starts so. */
static bool is_libfiu(const char *text, size_t len)
{
    struct piece w = fiu_word(text, len);

    return (w.n >= 6 && memcmp(w.p, "enable", 6) == 0) || same(w, "disable");
}

static int fiu_command(struct spec *s, struct piece w, struct fiu_cmd *c)
{
    struct spf__text o;

    if (same(w, "enable") || same(w, "enable_random")) {
        c->random = w.n > 6;
        return 0;
    }
    if (same(w, "disable"))
        return fail(s,
                    "disable: a spec only adds a rule; to disable one,"
                    " leave it out",
                    NULL, 0, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(fiu_only); i++) {
        if (!same(w, fiu_only[i].cmd))
            continue;
        spf__text_init(&o, s->errbuf, s->errlen);
        spf__text_str(&o, fiu_only[i].cmd);
        spf__text_str(&o, ": libfiu has it (");
        spf__text_str(&o, fiu_only[i].what);
        spf__text_str(&o, "), spawnfault does not");
        return -EINVAL;
    }
    return fail(s, "unknown libfiu command", w.p, w.n,
                " (expected enable or enable_random)");
}

/* One parameter: KEY=VALUE, or the flag onetime. */
static int fiu_param(struct spec *s, struct fiu_cmd *c, struct piece t)
{
    const char *eq = memchr(t.p, '=', t.n);
    struct piece k = {t.p, eq ? (size_t)(eq - t.p) : t.n};
    size_t i = 0;

    if (t.n == 0)
        return fail(s, "empty parameter", NULL, 0,
                    " (parameters are separated by one ',')");
    while (i < FP__COUNT && !same(k, fiu_param_names[i]))
        i++;
    if (i == FP__COUNT)
        return fail(s, "unknown parameter", k.p, k.n,
                    " (expected name, failnum, failinfo, probability or"
                    " onetime)");
    if (i == FP_ONETIME && eq != NULL)
        return fail(s, "onetime: a flag, it takes no value", NULL, 0, NULL);
    if (i != FP_ONETIME && eq == NULL)
        return fail(s, "parameter", t.p, t.n, ": expected KEY=VALUE");
    if (i != FP_ONETIME && t.n == k.n + 1)
        return fail(s, fiu_param_names[i], NULL, 0, "=: the value is missing");
    if (c->given[i])
        return fail(s, fiu_param_names[i], NULL, 0,
                    i == FP_ONETIME ? ": given twice" : "=: given twice");
    c->given[i] = true;
    c->val[i] = (struct piece){eq ? eq + 1 : NULL, eq ? t.n - k.n - 1 : 0};
    return 0;
}

/* "COMMAND PARAM,PARAM...": one word of parameters, as libfiu reads. */
static int fiu_split(struct spec *s, const char *text, size_t len,
                     struct fiu_cmd *c)
{
    struct piece w = fiu_word(text, len);
    const char *end = text + len;
    struct piece p, rest;
    int r = fiu_command(s, w, c);

    if (r < 0)
        return r;
    p = fiu_word(w.p + w.n, (size_t)(end - w.p - w.n));
    if (p.n == 0)
        return fail(s, "no parameters after", w.p, w.n,
                    " (expected name=NAME and more, joined by ',')");
    rest = fiu_word(p.p + p.n, (size_t)(end - p.p - p.n));
    if (rest.n > 0)
        return fail(s, "unexpected", rest.p, rest.n,
                    " after the parameters (libfiu takes one word of"
                    " parameters, joined by ',')");
    for (size_t i = 0, start = 0; r == 0 && i <= p.n; i++) {
        if (i < p.n && p.p[i] != ',')
            continue;
        r = fiu_param(s, c, (struct piece){p.p + start, i - start});
        start = i + 1;
    }
    return r;
}

static int fiu_find(struct spec *s, struct piece name,
                    const struct fiu_row **ret)
{
    if (memchr(name.p, '*', name.n) != NULL)
        return fail(s, "name", name.p, name.n,
                    ": libfiu's wildcards are not taken (each libfiu"
                    " release adds points under them); name each point");
    for (size_t i = 0; i < ARRAY_SIZE(fiu_names); i++) {
        if (same(name, fiu_names[i].name)) {
            *ret = &fiu_names[i];
            return 0;
        }
    }
    return fail(s, "name", name.p, name.n,
                ": spawnfault has no point for it (docs/inject.md,"
                " \"libfiu's syntax\", lists the libfiu points it has)");
}

/* failnum=: an int, as atoi reads it, but checked; 0 never fails. */
static int fiu_failnum(struct spec *s, struct piece v)
{
    struct piece d = v;
    uint64_t x;

    if (d.n > 0 && d.p[0] == '-') {
        d.p++;
        d.n--;
    }
    if (!number(d, INT32_MAX, &x))
        return fail(s, "failnum", v.p, v.n, ": expected a non-zero integer");
    if (x == 0)
        return fail(s, "failnum", v.p, v.n,
                    ": libfiu never fails a point whose failnum is 0"
                    " (give another, or leave it out)");
    return 0;
}

/* The parameters that make sense together, before anything is written. */
static int fiu_check(struct spec *s, struct fiu_cmd *c,
                     const struct fiu_row *row)
{
    struct piece p = c->val[FP_PROBABILITY];

    if (c->random && !c->given[FP_PROBABILITY])
        return fail(s, "enable_random: probability= is missing", NULL, 0, NULL);
    if (!c->random && c->given[FP_PROBABILITY])
        return fail(s, "probability=: only enable_random takes it", NULL, 0,
                    NULL);
    if (c->given[FP_PROBABILITY] && !prob_ok(p))
        return fail(s, "probability", p.p, p.n,
                    ": expected a decimal from 0 to 1 with at most 6"
                    " decimals");
    if (c->random && c->given[FP_ONETIME])
        return fail(s,
                    "onetime: beside enable_random it means the first"
                    " call the draw picks, which spawnfault cannot say"
                    " (a trigger counts calls)",
                    NULL, 0, NULL);
    if (row->reduce && c->given[FP_FAILINFO])
        return fail(s,
                    "failinfo: a /reduce point shortens the transfer and"
                    " sets no errno",
                    NULL, 0, NULL);
    if (c->given[FP_FAILNUM])
        return fiu_failnum(s, c->val[FP_FAILNUM]);
    return 0;
}

/* failinfo=: the errno, as a decimal number; 0 or none, a seeded draw. */
static int fiu_action(struct spec *s, struct fiu_cmd *c,
                      const struct fiu_row *row, struct spf__text *o)
{
    struct piece v = c->val[FP_FAILINFO];
    uint64_t x = 0;

    spf__text_str(o, "=");
    if (row->reduce) {
        spf__text_str(o, "short:rand");
        return 0;
    }
    if (c->given[FP_FAILINFO] && !number(v, 4095, &x))
        return fail(s, "failinfo", v.p, v.n,
                    ": expected an errno's number (libfiu reads failinfo"
                    " as a decimal number)");
    if (x != 0 && spf_errno_name((int)x) == NULL)
        return fail(s, "failinfo", v.p, v.n, ": no errno has this number here");
    spf__text_str(o, x == 0 ? "errno:any" : spf_errno_name((int)x));
    return 0;
}

/* One libfiu command, one native rule: POINT[#1][%P]=ACTION. */
static int translate_libfiu(struct spec *s, const char *text, size_t len,
                            struct spf__text *o)
{
    struct fiu_cmd c = {0};
    const struct fiu_row *row = NULL;
    int r = fiu_split(s, text, len, &c);

    if (r == 0 && !c.given[FP_NAME])
        r = fail(s, "no name= (the libfiu point to enable)", NULL, 0, NULL);
    if (r == 0)
        r = fiu_find(s, c.val[FP_NAME], &row);
    if (r == 0)
        r = fiu_check(s, &c, row);
    if (r < 0)
        return r;
    spf__text_str(o, row->point);
    if (c.given[FP_ONETIME])
        spf__text_str(o, "#1");
    if (c.random) {
        spf__text_str(o, "%");
        spf__text_mem(o, c.val[FP_PROBABILITY].p, c.val[FP_PROBABILITY].n);
    }
    r = fiu_action(s, &c, row, o);
    return r < 0 ? r : 1;
}

int spf_fault_syntax_translate(const char *spec, size_t len, char *buf,
                               size_t buflen, char *errbuf, size_t errlen)
{
    /* Contract: see fault-syntax.h.  Async-signal-safe; a few hundred
     * bytes of stack. */
    struct spec s = {.errbuf = errbuf, .errlen = errlen};
    char tail[192];
    struct spf__text t, o;
    int r;

    if (errlen > 0)
        errbuf[0] = '\0';
    spf__text_init(&o, buf, buflen);
    spf__text_init(&t, tail, sizeof(tail));
    if (len == 0)
        return fail(&s, "empty spec", NULL, 0, NULL);
    if (is_libfiu(spec, len))
        r = translate_libfiu(&s, spec, len, &o);
    else if (is_native(spec, len))
        r = copy_native(&s, spec, len, &o);
    else if ((r = split_spec(&s, spec, len)) == 0 &&
             (r = write_tail(&s, &t)) == 0)
        r = write_rules(&s, tail, &o);
    if (r < 0)
        return r;
    if (o.lost || t.lost) {
        fail(&s, "the rules do not fit in", NULL, 0, " the buffer given");
        return -ENOSPC;
    }
    return r;
}
