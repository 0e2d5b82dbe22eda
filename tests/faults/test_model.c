/* Tests of faults/model.c: names, errno tables, plans, decisions, records. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include <spawnfault/faults.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

TestSuite(model, .timeout = 30);

static struct spf_fault_plan parse_ok(const char *text)
{
    struct spf_fault_plan plan;
    char err[256] = "";
    int ret = spf_fault_plan_parse(text, strlen(text), &plan, err, sizeof(err));

    cr_assert_eq(ret, 0, "parse of \"%s\" failed: %s", text, err);
    return plan;
}

/* The decision for call n of a leaf, with no other call counted. */
static int decide_n(const struct spf_fault_plan *p, enum spf_fault_call call,
                    unsigned scope, uint32_t n)
{
    uint32_t counts[SPF_CALL__COUNT] = {0};
    struct spf_fault_site site = {
        .call = call, .scope = scope, .process = counts, .count = 100};
    struct spf_fault_hit hit;

    counts[call] = n;
    return spf_fault_decide(p, &site, &hit);
}

static void expect_error(const char *text, const char *message)
{
    struct spf_fault_plan plan;
    char err[256] = "";
    int ret;

    memset(&plan, 0xa5, sizeof(plan));
    ret = spf_fault_plan_parse(text, strlen(text), &plan, err, sizeof(err));
    cr_assert_eq(ret, -EINVAL, "\"%s\" parsed", text);
    cr_assert_str_eq(err, message, "for \"%s\"", text);

    /* ret_plan is written only on success. */
    for (size_t i = 0; i < sizeof(plan); i++)
        cr_assert_eq(((unsigned char *)&plan)[i], 0xa5);
}

Test(model, call_names_round_trip)
{
    static const char *const names[] = {
        "spawn/exec",  "spawn/fork/fork", "spawn/fork/vfork", "fd/pipe",
        "fd/dup",      "proc/chdir",      "io/read",          "io/write",
        "io/poll",     "proc/wait",       "fd/close",         "proc/kill",
        "proc/setsid", "proc/setpgid",    "sig/mask"};
    static const char *const aliases[] = {
        "execve", "fork", "vfork",  "pipe2",   "dup2",
        "chdir",  "read", "write",  "poll",    "waitpid",
        "close",  "kill", "setsid", "setpgid", "sigprocmask"};

    cr_assert_eq(ARRAY_SIZE(names), SPF_CALL__COUNT);
    cr_assert_eq(ARRAY_SIZE(aliases), SPF_CALL__COUNT);
    for (int c = 0; c < SPF_CALL__COUNT; c++) {
        cr_assert_str_eq(spf_fault_call_name((enum spf_fault_call)c), names[c]);
        cr_assert_eq(spf_fault_call_from_name(names[c], strlen(names[c])), c);
        cr_assert_eq(spf_fault_call_from_name(aliases[c], strlen(aliases[c])),
                     c);
    }
    cr_assert_null(spf_fault_call_name(SPF_POINT__COUNT));
    cr_assert_eq(spf_fault_call_from_name("readx", 4), SPF_CALL_READ);
    cr_assert_eq(spf_fault_call_from_name("readx", 5), -EINVAL);
    cr_assert_eq(spf_fault_call_from_name("pipe", 4), -EINVAL);
    cr_assert_eq(spf_fault_call_from_name("READ", 4), -EINVAL);
    cr_assert_eq(spf_fault_call_from_name("io/", 3), -EINVAL);
    cr_assert_eq(spf_fault_call_from_name("", 0), -EINVAL);
}

/* A family covers exactly the leaves below it in the hierarchy. */
Test(model, families_cover_the_leaves_below_them)
{
    for (int p = 0; p < SPF_POINT__COUNT; p++) {
        const char *fam = spf_fault_call_name((enum spf_fault_call)p);
        size_t flen = strlen(fam);
        uint32_t want = 0;

        for (int c = 0; c < SPF_CALL__COUNT; c++) {
            const char *leaf = spf_fault_call_name((enum spf_fault_call)c);
            if (strcmp(leaf, fam) == 0 ||
                (strncmp(leaf, fam, flen) == 0 && leaf[flen] == '/'))
                want |= 1u << c;
        }
        cr_assert_eq(spf_fault_point_leaves((enum spf_fault_call)p), want, "%s",
                     fam);
        cr_assert_eq(spf_fault_call_from_name(fam, flen), p, "%s", fam);
    }
    cr_assert_eq(spf_fault_point_leaves(SPF_POINT_SPAWN_FORK),
                 1u << SPF_CALL_FORK | 1u << SPF_CALL_VFORK);
    cr_assert_eq(spf_fault_point_leaves(SPF_POINT__COUNT), 0);
    /* A family fails only with what every member can return. */
    cr_assert(spf_fault_errno_valid(SPF_POINT_SPAWN_FORK, EAGAIN));
    cr_assert_not(spf_fault_errno_valid(SPF_POINT_SPAWN, EAGAIN + 1000));
    cr_assert_not(spf_fault_errno_valid(SPF_POINT_IO, EBADF) &&
                  !spf_fault_errno_valid(SPF_CALL_POLL, EBADF));
    cr_assert(spf_fault_can_be_short(SPF_POINT_IO) == false);
    cr_assert(spf_fault_can_succeed(SPF_CALL_CLOSE));
    cr_assert_not(spf_fault_can_succeed(SPF_CALL_EXECVE));
}

Test(model, signal_names_round_trip)
{
    cr_assert_str_eq(spf_fault_signal_name(SIGALRM), "SIGALRM");
    cr_assert_eq(spf_fault_signal_from_name("SIGUSR1", 7), SIGUSR1);
    cr_assert_null(spf_fault_signal_name(0));
    cr_assert_null(spf_fault_signal_name(SIGRTMIN));
    cr_assert_eq(spf_fault_signal_from_name("ALRM", 4), -EINVAL);
    for (int sig = 1; sig < 32; sig++) {
        const char *name = spf_fault_signal_name(sig);
        cr_assert_not_null(name, "%d", sig);
        cr_assert_eq(spf_fault_signal_from_name(name, strlen(name)), sig);
    }
}

Test(model, errno_names_round_trip)
{
    static const int must_know[] = {
        EINTR,   EAGAIN,       ENOMEM, EPIPE,  EBADF,  ENOENT,  EACCES,
        ENOEXEC, ENOTDIR,      EISDIR, ELOOP,  E2BIG,  ETXTBSY, EPERM,
        EMFILE,  ENAMETOOLONG, ENFILE, EFAULT, EINVAL, EIO,     ENOSPC,
        ECHILD,  ESRCH,        EFBIG,  EDQUOT, ENOSYS, EBUSY,   ELIBBAD,
        ENOPKG,  EDESTADDRREQ, EEXIST, EXDEV,  ERANGE, EROFS,   ETIMEDOUT,
    };

    for (size_t i = 0; i < ARRAY_SIZE(must_know); i++) {
        const char *name = spf_errno_name(must_know[i]);
        cr_assert_not_null(name, "errno %d has no name", must_know[i]);
        cr_assert_eq(spf_errno_from_name(name, strlen(name)), must_know[i]);
    }
    cr_assert_str_eq(spf_errno_name(ENOENT), "ENOENT");
    cr_assert_str_eq(spf_errno_name(EAGAIN), "EAGAIN");
    cr_assert_eq(spf_errno_from_name("EWOULDBLOCK", 11), EAGAIN);
    cr_assert_eq(spf_errno_from_name("ENOTSUP", 7), ENOTSUP);
    cr_assert_eq(spf_errno_from_name("ENOPE", 5), -EINVAL);
    cr_assert_eq(spf_errno_from_name("EINTRX", 5), EINTR);
    cr_assert_eq(spf_errno_from_name("eintr", 5), -EINVAL);
    cr_assert_null(spf_errno_name(0));
    cr_assert_null(spf_errno_name(-EINTR));
    cr_assert_null(spf_errno_name(4095));
}

