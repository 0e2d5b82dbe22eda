/* Tests of faults/model.c: names, errno tables, plans, decisions, records. */
#include <errno.h>
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
    static const char *const names[] = {"execve", "fork",   "vfork", "pipe2",
                                        "dup2",   "chdir",  "read",  "write",
                                        "poll",   "waitpid"};

    cr_assert_eq(ARRAY_SIZE(names), SPF_CALL__COUNT);
    for (int c = 0; c < SPF_CALL__COUNT; c++) {
        cr_assert_str_eq(spf_fault_call_name((enum spf_fault_call)c), names[c]);
        cr_assert_eq(spf_fault_call_from_name(names[c], strlen(names[c])), c);
    }
    cr_assert_null(spf_fault_call_name(SPF_CALL__COUNT));
    cr_assert_eq(spf_fault_call_from_name("readx", 4), SPF_CALL_READ);
    cr_assert_eq(spf_fault_call_from_name("readx", 5), -EINVAL);
    cr_assert_eq(spf_fault_call_from_name("pipe", 4), -EINVAL);
    cr_assert_eq(spf_fault_call_from_name("READ", 4), -EINVAL);
    cr_assert_eq(spf_fault_call_from_name("", 0), -EINVAL);
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

Test(model, parse_errors_name_the_rule_and_the_field)
{
    struct {
        const char *text;
        const char *message;
    } rows[] = {
        {"read=EINTR;write@parnt#1=short:1",
         "rule 2 (\"write@parnt#1=short:1\"): unknown scope \"parnt\""
         " (expected parent, child or exec)"},
        {"forx=EAGAIN", "rule 1 (\"forx=EAGAIN\"): unknown call \"forx\""},
        {"=EAGAIN", "rule 1 (\"=EAGAIN\"): unknown call \"\""},
        {"read#1", "rule 1 (\"read#1\"): missing action"
                   " (end the rule with =ERRNO or =short:K)"},
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
                         " read cannot fail with this errno (see read(2))"},
        {"fork=ENOENT", "rule 1 (\"fork=ENOENT\"): action \"ENOENT\":"
                        " fork cannot fail with this errno (see fork(2))"},
        {"read=ENOPE", "rule 1 (\"read=ENOPE\"): action \"ENOPE\": unknown"
                       " errno (expected an errno name such as EINTR, or"
                       " short:K)"},
        {"read=", "rule 1 (\"read=\"): action \"\": unknown errno (expected"
                  " an errno name such as EINTR, or short:K)"},
        {"execve=short:3", "rule 1 (\"execve=short:3\"): action \"short:3\":"
                           " only read and write can be short"},
        {"write=short:0", "rule 1 (\"write=short:0\"): action \"short:0\":"
                          " K must be a number from 1 to 4294967295"},
        {"write=short:", "rule 1 (\"write=short:\"): action \"short:\": K"
                         " must be a number from 1 to 4294967295"},
        {"write=short:4294967296",
         "rule 1 (\"write=short:4294967296\"): action \"short:4294967296\":"
         " K must be a number from 1 to 4294967295"},
        {"read%0.5#2=EINTR",
         "rule 1 (\"read%0.5#2=EINTR\"): misplaced \"#\" (the fields go"
         " call@scope#trigger%prob=action, each at most once)"},
        {"read#1#2=EINTR",
         "rule 1 (\"read#1#2=EINTR\"): misplaced \"#\" (the fields go"
         " call@scope#trigger%prob=action, each at most once)"},
        {"read=EINTR#2", "rule 1 (\"read=EINTR#2\"): action \"EINTR#2\":"
                         " unknown errno (expected an errno name such as"
                         " EINTR, or short:K)"},
        {"read=EINTR; ;re\x01\"ad=EINTR",
         "rule 3 (\"re\\x01\\x22ad=EINTR\"): unknown call \"re\\x01\\x22ad\""},
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
        "read#*=EINTR",
        "execve@child#1=ENOENT;write@parent#*=short:1;read#2=EINTR",
        "read@parent+exec#3,2..5,4..,1..+2,7..20+3,9..+4=EAGAIN",
        "write@exec#1%0.5=EPIPE;poll#*%0=EINTR;waitpid#2%0.000001=ECHILD",
        "fork@child+exec#1..3=ENOMEM;vfork#1=EAGAIN;pipe2#1=EMFILE",
        "dup2#2=EBADF;chdir@parent#1%0.123456=ENOENT;write#*=short:4294967295",
    };
    static const char *const loose[][2] = {
        {" read=EWOULDBLOCK ; ", "read#*=EAGAIN"},
        {"read@child+parent#3..3=EINTR", "read#3=EINTR"},
        {"read@exec+child#5+2%1.0=EINTR", "read@child+exec#5..+2=EINTR"},
        {"read#1..2+1%0.500=EINTR", "read#1..2%0.5=EINTR"},
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
    char buf[13];

    cr_assert_eq(spf_fault_plan_format(&p, buf, 12), -ENOSPC);
    cr_assert_eq(spf_fault_plan_format(&p, buf, 13), 12);
    cr_assert_str_eq(buf, "read#1=EINTR");
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
        if (spf_fault_decide(&p, SPF_CALL_READ, scope, n) < 0)
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

    cr_assert_eq(spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_CHILD, 1), -1);
    cr_assert_eq(spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_CHILD, 2), 2);
    cr_assert_eq(spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_CHILD, 3), 1);
    cr_assert_eq(spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_EXEC, 3), 3);
    cr_assert_eq(spf_fault_decide(&p, SPF_CALL_WRITE, SPF_SCOPE_PARENT, 9), 0);
    cr_assert_eq(spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_PARENT, 0), -1);
}

