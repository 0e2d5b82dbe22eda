/* The faults: list of a scenario (rule.h). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"
#include "textbuf.h"

static int scope_from_name(const char *name)
{
    return spf_fault_scope_from_name(name, strlen(name));
}

int spf__rules_fired_parse(const char *s, enum spf_fault_call *ret_call,
                           unsigned *ret_scope)
{
    const char *at = strchr(s, '@');
    size_t len = at ? (size_t)(at - s) : strlen(s);
    int call = spf_fault_call_from_name(s, len);
    int scope = at ? scope_from_name(at + 1) : 0;
    if (call < 0 || scope < 0)
        return -EINVAL;
    *ret_call = (enum spf_fault_call)call;
    *ret_scope = (unsigned)scope;
    return 0;
}

static int call_from_name(const char *name)
{
    return spf_fault_call_from_name(name, strlen(name));
}

static int errno_from_name(const char *name)
{
    return spf_errno_from_name(name, strlen(name));
}

int spf__rules_read_errno(const struct spf__node *n, int *ret)
{
    long long v;
    int r;
    if (!spf__node_is_int(n))
        return spf__node_enum(n, errno_from_name, "errno name",
                              "a name such as ENOENT, or a number", ret);
    if ((r = spf__node_int(n, 0, INT32_MAX, &v)) == 0)
        *ret = (int)v;
    return r;
}

static int parse_scope_item(const struct spf__node *n, unsigned *scope)
{
    int bit;
    int r = spf__node_enum(n, scope_from_name, "scope", "parent, child or exec",
                           &bit);
    if (r < 0)
        return r;
    *scope |= (unsigned)bit;
    return 0;
}

/* One scope or a list of them. */
static int parse_scope(const struct spf__node *n, unsigned *ret)
{
    size_t len;
    unsigned scope = 0;
    int r;
    if (!n->y || n->y->type != YAML_SEQUENCE_NODE) {
        r = parse_scope_item(n, &scope);
    } else if ((r = spf__node_list(n, &len)) == 0 && len == 0) {
        r = spf__node_fail(n, "expected at least one scope");
    } else {
        for (size_t i = 0; r == 0 && i < len; i++) {
            struct spf__node item;
            spf__node_item(n, i, &item);
            r = parse_scope_item(&item, &scope);
        }
    }
    if (r == 0)
        *ret = scope;
    return r;
}

/* Digits of a number at s, at most max; returns the end, or NULL when
 * there are none or the number is above max.  Zero is refused by the
 * caller. */
static const char *call_number(const char *s, uint32_t max, uint32_t *ret)
{
    size_t len = strspn(s, "0123456789");
    if (len == 0 || len > 10)
        return NULL;
    unsigned long long v = strtoull(s, NULL, 10);
    if (v > max)
        return NULL;
    *ret = (uint32_t)v;
    return s + len;
}

/* "FIRST", "FIRST..", "FIRST..LAST", "FIRST..+STEP", "FIRST..LAST+STEP". */
static int parse_range_text(const struct spf__node *n, const char *s,
                            struct spf_fault_range *ret)
{
    struct spf_fault_range rg = {0, 0, 1};
    const char *p = call_number(s, SPF_FAULT_CALL_MAX, &rg.first);
    rg.last = rg.first;
    if (p && strncmp(p, "..", 2) == 0) {
        p += 2;
        rg.last = UINT32_MAX;
        if (*p >= '0' && *p <= '9')
            p = call_number(p, SPF_FAULT_CALL_MAX, &rg.last);
        if (p && *p == '+')
            p = call_number(p + 1, UINT32_MAX, &rg.step);
    }
    if (!p || *p)
        return spf__node_fail(n,
                              "expected a call number up to %u, "
                              "\"every\", a list or a range such as "
                              "\"3..\", \"3..9\", \"2..+2\" or "
                              "\"2..10+2\"",
                              SPF_FAULT_CALL_MAX);
    if (rg.first == 0)
        return spf__node_fail(n, "call numbers start at 1");
    if (rg.last < rg.first)
        return spf__node_fail(n, "range ends (%u) before it starts (%u)",
                              rg.last, rg.first);
    if (rg.step == 0)
        return spf__node_fail(n, "the step must be >= 1");
    *ret = rg;
    return 0;
}