Test(model, errno_validity_follows_man_pages)
{
    struct {
        enum spf_fault_call call;
        int err;
        bool valid;
    } rows[] = {
        {SPF_CALL_EXECVE, ENOENT, true},  {SPF_CALL_EXECVE, ETXTBSY, true},
        {SPF_CALL_EXECVE, EINTR, false},  {SPF_CALL_FORK, EAGAIN, true},
        {SPF_CALL_FORK, ENOMEM, true},    {SPF_CALL_FORK, ENOENT, false},
        {SPF_CALL_VFORK, EAGAIN, true},   {SPF_CALL_VFORK, EINTR, false},
        {SPF_CALL_PIPE2, EMFILE, true},   {SPF_CALL_PIPE2, EBADF, false},
        {SPF_CALL_DUP2, EBADF, true},     {SPF_CALL_DUP2, EINTR, true},
        {SPF_CALL_DUP2, ENOENT, false},   {SPF_CALL_CHDIR, ENOENT, true},
        {SPF_CALL_CHDIR, EBADF, true},    {SPF_CALL_CHDIR, EINTR, false},
        {SPF_CALL_READ, EINTR, true},     {SPF_CALL_READ, EISDIR, true},
        {SPF_CALL_READ, ENOEXEC, false},  {SPF_CALL_READ, EPIPE, false},
        {SPF_CALL_WRITE, EPIPE, true},    {SPF_CALL_WRITE, ENOSPC, true},
        {SPF_CALL_WRITE, EISDIR, false},  {SPF_CALL_POLL, EINTR, true},
        {SPF_CALL_POLL, EBADF, false},    {SPF_CALL_WAITPID, EINTR, true},
        {SPF_CALL_WAITPID, ECHILD, true}, {SPF_CALL_WAITPID, EAGAIN, false},
        {SPF_CALL__COUNT, EINTR, false},  {SPF_CALL_READ, 0, false},
        {SPF_CALL_READ, -EINTR, false},
    };

    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        cr_assert_eq(spf_fault_errno_valid(rows[i].call, rows[i].err),
                     rows[i].valid, "row %zu", i);

    /* Every errno a call can return must also have a name, or a plan
     * could not express it. */
    for (int c = 0; c < SPF_CALL__COUNT; c++)
        for (int e = 1; e < 4096; e++)
            if (spf_fault_errno_valid((enum spf_fault_call)c, e))
                cr_assert_not_null(spf_errno_name(e), "%d/%d", c, e);
}

Test(model, only_read_and_write_can_be_short)
{
    for (int c = 0; c < SPF_CALL__COUNT; c++)
        cr_assert_eq(spf_fault_can_be_short((enum spf_fault_call)c),
                     c == SPF_CALL_READ || c == SPF_CALL_WRITE);
}

Test(model, parse_fills_defaults)
{
    struct spf_fault_plan p = parse_ok("read=EINTR");
    const struct spf_fault_rule *r = &p.rules[0];

    cr_assert_eq(p.n_rules, 1);
    cr_assert_eq(p.seed, 0);
    cr_assert_eq(p.stream, 0);
    cr_assert_eq(r->call, SPF_CALL_READ);
    cr_assert_eq(r->scope, SPF_SCOPE_DEFAULT);
    cr_assert(r->every);
    cr_assert_eq(r->n_ranges, 0);
    cr_assert_eq(r->prob_ppm, 1000000);
    cr_assert_eq(r->action, SPF_ACTION_ERRNO);
    cr_assert_eq(r->err, EINTR);
}

Test(model, parse_reads_every_field)
{
    struct spf_fault_plan p =
        parse_ok("execve@child#1=ENOENT;write@parent#*=short:1;"
                 "read@exec+parent#2%0.25=EWOULDBLOCK");

    cr_assert_eq(p.n_rules, 3);
    cr_assert_eq(p.rules[0].call, SPF_CALL_EXECVE);
    cr_assert_eq(p.rules[0].scope, SPF_SCOPE_CHILD);
    cr_assert_not(p.rules[0].every);
    cr_assert_eq(p.rules[0].n_ranges, 1);
    cr_assert_eq(p.rules[0].ranges[0].first, 1);
    cr_assert_eq(p.rules[0].ranges[0].last, 1);
    cr_assert_eq(p.rules[0].err, ENOENT);
    cr_assert_eq(p.rules[1].scope, SPF_SCOPE_PARENT);
    cr_assert(p.rules[1].every);
    cr_assert_eq(p.rules[1].action, SPF_ACTION_SHORT);
    cr_assert_eq(p.rules[1].short_max, 1);
    cr_assert_eq(p.rules[2].scope, SPF_SCOPE_EXEC | SPF_SCOPE_PARENT);
    cr_assert_eq(p.rules[2].prob_ppm, 250000);
    cr_assert_eq(p.rules[2].err, EAGAIN);
}

Test(model, parse_reads_every_range_form)
{
    struct spf_fault_plan p =
        parse_ok("read#3,2..5,4..,1..+2,7..20+3,9+4,4294967294=EINTR");
    const struct spf_fault_range *g = p.rules[0].ranges;
    const struct spf_fault_range want[] = {
        {3, 3, 1},
        {2, 5, 1},
        {4, UINT32_MAX, 1},
        {1, UINT32_MAX, 2},
        {7, 20, 3},
        {9, UINT32_MAX, 4},
        {4294967294u, 4294967294u, 1},
    };

    cr_assert_eq(p.rules[0].n_ranges, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        cr_assert_eq(g[i].first, want[i].first, "range %zu", i);
        cr_assert_eq(g[i].last, want[i].last, "range %zu", i);
        cr_assert_eq(g[i].step, want[i].step, "range %zu", i);
    }
}

Test(model, parse_reads_probabilities)
{
    struct {
        const char *text;
        uint32_t ppm;
    } rows[] = {
        {"read%0=EINTR", 0},         {"read%1=EINTR", 1000000},
        {"read%0.5=EINTR", 500000},  {"read%1.000=EINTR", 1000000},
        {"read%0.000001=EINTR", 1},  {"read%0.999999=EINTR", 999999},
        {"read%0.10=EINTR", 100000},
    };

    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        cr_assert_eq(parse_ok(rows[i].text).rules[0].prob_ppm, rows[i].ppm,
                     "%s", rows[i].text);
}

Test(model, parse_skips_blanks_and_empty_rules)
{
    struct spf_fault_plan p = parse_ok(" read=EINTR ;\t; write=EIO;\n");

    cr_assert_eq(p.n_rules, 2);
    cr_assert_eq(p.rules[1].call, SPF_CALL_WRITE);
    cr_assert_eq(parse_ok("").n_rules, 0);
    cr_assert_eq(parse_ok(";;").n_rules, 0);
}