static void draw_many(struct spf_fault_plan *p, uint64_t seed, uint64_t stream,
                      bool *out, size_t n)
{
    p->seed = seed;
    p->stream = stream;
    for (size_t i = 0; i < n; i++)
        out[i] = spf_fault_decide(p, SPF_CALL_READ, SPF_SCOPE_PARENT,
                                  (uint32_t)i + 1) == 0;
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
        bool par =
            spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_PARENT, n) >= 0;
        bool chi = spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_CHILD, n) >= 0;
        bool other =
            spf_fault_decide(&q, SPF_CALL_READ, SPF_SCOPE_PARENT, n) >= 0;
        differ_scope += par != chi;
        differ_rule += par != other;
    }
    cr_assert_gt(differ_scope, 800);
    cr_assert_gt(differ_rule, 800);

    p = parse_ok("read#*%0=EINTR");
    for (uint32_t n = 1; n <= 2000; n++)
        never += spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_PARENT, n) >= 0;
    cr_assert_eq(never, 0);
}

Test(model, decide_small_probabilities_fire_at_their_rate)
{
    struct spf_fault_plan p = parse_ok("read#*%0.01=EINTR");
    size_t hits = 0;

    p.seed = 42;
    for (uint32_t n = 1; n <= 100000; n++)
        hits += spf_fault_decide(&p, SPF_CALL_READ, SPF_SCOPE_PARENT, n) >= 0;
    cr_assert(hits > 850 && hits < 1150, "0.01 fired %zu of 100000", hits);
}

Test(model, record_formats_errno_faults)
{
    struct spf_fault_record r = {
        .pid = 123,
        .scope = SPF_SCOPE_CHILD,
        .call = SPF_CALL_EXECVE,
        .n = 1,
        .action = SPF_ACTION_ERRNO,
        .err = ENOENT,
    };
    char buf[SPF_FAULT_RECORD_MAX];
    const char *want = "spf-fault pid=123 scope=child call=execve n=1"
                       " action=errno errno=ENOENT\n";

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
    cr_assert_str_eq(buf, "spf-fault pid=77 scope=parent call=write n=3"
                          " action=short want=65536 got=1\n");
    r.got = UINT64_MAX;
    cr_assert_gt(spf_fault_record_format(&r, buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "spf-fault pid=77 scope=parent call=write n=3"
                          " action=short want=65536 got=-1\n");
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
    cr_assert_eq(back.scope, r->scope);
    cr_assert_eq(back.call, r->call);
    cr_assert_eq(back.n, r->n);
    cr_assert_eq(back.action, r->action);
    if (r->action == SPF_ACTION_ERRNO) {
        cr_assert_eq(back.err, r->err);
    } else {
        cr_assert_eq(back.want, r->want);
        cr_assert_eq(back.got, r->got);
    }
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
            r.want = 10;
            r.got = UINT64_MAX;
            assert_round_trip(&r);
        }
    }
    r = (struct spf_fault_record){
        .pid = INT32_MAX,
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
        "spf-fault pid=1 scope=child call=read n=1 action=errno",
        "spf-fault pid=1 scope=child call=read n=1 action=errno errno=",
        "spf-fault pid=1 scope=child call=read n=1 action=errno errno=ENOPE",
        "spf-fault pid=1 scope=child call=read n=1 action=errno errno=EINTR ",
        "spf-fault pid=1 scope=child call=read n=1 action=errno errno=EINTR x",
        "spf-fault pid=1 scope=child call=read n=1 action=errno  errno=EINTR",
        "spf-fault pid=0 scope=child call=read n=1 action=errno errno=EINTR",
        "spf-fault pid=-1 scope=child call=read n=1 action=errno errno=EINTR",
        "spf-fault pid=1 scope=kid call=read n=1 action=errno errno=EINTR",
        "spf-fault pid=1 scope=child call=pipe n=1 action=errno errno=EINTR",
        "spf-fault pid=1 scope=child call=read n=x action=errno errno=EINTR",
        "spf-fault pid=1 scope=child call=read n=4294967296 action=errno"
        " errno=EINTR",
        "spf-fault pid=1 call=read scope=child n=1 action=errno errno=EINTR",
        "spf-fault pid=1 scope=child call=read n=1 action=drop errno=EINTR",
        "spf-fault pid=1 scope=child call=read n=1 action=short want=1",
        "spf-fault pid=1 scope=child call=read n=1 action=short want=1 got=-2",
        "spf-fault pid=1 scope=child call=read n=1 action=short want=1"
        " got=18446744073709551616",
        "spf-faultpid=1 scope=child call=read n=1 action=errno errno=EINTR",
        "spf-fault pid=1 scope=child call=read n=1 action=errno "
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