static int parse_range(const struct spf__node *n, struct spf_fault_range *ret)
{
    long long v;
    const char *s;
    int r;
    if (spf__node_is_int(n)) {
        if ((r = spf__node_int(n, 1, SPF_FAULT_CALL_MAX, &v)) == 0)
            *ret = (struct spf_fault_range){(uint32_t)v, (uint32_t)v, 1};
        return r;
    }
    r = spf__node_word(n, &s);
    return r < 0 ? r : parse_range_text(n, s, ret);
}

/* "every", one call number or range, or a list of 1 to
 * SPF_FAULT_MAX_RANGES of them. */
static int parse_when(const struct spf__node *n, struct spf_fault_rule *rule)
{
    size_t len;
    if (spf__node_is_word(n, "every")) {
        rule->every = true;
        return 0;
    }
    rule->every = false;
    if (!n->y || n->y->type != YAML_SEQUENCE_NODE) {
        rule->n_ranges = 1;
        return parse_range(n, &rule->ranges[0]);
    }

    int r = spf__node_list(n, &len);
    if (r == 0 && (len == 0 || len > SPF_FAULT_MAX_RANGES))
        r = spf__node_fail(n, "expected 1 to %d call numbers or ranges",
                           SPF_FAULT_MAX_RANGES);
    for (size_t i = 0; r == 0 && i < len; i++) {
        struct spf__node item;
        spf__node_item(n, i, &item);
        r = parse_range(&item, &rule->ranges[i]);
    }
    rule->n_ranges = len;
    return r;
}

enum {
    R_CALL,
    R_SCOPE,
    R_WHEN,
    R_COUNT,
    R_PROBABILITY,
    R_BACKEND,
    R_ERRNO,
    R_SHORT,
    R_DELAY,
    R_SIGNAL,
    R_ACTION,
    R__COUNT
};
static const char *const rule_keys[R__COUNT] = {
    [R_CALL] = "call",
    [R_SCOPE] = "scope",
    [R_WHEN] = "when",
    [R_COUNT] = "count",
    [R_PROBABILITY] = "probability",
    [R_BACKEND] = "backend",
    [R_ERRNO] = "errno",
    [R_SHORT] = "short",
    [R_DELAY] = "delay",
    [R_SIGNAL] = "signal",
    [R_ACTION] = "action",
};

/* The keys that each give the action; a rule has exactly one. */
static const int action_keys[] = {R_ERRNO, R_SHORT, R_DELAY, R_SIGNAL,
                                  R_ACTION};
#define N_ACTION_KEYS (sizeof(action_keys) / sizeof(action_keys[0]))

/* An errno given as a name or a number: the number must be one the call
 * can return, which the model checks by name. */
static int parse_errno_action(const struct spf__node *n,
                              struct spf_fault_rule *rule)
{
    const char *call = spf_fault_call_name(rule->call);
    int r;
    if (spf__node_is_word(n, "any")) {
        rule->action = SPF_ACTION_ERRNO;
        rule->err_any = true;
        return 0;
    }
    rule->action = SPF_ACTION_ERRNO;
    if ((r = spf__rules_read_errno(n, &rule->err)) < 0)
        return r;
    if (spf_fault_errno_valid(rule->call, rule->err))
        return 0;
    if (spf_errno_name(rule->err))
        return spf__node_fail(n, "%s cannot fail with %s", call,
                              spf_errno_name(rule->err));
    return spf__node_fail(n, "%s cannot fail with errno %d", call, rule->err);
}

/*
 * short, delay, signal and action are written as the rule language writes
 * them after "=" ("short:half", "delay:250ms", "signal:SIGALRM", "stop"),
 * so the model parses them and this file only says where they were.
 */
static int parse_action_text(const struct spf__node *n, const char *prefix,
                             struct spf_fault_rule *rule)
{
    char text[128], err[256];
    const char *word;
    long long k;
    int r;
    if (spf__node_is_int(n)) {
        if ((r = spf__node_int(n, 1, UINT32_MAX, &k)) < 0)
            return r;
        snprintf(text, sizeof(text), "%s%lld", prefix, k);
    } else {
        if ((r = spf__node_word(n, &word)) < 0)
            return r;
        size_t plen = strlen(prefix), wlen = strlen(word);
        if (plen + wlen >= sizeof(text))
            return spf__node_fail(n, "too long to be an action");
        memcpy(text, prefix, plen);
        memcpy(text + plen, word, wlen + 1);
    }
    if (spf_fault_action_parse(rule, text, strlen(text), err, sizeof(err)) < 0)
        return spf__node_fail(n, "%s", err);
    return 0;
}