Test(model, parse_accepts_the_maximum_sizes)
{
    char text[1024] = "";

    for (int i = 0; i < SPF_FAULT_MAX_RULES; i++)
        strcat(text, "read=EINTR;");
    cr_assert_eq(parse_ok(text).n_rules, SPF_FAULT_MAX_RULES);
    cr_assert_eq(parse_ok("read#1,2,3,4,5,6,7,8=EINTR").rules[0].n_ranges,
                 SPF_FAULT_MAX_RANGES);
}

#define UNKNOWN_POINT                                                          \
    " (expected a point such as spawn/exec or io/read, or a call such as"      \
    " execve or read)"
#define UNKNOWN_ACTION                                                         \
    ": unknown action (expected an errno name such as EINTR, errno:any,"       \
    " short:K, delay:D, signal:SIG, stop, kill or succeed)"
#define BAD_SHORT                                                              \
    ": expected short:K (K from 1 to 4294967295), short:half or short:rand"

Test(model, parse_errors_name_the_rule_and_the_field)
{
    struct {
        const char *text;
        const char *message;
    } rows[] = {
        {"read=EINTR;write@parnt#1=short:1",
         "rule 2 (\"write@parnt#1=short:1\"): unknown scope \"parnt\""
         " (expected parent, child or exec)"},
        {"forx=EAGAIN",
         "rule 1 (\"forx=EAGAIN\"): unknown point \"forx\"" UNKNOWN_POINT},
        {"=EAGAIN", "rule 1 (\"=EAGAIN\"): unknown point \"\"" UNKNOWN_POINT},
        {"io/=EINTR",
         "rule 1 (\"io/=EINTR\"): unknown point \"io/\"" UNKNOWN_POINT},
        {"read#1", "rule 1 (\"read#1\"): missing action"
                   " (end the rule with =ACTION, such as =ENOENT)"},
        {"read@=EINTR", "rule 1 (\"read@=EINTR\"): unknown scope \"\""
                        " (expected parent, child or exec)"},
        {"read@child+child=EINTR",
         "rule 1 (\"read@child+child=EINTR\"): repeated scope \"child\""},
        {"read#0=EINTR",
         "rule 1 (\"read#0=EINTR\"): trigger range \"0\": call numbers start"
         " at 1"},
        {"read#5..3=EINTR",
         "rule 1 (\"read#5..3=EINTR\"): trigger range \"5..3\": ends before"
         " it starts"},
        {"read#2..+0=EINTR",
         "rule 1 (\"read#2..+0=EINTR\"): trigger range \"2..+0\": the step"
         " must be at least 1"},
        {"read#4294967295=EINTR",
         "rule 1 (\"read#4294967295=EINTR\"): trigger range \"4294967295\":"
         " number too large"},
        {"read#x=EINTR",
         "rule 1 (\"read#x=EINTR\"): bad trigger range \"x\" (expected N,"
         " N..M, N.. or one of them +STEP)"},
        {"read#1,,2=EINTR",
         "rule 1 (\"read#1,,2=EINTR\"): bad trigger range \"\" (expected N,"
         " N..M, N.. or one of them +STEP)"},
        {"read#=EINTR", "rule 1 (\"read#=EINTR\"): bad trigger range \"\""
                        " (expected N, N..M, N.. or one of them +STEP)"},
        {"read#1,2,3,4,5,6,7,8,9=EINTR",
         "rule 1 (\"read#1,2,3,4,5,6,7,8,9=EINTR\"): trigger"
         " \"1,2,3,4,5,6,7,8,9\": too many ranges (at most 8)"},
        {"read%1.5=EINTR",
         "rule 1 (\"read%1.5=EINTR\"): bad probability \"1.5\" (expected a"
         " decimal from 0 to 1 with at most 6 decimals)"},
        {"read%0.1234567=EINTR",
         "rule 1 (\"read%0.1234567=EINTR\"): bad probability \"0.1234567\""
         " (expected a decimal from 0 to 1 with at most 6 decimals)"},
        {"read%0.=EINTR",
         "rule 1 (\"read%0.=EINTR\"): bad probability \"0.\" (expected a"
         " decimal from 0 to 1 with at most 6 decimals)"},
        {"read=ENOEXEC", "rule 1 (\"read=ENOEXEC\"): action \"ENOEXEC\":"
                         " io/read cannot fail with this errno (see read(2))"},
        {"fork=ENOENT", "rule 1 (\"fork=ENOENT\"): action \"ENOENT\":"
                        " spawn/fork/fork cannot fail with this errno (see"
                        " fork(2))"},
        {"spawn/fork=ENOENT", "rule 1 (\"spawn/fork=ENOENT\"): action"
                              " \"ENOENT\": spawn/fork cannot fail with this"
                              " errno (see fork(2), vfork(2))"},
        {"io=EBADF", "rule 1 (\"io=EBADF\"): action \"EBADF\": io cannot"
                     " fail with this errno (see poll(2))"},
        {"read#tree=EINTR", "rule 1 (\"read#tree=EINTR\"): bad trigger range"
                            " \"tree\" (expected N, N..M, N.. or one of them"
                            " +STEP)"},
        {"read#trees:1=EINTR", "rule 1 (\"read#trees:1=EINTR\"): unknown"
                               " counting mode \"trees\" (expected process,"
                               " thread or tree before the ':')"},
        {"read!ptrace=EINTR", "rule 1 (\"read!ptrace=EINTR\"): unknown backend"
                              " \"ptrace\" (expected preload or seccomp)"},
        {"read=EINTR!seccomp", "rule 1 (\"read=EINTR!seccomp\"): action"
                               " \"EINTR!seccomp\"" UNKNOWN_ACTION},
        {"read!seccomp#1=EINTR",
         "rule 1 (\"read!seccomp#1=EINTR\"): misplaced \"#\" (the fields go"
         " point@scope#trigger%prob?preds!backend=action, each at most once)"},
        {"poll=delay:5", "rule 1 (\"poll=delay:5\"): action \"delay:5\":"
                         " expected delay:rand or a number with a unit, ns,"
                         " us, ms or s (delay:250ms)"},
        {"poll=delay:0ms", "rule 1 (\"poll=delay:0ms\"): action"
                           " \"delay:0ms\": a delay is from 1ns to one hour"},
        {"poll=delay:3601s", "rule 1 (\"poll=delay:3601s\"): action"
                             " \"delay:3601s\": a delay is from 1ns to one"
                             " hour"},
        {"poll=delay:99999999999999999999ns",
         "rule 1 (\"poll=delay:99999999999999999999ns\"): action"
         " \"delay:99999999999999999999ns\": a delay is from 1ns to one hour"},
        {"read=signal:SIGFOO", "rule 1 (\"read=signal:SIGFOO\"): action"
                               " \"signal:SIGFOO\": unknown signal (expected"
                               " a name such as SIGALRM)"},
        {"read=signal:SIGKILL", "rule 1 (\"read=signal:SIGKILL\"): action"
                                " \"signal:SIGKILL\": no handler can run for"
                                " it (use kill or stop)"},
        {"execve=succeed", "rule 1 (\"execve=succeed\"): action \"succeed\":"
                           " only close, kill, setsid, setpgid, sig/mask,"
                           " chdir and write can be faked to succeed"},
        {"io=short:1", "rule 1 (\"io=short:1\"): action \"short:1\": only"
                       " read and write can be short"},
        {"poll?fd:1=EINTR", "rule 1 (\"poll?fd:1=EINTR\"): predicate"
                            " \"fd:1\": only io/read, io/write, fd/close and"
                            " fd/dup have an fd"},
        {"read?path:x=EIO", "rule 1 (\"read?path:x=EIO\"): predicate"
                            " \"path:x\": only spawn/exec and proc/chdir have"
                            " a path"},
        {"read?kind:fifo=EIO", "rule 1 (\"read?kind:fifo=EIO\"): predicate"
                               " \"kind:fifo\": unknown kind (expected file,"
                               " pipe, socket, tty, char, dir or other)"},
        {"read?fd:1&fd:2=EIO", "rule 1 (\"read?fd:1&fd:2=EIO\"): repeated"
                               " predicate \"fd\""},
        {"read?size:3=EIO", "rule 1 (\"read?size:3=EIO\"): unknown predicate"
                            " \"size\" (expected fd, kind, path or exe)"},
        {"read?fd=EIO", "rule 1 (\"read?fd=EIO\"): predicate \"fd\""
                        " (expected KEY:VALUE, with fd, kind, path or exe)"},
        {"read?exe:=EIO", "rule 1 (\"read?exe:=EIO\"): predicate \"\": a"
                          " glob has 1 to 63 bytes"},
        {"read=ENOPE",
         "rule 1 (\"read=ENOPE\"): action \"ENOPE\"" UNKNOWN_ACTION},
        {"read=", "rule 1 (\"read=\"): action \"\"" UNKNOWN_ACTION},
        {"execve=short:3", "rule 1 (\"execve=short:3\"): action \"short:3\":"
                           " only read and write can be short"},
        {"write=short:0",
         "rule 1 (\"write=short:0\"): action \"short:0\"" BAD_SHORT},
        {"write=short:",
         "rule 1 (\"write=short:\"): action \"short:\"" BAD_SHORT},
        {"write=short:4294967296", "rule 1 (\"write=short:4294967296\"): "
                                   "action \"short:4294967296\"" BAD_SHORT},
        {"read%0.5#2=EINTR",
         "rule 1 (\"read%0.5#2=EINTR\"): misplaced \"#\" (the fields go"
         " point@scope#trigger%prob?preds!backend=action, each at most once)"},
        {"read#1#2=EINTR",
         "rule 1 (\"read#1#2=EINTR\"): misplaced \"#\" (the fields go"
         " point@scope#trigger%prob?preds!backend=action, each at most once)"},
        {"read=EINTR#2",
         "rule 1 (\"read=EINTR#2\"): action \"EINTR#2\"" UNKNOWN_ACTION},
        {"read=EINTR; ;re\x01\"ad=EINTR",
         "rule 3 (\"re\\x01\\x22ad=EINTR\"): unknown point "
         "\"re\\x01\\x22ad\"" UNKNOWN_POINT},
    };

    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        expect_error(rows[i].text, rows[i].message);
}

Test(model, parse_error_for_too_many_rules)
{
    char text[1024] = "";

    for (int i = 0; i <= SPF_FAULT_MAX_RULES; i++)
        strcat(text, "read=EINTR;");
    expect_error(text, "rule 33 (\"read=EINTR\"): too many rules (at most 32)");
}

Test(model, parse_error_quotes_long_rules_in_part)
{
    struct spf_fault_plan plan;
    char text[200], err[256], want[128];

    memset(text, 'a', sizeof(text));
    memcpy(text, "read=", 5);
    snprintf(want, sizeof(want), "rule 1 (\"read=%.55s\"...): action \"",
             text + 5);
    cr_assert_eq(
        spf_fault_plan_parse(text, sizeof(text), &plan, err, sizeof(err)),
        -EINVAL);
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
    /* The quoted action does not fit: the message is cut, not overrun. */
    cr_assert_eq(strlen(err), sizeof(err) - 1);
}

Test(model, parse_error_fits_any_buffer)
{
    struct spf_fault_plan plan;
    char err[16];

    memset(err, 'x', sizeof(err));
    cr_assert_eq(
        spf_fault_plan_parse("forx=EAGAIN", 11, &plan, err, sizeof(err)),
        -EINVAL);
    cr_assert_str_eq(err, "rule 1 (\"forx=E");
    cr_assert_eq(spf_fault_plan_parse("forx=EAGAIN", 11, &plan, NULL, 0),
                 -EINVAL);
}

Test(model, parse_honours_len_not_nul)
{
    struct spf_fault_plan p;
    char err[128];

    cr_assert_eq(
        spf_fault_plan_parse("read=EINTR;garbage", 10, &p, err, sizeof(err)),
        0);
    cr_assert_eq(p.n_rules, 1);
    cr_assert_eq(
        spf_fault_plan_parse("read=EINTR\0x", 12, &p, err, sizeof(err)),
        -EINVAL);
}

static void assert_same_plan(const struct spf_fault_plan *a,
                             const struct spf_fault_plan *b)
{
    cr_assert_eq(a->n_rules, b->n_rules);
    for (size_t i = 0; i < a->n_rules; i++) {
        const struct spf_fault_rule *x = &a->rules[i], *y = &b->rules[i];
        cr_assert_eq(x->call, y->call, "rule %zu", i);
        cr_assert_eq(x->scope, y->scope, "rule %zu", i);
        cr_assert_eq(x->every, y->every, "rule %zu", i);
        cr_assert_eq(x->n_ranges, y->n_ranges, "rule %zu", i);
        for (size_t k = 0; k < x->n_ranges; k++)
            cr_assert_arr_eq(&x->ranges[k], &y->ranges[k],
                             sizeof(x->ranges[k]));
        cr_assert_eq(x->prob_ppm, y->prob_ppm, "rule %zu", i);
        cr_assert_eq(x->action, y->action, "rule %zu", i);
        cr_assert_eq(x->err, y->err, "rule %zu", i);
        cr_assert_eq(x->short_max, y->short_max, "rule %zu", i);
    }
}