static int parse_action(const struct spf__node *v, struct spf_fault_rule *rule)
{
    const struct spf__node *given = NULL;
    int key = -1;
    for (size_t i = 0; i < N_ACTION_KEYS; i++) {
        const struct spf__node *n = &v[action_keys[i]];
        if (!n->y)
            continue;
        if (given)
            return spf__node_fail(n, "a fault rule has exactly one of errno, "
                                     "short, delay, signal and action");
        given = n;
        key = action_keys[i];
    }
    if (!given)
        return spf__node_fail(&v[R_ERRNO], "a fault rule needs one of errno, "
                                           "short, delay, signal and action");
    switch (key) {
    case R_ERRNO:
        return parse_errno_action(given, rule);
    case R_SHORT:
        if (!spf_fault_can_be_short(rule->call))
            return spf__node_fail(given,
                                  "short does not apply to %s: only read and "
                                  "write can transfer fewer bytes",
                                  spf_fault_call_name(rule->call));
        return parse_action_text(given, "short:", rule);
    case R_DELAY:
        return parse_action_text(given, "delay:", rule);
    case R_SIGNAL:
        return parse_action_text(given, "signal:", rule);
    default:
        return parse_action_text(given, "", rule);
    }
}

static int count_from_name(const char *name)
{
    static const char *const names[] = {"process", "thread", "tree"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -EINVAL;
}

static int backend_from_name(const char *name)
{
    if (strcmp(name, "preload") == 0)
        return SPF_BACKEND_PRELOAD;
    if (strcmp(name, "seccomp") == 0)
        return SPF_BACKEND_SECCOMP;
    return -EINVAL;
}

static int parse_modes(const struct spf__node *v, struct spf_fault_rule *rule)
{
    int k, r = 0;
    if (v[R_COUNT].y &&
        (r = spf__node_enum(&v[R_COUNT], count_from_name, "counting mode",
                            "process, thread or tree", &k)) == 0)
        rule->count = (enum spf_fault_count)k;
    if (r == 0 && v[R_BACKEND].y &&
        (r = spf__node_enum(&v[R_BACKEND], backend_from_name, "backend",
                            "preload or seccomp", &k)) == 0)
        rule->backend = (enum spf_fault_backend)k;
    /* A seccomp rule needs the machine's seccomp user notification: where
     * it is missing, the harness reports the case not applicable. */
    return r;
}

static int parse_rule(const struct spf__node *item, struct spf_case *kase)
{
    struct spf__node v[R__COUNT];
    struct spf_fault_rule rule = {
        .scope = SPF_SCOPE_DEFAULT, .every = true, .prob_ppm = 1000000};
    int call, r = spf__node_mapping(item, rule_keys, R__COUNT, v);
    double p;
    if (r < 0)
        return r;
    if (!v[R_CALL].y)
        return spf__node_fail(&v[R_CALL], "missing required key \"call\" "
                                          "(or \"fiu\")");
    if (kase->faults.n_rules == SPF_FAULT_MAX_RULES)
        return spf__node_fail(item, "at most %d fault rules are allowed",
                              SPF_FAULT_MAX_RULES);

    if ((r = spf__node_enum(&v[R_CALL], call_from_name, "point",
                            "a point such as spawn/exec, spawn/fork or "
                            "io/read, or a call such as execve or read: see "
                            "docs/faults.md",
                            &call)) < 0)
        return r;
    rule.call = (enum spf_fault_call)call;
    if ((v[R_SCOPE].y && (r = parse_scope(&v[R_SCOPE], &rule.scope)) < 0) ||
        (v[R_WHEN].y && (r = parse_when(&v[R_WHEN], &rule)) < 0) ||
        (v[R_PROBABILITY].y &&
         (r = spf__node_number(&v[R_PROBABILITY], &p)) < 0))
        return r;
    if (v[R_PROBABILITY].y && !(p >= 0 && p <= 1))
        return spf__node_fail(&v[R_PROBABILITY],
                              "a probability is between 0 and 1");
    /* Draws are in millionths, as --fault's prob= is: a finer value would
     * be rounded without a word. */
    if (v[R_PROBABILITY].y && fabs(p * 1e6 - (double)llround(p * 1e6)) > 1e-6)
        return spf__node_fail(&v[R_PROBABILITY],
                              "a probability has at most 6 decimals");
    if (v[R_PROBABILITY].y)
        rule.prob_ppm = (uint32_t)llround(p * 1e6);
    if ((r = parse_modes(v, &rule)) < 0 || (r = parse_action(v, &rule)) < 0)
        return r;

    kase->faults.rules[kase->faults.n_rules++] = rule;
    return 0;
}

enum { F_FIU, F_DATA, F__COUNT };
static const char *const fiu_keys[F__COUNT] = {
    [F_FIU] = "fiu", [F_DATA] = "data"};

static bool known_fiu_point(const char *name)
{
    for (size_t i = 0; spf_fiu_points[i]; i++)
        if (strcmp(spf_fiu_points[i], name) == 0)
            return true;
    return false;
}

static int parse_fiu(const struct spf__node *item, struct spf_case *kase)
{
    struct spf__node v[F__COUNT];
    struct spf_fiu_point *pt = &kase->fiu[kase->n_fiu];
    int r;
    if (spf__node_has_key(item, "call"))
        return spf__node_fail(item, "a fault item has either \"call\" or "
                                    "\"fiu\", not both");
    if ((r = spf__node_mapping(item, fiu_keys, F__COUNT, v)) < 0 ||
        (r = spf__node_text(&v[F_FIU], &pt->name)) < 0)
        return r;
    kase->n_fiu++;
    if (!pt->name[0])
        return spf__node_fail(&v[F_FIU], "a failure point needs a name");
    if (!known_fiu_point(pt->name)) {
        struct spf__textbuf t = {0};
        for (size_t i = 0; spf_fiu_points[i]; i++)
            spf__textbuf_addf(&t, "%s%s", i ? ", " : "", spf_fiu_points[i]);
        r = spf__node_fail(&v[F_FIU],
                           "unknown failure point \"%s\": it would fire "
                           "nowhere (the core has %s)",
                           pt->name, t.data ? t.data : "none");
        spf__textbuf_clear(&t);
        return r;
    }
    if (v[F_DATA].y && (r = spf__node_bytes(&v[F_DATA], &pt->data)) < 0)
        return r;
    return 0;
}

/*
 * The plan travels to the preload as text, which the preload parses with
 * the fault model's own parser and refuses whole if any of it is wrong.
 * Whatever the rules above let through must pass there too, or the case
 * would run with every rule disabled: so the plan goes there and back now.
 */
static int check_plan(const struct spf__node *n,
                      const struct spf_fault_plan *plan)
{
    char text[SPF_FAULT_PLAN_TEXT_MAX], err[256];
    struct spf_fault_plan back;
    int len;

    if (plan->n_rules == 0)
        return 0;
    len = spf_fault_plan_format(plan, text, sizeof(text));
    if (len < 0)
        return spf__node_fail(n,
                              "the fault rules take more than %d bytes "
                              "as text",
                              SPF_FAULT_PLAN_TEXT_MAX - 1);
    if (spf_fault_plan_parse(text, (size_t)len, &back, err, sizeof(err)) < 0)
        return spf__node_fail(n, "the fault model refuses the rules: %s", err);
    return 0;
}

int spf__rules_parse(const struct spf__node *n, struct spf_case *kase)
{
    size_t len;
    int r = spf__node_list(n, &len);
    if (r < 0 || len == 0)
        return r;

    /* Room for every item: the fiu ones are usually few. */
    kase->fiu = calloc(len, sizeof(kase->fiu[0]));
    if (!kase->fiu)
        return spf__node_nomem(n);
    for (size_t i = 0; r == 0 && i < len; i++) {
        struct spf__node item;
        spf__node_item(n, i, &item);
        if (spf__node_has_key(&item, "fiu"))
            r = parse_fiu(&item, kase);
        else
            r = parse_rule(&item, kase);
    }
    return r < 0 ? r : check_plan(n, &kase->faults);
}