Test(model, format_round_trips_through_parse)
{
    static const char *const canonical[] = {
        "",
        "io/read#*=EINTR",
        "spawn/exec@child#1=ENOENT;io/write@parent#*=short:1;io/read#2=EINTR",
        "io/read@parent+exec#3,2..5,4..,1..+2,7..20+3,9..+4=EAGAIN",
        "io/write@exec#1%0.5=EPIPE;io/poll#*%0=EINTR;"
        "proc/wait#2%0.000001=ECHILD",
        "spawn/fork/fork@child+exec#1..3=ENOMEM;spawn/fork/vfork#1=EAGAIN;"
        "fd/pipe#1=EMFILE",
        "fd/dup#2=EBADF;proc/chdir@parent#1%0.123456=ENOENT;"
        "io/write#*=short:4294967295",
        "spawn/fork#tree:2..=EAGAIN;io/read#thread:1,3=errno:any",
        "io/write#*=short:half;io/read#*%0.25=short:rand",
        "io/poll#1=delay:250ms;io/poll#2=delay:1500ns;io/poll#3=delay:2s;"
        "io/poll#4=delay:rand;io/poll#5=delay:7us",
        "io/read#*=signal:SIGALRM;proc/wait#1=stop;spawn/exec@exec#1=kill",
        "fd/close#1=succeed;proc/kill#1=succeed;sig/mask#1..2=succeed",
        "spawn/exec@exec#1!seccomp=ENOENT;spawn#*%0.5!seccomp=delay:1ms",
        "io#1=EINTR;proc/setsid#1=EPERM;proc/setpgid#1=ESRCH",
        "io/write#*?fd:2&kind:pipe=EIO;spawn/exec#1?path:/usr/*&exe:py*=EACCES",
        "spawn/fork#*?exe:make=EAGAIN;fd/close#*?kind:tty=succeed",
    };
    static const char *const loose[][2] = {
        {" read=EWOULDBLOCK ; ", "io/read#*=EAGAIN"},
        {"read@child+parent#3..3=EINTR", "io/read#3=EINTR"},
        {"read@exec+child#5+2%1.0=EINTR", "io/read@child+exec#5..+2=EINTR"},
        {"read#1..2+1%0.500=EINTR", "io/read#1..2%0.5=EINTR"},
        {"poll#process:1!preload=delay:1000ms", "io/poll#1=delay:1s"},
        {"sigprocmask=delay:60000000000ns", "sig/mask#*=delay:60s"},
    };
    char buf[1024];

    for (size_t i = 0; i < ARRAY_SIZE(canonical); i++) {
        struct spf_fault_plan a = parse_ok(canonical[i]);
        int len = spf_fault_plan_format(&a, buf, sizeof(buf));
        cr_assert_eq(len, (int)strlen(canonical[i]));
        cr_assert_str_eq(buf, canonical[i]);
        struct spf_fault_plan b = parse_ok(buf);
        assert_same_plan(&a, &b);
    }
    for (size_t i = 0; i < ARRAY_SIZE(loose); i++) {
        struct spf_fault_plan a = parse_ok(loose[i][0]);
        cr_assert_gt(spf_fault_plan_format(&a, buf, sizeof(buf)), 0);
        cr_assert_str_eq(buf, loose[i][1]);
        struct spf_fault_plan b = parse_ok(buf);
        assert_same_plan(&a, &b);
    }
}

Test(model, format_reports_a_short_buffer)
{
    struct spf_fault_plan p = parse_ok("read#1=EINTR");
    char buf[16];

    cr_assert_eq(spf_fault_plan_format(&p, buf, 15), -ENOSPC);
    cr_assert_eq(spf_fault_plan_format(&p, buf, 16), 15);
    cr_assert_str_eq(buf, "io/read#1=EINTR");
}

Test(model, format_refuses_plans_no_text_can_express)
{
    struct spf_fault_plan p = parse_ok("read#1=EINTR");
    char buf[128];

    p.rules[0].err = 0;
    cr_assert_eq(spf_fault_plan_format(&p, buf, sizeof(buf)), -EINVAL);
    p = parse_ok("read#1=EINTR");
    p.rules[0].scope = 0;
    cr_assert_eq(spf_fault_plan_format(&p, buf, sizeof(buf)), -EINVAL);
    p = parse_ok("read#1=EINTR");
    p.rules[0].n_ranges = 0;
    cr_assert_eq(spf_fault_plan_format(&p, buf, sizeof(buf)), -EINVAL);
}

/* The call numbers from 1 to 30 at which the plan's first rule fires, as a
 * string such as "1,4,7". */
static const char *fired(const char *text, unsigned scope)
{
    static char out[256];
    struct spf_fault_plan p = parse_ok(text);
    size_t len = 0;

    out[0] = '\0';
    for (uint32_t n = 1; n <= 30; n++) {
        if (decide_n(&p, SPF_CALL_READ, scope, n) < 0)
            continue;
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u",
                                len > 0 ? "," : "", n);
    }
    return out;
}

Test(model, decide_follows_triggers)
{
    unsigned par = SPF_SCOPE_PARENT;

    cr_assert_str_eq(fired("read#*=EINTR", par),
                     "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
                     "21,22,23,24,25,26,27,28,29,30");
    cr_assert_str_eq(fired("read#4=EINTR", par), "4");
    cr_assert_str_eq(fired("read#3..6=EINTR", par), "3,4,5,6");
    cr_assert_str_eq(fired("read#27..=EINTR", par), "27,28,29,30");
    cr_assert_str_eq(fired("read#2..11+3=EINTR", par), "2,5,8,11");
    cr_assert_str_eq(fired("read#20..+5=EINTR", par), "20,25,30");
    cr_assert_str_eq(fired("read#24+3=EINTR", par), "24,27,30");
    cr_assert_str_eq(fired("read#9,2,5..6=EINTR", par), "2,5,6,9");
    cr_assert_str_eq(fired("write#*=EINTR", par), "");
}

Test(model, decide_follows_scopes)
{
    cr_assert_str_eq(fired("read@child#1=EINTR", SPF_SCOPE_CHILD), "1");
    cr_assert_str_eq(fired("read@child#1=EINTR", SPF_SCOPE_PARENT), "");
    cr_assert_str_eq(fired("read@child#1=EINTR", SPF_SCOPE_EXEC), "");
    cr_assert_str_eq(fired("read#1=EINTR", SPF_SCOPE_PARENT), "1");
    cr_assert_str_eq(fired("read#1=EINTR", SPF_SCOPE_CHILD), "1");
    cr_assert_str_eq(fired("read#1=EINTR", SPF_SCOPE_EXEC), "");
    cr_assert_str_eq(fired("read@exec#1=EINTR", SPF_SCOPE_EXEC), "1");
    cr_assert_str_eq(fired("read@parent+exec#2=EINTR", SPF_SCOPE_EXEC), "2");
}

Test(model, decide_returns_the_first_matching_rule)
{
    struct spf_fault_plan p =
        parse_ok("write#*=EIO;read#3=EINTR;read#2..4=EIO;read@exec#*=EIO");

    cr_assert_eq(decide_n(&p, SPF_CALL_READ, SPF_SCOPE_CHILD, 1), -1);
    cr_assert_eq(decide_n(&p, SPF_CALL_READ, SPF_SCOPE_CHILD, 2), 2);
    cr_assert_eq(decide_n(&p, SPF_CALL_READ, SPF_SCOPE_CHILD, 3), 1);
    cr_assert_eq(decide_n(&p, SPF_CALL_READ, SPF_SCOPE_EXEC, 3), 3);
    cr_assert_eq(decide_n(&p, SPF_CALL_WRITE, SPF_SCOPE_PARENT, 9), 0);
    cr_assert_eq(decide_n(&p, SPF_CALL_READ, SPF_SCOPE_PARENT, 0), -1);
}

static void draw_many(struct spf_fault_plan *p, uint64_t seed, uint64_t stream,
                      bool *out, size_t n)
{
    p->seed = seed;
    p->stream = stream;
    for (size_t i = 0; i < n; i++)
        out[i] =
            decide_n(p, SPF_CALL_READ, SPF_SCOPE_PARENT, (uint32_t)i + 1) == 0;
}

static size_t count_diff(const bool *a, const bool *b, size_t n)
{
    size_t d = 0;

    for (size_t i = 0; i < n; i++)
        d += a[i] != b[i];
    return d;
}

Test(model, decide_draws_are_seeded_and_deterministic)
{
    struct spf_fault_plan p = parse_ok("read#*%0.5=EINTR");
    static bool a[10000], b[10000];
    size_t hits = 0;

    draw_many(&p, 0x1234, 7, a, 10000);
    draw_many(&p, 0x1234, 7, b, 10000);
    cr_assert_eq(count_diff(a, b, 10000), 0, "same seed, other draws");
    for (size_t i = 0; i < 10000; i++)
        hits += a[i];
    cr_assert(hits > 4800 && hits < 5200, "0.5 fired %zu of 10000", hits);

    /* Two independent fair sequences differ in about half the places. */
    draw_many(&p, 0x1235, 7, b, 10000);
    cr_assert_gt(count_diff(a, b, 10000), 4500);
    draw_many(&p, 0x1234, 8, b, 10000);
    cr_assert_gt(count_diff(a, b, 10000), 4500);
}

Test(model, decide_draws_depend_on_scope_call_and_rule)
{
    struct spf_fault_plan p = parse_ok("read@parent+child#*%0.5=EINTR");
    struct spf_fault_plan q = parse_ok("write#*=EIO;read#*%0.5=EINTR");
    size_t differ_scope = 0, differ_rule = 0, never = 0;

    for (uint32_t n = 1; n <= 2000; n++) {
        bool par = decide_n(&p, SPF_CALL_READ, SPF_SCOPE_PARENT, n) >= 0;
        bool chi = decide_n(&p, SPF_CALL_READ, SPF_SCOPE_CHILD, n) >= 0;
        bool other = decide_n(&q, SPF_CALL_READ, SPF_SCOPE_PARENT, n) >= 0;
        differ_scope += par != chi;
        differ_rule += par != other;
    }
    cr_assert_gt(differ_scope, 800);
    cr_assert_gt(differ_rule, 800);

    p = parse_ok("read#*%0=EINTR");
    for (uint32_t n = 1; n <= 2000; n++)
        never += decide_n(&p, SPF_CALL_READ, SPF_SCOPE_PARENT, n) >= 0;
    cr_assert_eq(never, 0);
}

Test(model, decide_small_probabilities_fire_at_their_rate)
{
    struct spf_fault_plan p = parse_ok("read#*%0.01=EINTR");
    size_t hits = 0;

    p.seed = 42;
    for (uint32_t n = 1; n <= 100000; n++)
        hits += decide_n(&p, SPF_CALL_READ, SPF_SCOPE_PARENT, n) >= 0;
    cr_assert(hits > 850 && hits < 1150, "0.01 fired %zu of 100000", hits);
}

Test(model, record_formats_errno_faults)
{
    struct spf_fault_record r = {
        .pid = 123,
        .tid = 124,
        .t_ns = 5000000001,
        .scope = SPF_SCOPE_CHILD,
        .call = SPF_CALL_EXECVE,
        .n = 1,
        .action = SPF_ACTION_ERRNO,
        .err = ENOENT,
    };
    char buf[SPF_FAULT_RECORD_MAX];
    const char *want = "spf-fault pid=123 tid=124 t=5000000001 scope=child"
                       " call=spawn/exec n=1 action=errno errno=ENOENT\n";

    cr_assert_eq(spf_fault_record_format(&r, buf, sizeof(buf)),
                 (int)strlen(want));
    cr_assert_str_eq(buf, want);
}

Test(model, record_formats_short_transfers)
{
    struct spf_fault_record r = {
        .pid = 77,
        .scope = SPF_SCOPE_PARENT,
        .call = SPF_CALL_WRITE,
        .n = 3,
        .action = SPF_ACTION_SHORT,
        .want = 65536,
        .got = 1,
    };
    char buf[SPF_FAULT_RECORD_MAX];

    cr_assert_gt(spf_fault_record_format(&r, buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "spf-fault pid=77 tid=0 t=0 scope=parent"
                          " call=io/write n=3 action=short want=65536"
                          " got=1\n");
    r.got = UINT64_MAX;
    cr_assert_gt(spf_fault_record_format(&r, buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "spf-fault pid=77 tid=0 t=0 scope=parent"
                          " call=io/write n=3 action=short want=65536"
                          " got=-1\n");
}

static void assert_round_trip(const struct spf_fault_record *r)
{
    char buf[SPF_FAULT_RECORD_MAX];
    struct spf_fault_record back;
    int len = spf_fault_record_format(r, buf, sizeof(buf));

    cr_assert_gt(len, 0);
    cr_assert_eq(buf[len - 1], '\n');
    cr_assert_null(memchr(buf, '\n', (size_t)len - 1));
    cr_assert_eq(spf_fault_record_parse(buf, (size_t)len - 1, &back), 0, "%s",
                 buf);
    cr_assert_eq(back.pid, r->pid);
    cr_assert_eq(back.tid, r->tid);
    cr_assert_eq(back.t_ns, r->t_ns);
    cr_assert_eq(back.scope, r->scope);
    cr_assert_eq(back.call, r->call);
    cr_assert_eq(back.n, r->n);
    cr_assert_eq(back.action, r->action);
    cr_assert_eq(back.err, r->err);
    cr_assert_eq(back.want, r->want);
    cr_assert_eq(back.got, r->got);
    cr_assert_eq(back.delay_ns, r->delay_ns);
    cr_assert_eq(back.sig, r->sig);
    cr_assert_eq(spf_fault_record_parse(buf, (size_t)len, &back), 0);
}

Test(model, record_round_trips)
{
    struct spf_fault_record r = {.pid = 1, .n = 1};

    for (int c = 0; c < SPF_CALL__COUNT; c++) {
        r.call = (enum spf_fault_call)c;
        for (unsigned s = SPF_SCOPE_PARENT; s <= SPF_SCOPE_EXEC; s <<= 1) {
            r.scope = s;
            r.action = SPF_ACTION_ERRNO;
            r.err = EINTR;
            assert_round_trip(&r);
            r.err = 4000; /* unnamed: travels as a number */
            assert_round_trip(&r);
            r.action = SPF_ACTION_SHORT;
            r.err = 0;
            r.want = 10;
            r.got = UINT64_MAX;
            assert_round_trip(&r);
            r.want = r.got = 0;
            r.action = SPF_ACTION_DELAY;
            r.delay_ns = 1234567;
            assert_round_trip(&r);
            r.delay_ns = 0;
            r.action = SPF_ACTION_SIGNAL;
            r.sig = SIGALRM;
            assert_round_trip(&r);
            r.err = EINTR;
            assert_round_trip(&r);
            r.err = 0;
            r.sig = 0;
            for (int a = SPF_ACTION_STOP; a <= SPF_ACTION_SUCCEED; a++) {
                r.action = (enum spf_fault_action)a;
                assert_round_trip(&r);
            }
        }
    }
    r = (struct spf_fault_record){
        .pid = INT32_MAX,
        .tid = INT32_MAX,
        .t_ns = UINT64_MAX,
        .scope = SPF_SCOPE_EXEC,
        .call = SPF_CALL_WAITPID,
        .n = UINT32_MAX,
        .action = SPF_ACTION_SHORT,
        .want = UINT64_MAX,
        .got = UINT64_MAX - 1,
    };
    assert_round_trip(&r);
}

Test(model, record_format_checks_its_input)
{
    struct spf_fault_record r = {
        .pid = 1,
        .scope = SPF_SCOPE_PARENT | SPF_SCOPE_CHILD,
        .call = SPF_CALL_READ,
        .n = 1,
        .err = EINTR,
    };
    char buf[SPF_FAULT_RECORD_MAX];

    cr_assert_eq(spf_fault_record_format(&r, buf, sizeof(buf)), -EINVAL);
    r.scope = SPF_SCOPE_CHILD;
    r.err = 0;
    cr_assert_eq(spf_fault_record_format(&r, buf, sizeof(buf)), -EINVAL);
    r.err = EINTR;
    cr_assert_eq(spf_fault_record_format(&r, buf, 20), -ENOSPC);
    cr_assert_gt(spf_fault_record_format(&r, buf, sizeof(buf)), 0);
}

Test(model, record_parse_rejects_malformed_lines)
{
    static const char *const bad[] = {
        "",
        "spf-fault",
        "spf-fault error=rule 1 (\"x\"): unknown call \"x\"",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=errno",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=errno "
        "errno=",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=errno "
        "errno=ENOPE",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=errno "
        "errno=EINTR ",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=errno "
        "errno=EINTR x",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=errno  "
        "errno=EINTR",
        "spf-fault pid=0 tid=1 t=5 scope=child call=io/read n=1 action=errno "
        "errno=EINTR",
        "spf-fault pid=-1 tid=1 t=5 scope=child call=io/read n=1 action=errno "
        "errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=kid call=io/read n=1 action=errno "
        "errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=child call=pipe n=1 action=errno "
        "errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=x action=errno "
        "errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=4294967296 "
        "action=errno"
        " errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 call=io/read scope=child n=1 action=errno "
        "errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=drop "
        "errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=short "
        "want=1",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=short "
        "want=1 got=-2",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=short "
        "want=1"
        " got=18446744073709551616",
        /* Fields added by this version, and names only the rules take. */
        "spf-fault pid=1 scope=child call=io/read n=1 action=errno errno=EINTR",
        "spf-fault pid=1 tid=1 scope=child call=io/read n=1 action=errno"
        " errno=EINTR",
        "spf-fault pid=1 tid=1 t=-1 scope=child call=io/read n=1 action=errno"
        " errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=child call=read n=1 action=errno"
        " errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=child call=spawn/fork n=1"
        " action=errno errno=EAGAIN",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=delay",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=signal"
        " sig=ALRM",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=signal"
        " sig=SIGALRM errno=",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=stop "
        "x=1",
        "spf-faultpid=1 tid=1 t=5 scope=child call=io/read n=1 action=errno "
        "errno=EINTR",
        "spf-fault pid=1 tid=1 t=5 scope=child call=io/read n=1 action=errno "
        "errno=EINTR\n\n",
    };
    struct spf_fault_record r;

    memset(&r, 0x5a, sizeof(r));
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        cr_assert_eq(spf_fault_record_parse(bad[i], strlen(bad[i]), &r),
                     -EINVAL, "accepted \"%s\"", bad[i]);
    for (size_t i = 0; i < sizeof(r); i++)
        cr_assert_eq(((unsigned char *)&r)[i], 0x5a);
}

/* A site for one call, with every count given. */
static int decide_site(const struct spf_fault_plan *p, enum spf_fault_call call,
                       const uint32_t *process, const uint32_t *thread,
                       const uint64_t *tree, uint64_t count,
                       struct spf_fault_hit *hit)
{
    struct spf_fault_site site = {.call = call,
                                  .scope = SPF_SCOPE_PARENT,
                                  .process = process,
                                  .thread = thread,
                                  .tree = tree,
                                  .count = count};

    return spf_fault_decide(p, &site, hit);
}

Test(model, family_rules_count_every_member)
{
    struct spf_fault_plan p = parse_ok("spawn/fork#3=EAGAIN");
    uint32_t counts[SPF_CALL__COUNT] = {0};
    struct spf_fault_hit hit;

    /* fork, vfork, fork: the third call of the family is a fork. */
    counts[SPF_CALL_FORK] = 1;
    cr_assert_eq(decide_site(&p, SPF_CALL_FORK, counts, NULL, NULL, 0, &hit),
                 -1);
    counts[SPF_CALL_VFORK] = 1;
    cr_assert_eq(decide_site(&p, SPF_CALL_VFORK, counts, NULL, NULL, 0, &hit),
                 -1);
    counts[SPF_CALL_FORK] = 2;
    cr_assert_eq(decide_site(&p, SPF_CALL_FORK, counts, NULL, NULL, 0, &hit),
                 0);
    cr_assert_eq(hit.n, 3);
    cr_assert_eq(hit.err, EAGAIN);
    /* Another leaf never matches, whatever the counts. */
    counts[SPF_CALL_EXECVE] = 3;
    cr_assert_eq(decide_site(&p, SPF_CALL_EXECVE, counts, NULL, NULL, 0, &hit),
                 -1);
    cr_assert_eq(spf_fault_plan_leaves(&p, SPF_BACKEND_PRELOAD),
                 1u << SPF_CALL_FORK | 1u << SPF_CALL_VFORK);
}

Test(model, counting_modes_read_their_own_counts)
{
    struct spf_fault_plan p =
        parse_ok("read#thread:2=EINTR;read#tree:5=EIO;read#3=EAGAIN");
    uint32_t process[SPF_CALL__COUNT] = {0}, thread[SPF_CALL__COUNT] = {0};
    uint64_t tree[SPF_CALL__COUNT] = {0};
    struct spf_fault_hit hit;

    process[SPF_CALL_READ] = 1;
    thread[SPF_CALL_READ] = 2;
    tree[SPF_CALL_READ] = 4;
    cr_assert_eq(decide_site(&p, SPF_CALL_READ, process, thread, tree, 1, &hit),
                 0);
    thread[SPF_CALL_READ] = 1;
    tree[SPF_CALL_READ] = 5;
    cr_assert_eq(decide_site(&p, SPF_CALL_READ, process, thread, tree, 1, &hit),
                 1);
    cr_assert_eq(hit.err, EIO);
    /* Without tree counts, a tree rule never fires; without thread counts,
     * a thread rule reads the process's. */
    process[SPF_CALL_READ] = 2;
    cr_assert_eq(decide_site(&p, SPF_CALL_READ, process, NULL, NULL, 1, &hit),
                 0);
    process[SPF_CALL_READ] = 5;
    cr_assert_eq(decide_site(&p, SPF_CALL_READ, process, NULL, NULL, 1, &hit),
                 -1);
    cr_assert(spf_fault_plan_counts_tree(&p, SPF_BACKEND_PRELOAD));
    cr_assert_not(spf_fault_plan_counts_tree(&p, SPF_BACKEND_SECCOMP));
}

Test(model, rules_of_another_backend_are_left_alone)
{
    struct spf_fault_plan p = parse_ok("execve!seccomp=ENOENT;execve#2=EACCES");
    uint32_t counts[SPF_CALL__COUNT] = {0};
    struct spf_fault_site site = {
        .call = SPF_CALL_EXECVE, .scope = SPF_SCOPE_CHILD, .process = counts};
    struct spf_fault_hit hit;

    counts[SPF_CALL_EXECVE] = 1;
    cr_assert_eq(spf_fault_decide(&p, &site, &hit), -1);
    site.backend = SPF_BACKEND_SECCOMP;
    cr_assert_eq(spf_fault_decide(&p, &site, &hit), 0);
    counts[SPF_CALL_EXECVE] = 2;
    site.backend = SPF_BACKEND_PRELOAD;
    cr_assert_eq(spf_fault_decide(&p, &site, &hit), 1);
    cr_assert_eq(spf_fault_plan_leaves(&p, SPF_BACKEND_SECCOMP),
                 1u << SPF_CALL_EXECVE);
}

Test(model, seeded_choices_stay_in_bounds_and_replay)
{
    struct spf_fault_plan p =
        parse_ok("write#1..100=errno:any;write#101..200=short:rand;"
                 "write#201..300=short:half;write#301..=delay:rand");
    uint32_t counts[SPF_CALL__COUNT] = {0};
    struct spf_fault_hit a, b;
    unsigned seen_errnos = 0, below_10ms = 0, above_200ms = 0;

    p.seed = 42;
    for (uint32_t n = 1; n <= 1300; n++) {
        counts[SPF_CALL_WRITE] = n;
        cr_assert_geq(
            decide_site(&p, SPF_CALL_WRITE, counts, NULL, NULL, 1000, &a), 0);
        cr_assert_geq(
            decide_site(&p, SPF_CALL_WRITE, counts, NULL, NULL, 1000, &b), 0);
        cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "call %u replays", n);
        if (n <= 100) {
            cr_assert(spf_fault_errno_valid(SPF_CALL_WRITE, a.err));
            for (int e = 0; e < 64; e++)
                if (a.err == e)
                    seen_errnos |= 1u << (e % 32);
        } else if (n <= 200) {
            cr_assert(a.bytes >= 1 && a.bytes <= 999, "%lu", a.bytes);
        } else if (n <= 300) {
            cr_assert_eq(a.bytes, 500);
        } else {
            cr_assert(a.delay_ns >= SPF_FAULT_DELAY_RAND_MIN_NS &&
                      a.delay_ns <= SPF_FAULT_DELAY_RAND_MAX_NS);
            below_10ms += a.delay_ns < 10000000;
            above_200ms += a.delay_ns > 200000000;
        }
    }
    /* 100 draws from 12 errnos see most of them. */
    cr_assert_geq(__builtin_popcount(seen_errnos), 8);
    /* Log-uniform over 1 ms..2 s: about 30% below 10 ms and 30% above
     * 200 ms, of 1000 draws (a uniform draw would put 0.5% below). */
    cr_assert(below_10ms > 200 && below_10ms < 400, "%u", below_10ms);
    cr_assert(above_200ms > 200 && above_200ms < 400, "%u", above_200ms);
}

Test(model, short_rules_skip_transfers_too_small_to_cut)
{
    struct spf_fault_plan p = parse_ok("read=short:half;read=short:7");
    uint32_t counts[SPF_CALL__COUNT] = {0};
    struct spf_fault_hit hit;

    counts[SPF_CALL_READ] = 1;
    cr_assert_eq(decide_site(&p, SPF_CALL_READ, counts, NULL, NULL, 1, &hit),
                 1);
    cr_assert_eq(hit.bytes, 1);
    cr_assert_eq(decide_site(&p, SPF_CALL_READ, counts, NULL, NULL, 0, &hit),
                 -1);
    cr_assert_eq(decide_site(&p, SPF_CALL_READ, counts, NULL, NULL, 3, &hit),
                 0);
    cr_assert_eq(hit.bytes, 1);
}

Test(model, globs_match_like_a_shell)
{
    cr_assert(spf_fault_glob("*", ""));
    cr_assert(spf_fault_glob("py*", "python3.11"));
    cr_assert(spf_fault_glob("*/true", "/usr/bin/true"));
    cr_assert(spf_fault_glob("a?c", "abc"));
    cr_assert(spf_fault_glob("*a*b*c*", "xxaxxbxxcxx"));
    cr_assert_not(spf_fault_glob("a?c", "ac"));
    cr_assert_not(spf_fault_glob("*/true", "/usr/bin/truex"));
    cr_assert_not(spf_fault_glob("", "x"));
    cr_assert_eq(spf_fault_fd_kind_of(0010644, false), SPF_FD_PIPE);
    cr_assert_eq(spf_fault_fd_kind_of(0020666, true), SPF_FD_TTY);
    cr_assert_eq(spf_fault_fd_kind_of(0020666, false), SPF_FD_CHAR);
}

Test(model, predicates_narrow_the_match)
{
    struct spf_fault_plan p =
        parse_ok("write?fd:3&kind:pipe=EIO;execve?path:*/true&exe:sh=ENOENT");
    uint32_t counts[SPF_CALL__COUNT] = {0};
    struct spf_fault_site w = {.call = SPF_CALL_WRITE,
                               .scope = SPF_SCOPE_PARENT,
                               .process = counts,
                               .count = 1,
                               .fd = 3,
                               .kind = SPF_FD_PIPE};
    struct spf_fault_site x = {.call = SPF_CALL_EXECVE,
                               .scope = SPF_SCOPE_PARENT,
                               .process = counts,
                               .fd = -1,
                               .path = "/bin/true",
                               .exe = "sh"};
    struct spf_fault_hit hit;

    counts[SPF_CALL_WRITE] = counts[SPF_CALL_EXECVE] = 1;
    cr_assert_eq(spf_fault_decide(&p, &w, &hit), 0);
    w.kind = SPF_FD_FILE;
    cr_assert_eq(spf_fault_decide(&p, &w, &hit), -1);
    w.kind = SPF_FD_PIPE;
    w.fd = 4;
    cr_assert_eq(spf_fault_decide(&p, &w, &hit), -1);
    cr_assert_eq(spf_fault_decide(&p, &x, &hit), 1);
    x.exe = NULL; /* nothing to look at: no match */
    cr_assert_eq(spf_fault_decide(&p, &x, &hit), -1);
    x.exe = "bash";
    cr_assert_eq(spf_fault_decide(&p, &x, &hit), -1);
    cr_assert_eq(spf_fault_plan_predicates(&p, SPF_BACKEND_PRELOAD),
                 SPF_PRED_FD | SPF_PRED_KIND | SPF_PRED_PATH | SPF_PRED_EXE);
}

/* Call n of one process and call n of another draw apart; the same
 * process draws the same in every run. */
Test(model, each_process_draws_apart)
{
    struct spf_fault_plan p = parse_ok("read%0.5=EIO;write#tree:*%0.5=EIO");
    uint32_t counts[SPF_CALL__COUNT] = {
        [SPF_CALL_READ] = 1, [SPF_CALL_WRITE] = 1};
    uint64_t tree[SPF_CALL__COUNT] = {[SPF_CALL_WRITE] = 1};
    struct spf_fault_site site = {.call = SPF_CALL_READ,
                                  .scope = SPF_SCOPE_CHILD,
                                  .process = counts,
                                  .tree = tree};
    struct spf_fault_hit hit;
    unsigned fired = 0, again = 0, tree_fired = 0;

    for (uint64_t k = 1; k <= 200; k++) {
        site.proc = spf_fault_child_id(0, k);
        site.call = SPF_CALL_READ;
        fired += spf_fault_decide(&p, &site, &hit) == 0;
        again += spf_fault_decide(&p, &site, &hit) == 0;
        site.call = SPF_CALL_WRITE;
        tree_fired += spf_fault_decide(&p, &site, &hit) == 1;
    }
    cr_assert(fired > 60 && fired < 140, "%u of 200", fired);
    cr_assert_eq(fired, again);
    /* Tree call 1 is one call, whoever makes it. */
    cr_assert(tree_fired == 0 || tree_fired == 200, "%u", tree_fired);
    cr_assert_neq(spf_fault_child_id(0, 1), spf_fault_child_id(0, 2));
    cr_assert_neq(spf_fault_child_id(spf_fault_child_id(0, 1), 1),
                  spf_fault_child_id(0, 1));
}
