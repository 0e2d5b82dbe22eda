/*
 * Tests of faults/syntax.c: strace's inject syntax turned into native
 * rules.  The expected texts follow strace(1)'s meaning of each key and
 * the native grammar of faults/README.md, written canonically.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include <spawnfault/fault-syntax.h>
#include <spawnfault/faults.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

TestSuite(syntax, .timeout = 30);

/* The translation, which the native parser must take as it is (a rule
 * passed through unchanged is the parser's to judge). */
static void expect(const char *spec, const char *native, int rules)
{
    char out[SPF_FAULT_SYNTAX_OUT_MAX], err[SPF_FAULT_SYNTAX_ERR_MAX];
    static struct spf_fault_plan plan;
    char why[256] = "";
    int r = spf_fault_syntax_translate(spec, strlen(spec), out, sizeof(out),
                                       err, sizeof(err));

    cr_assert_eq(r, rules, "\"%s\" gave %d: %s", spec, r, err);
    cr_assert_str_eq(out, native, "for \"%s\"", spec);
    cr_assert_str_eq(err, "", "for \"%s\"", spec);
    if (strcmp(spec, native) != 0)
        cr_assert_eq(
            spf_fault_plan_parse(out, strlen(out), &plan, why, sizeof(why)), 0,
            "\"%s\": %s", out, why);
}

static void expect_error(const char *spec, const char *message)
{
    char out[SPF_FAULT_SYNTAX_OUT_MAX], err[SPF_FAULT_SYNTAX_ERR_MAX];
    int r = spf_fault_syntax_translate(spec, strlen(spec), out, sizeof(out),
                                       err, sizeof(err));

    cr_assert_eq(r, -EINVAL, "\"%s\" gave %d", spec, r);
    cr_assert_str_eq(err, message, "for \"%s\"", spec);
}

Test(syntax, every_system_call_maps_to_its_point)
{
    static const char *const map[][2] = {
        {"execve", "spawn/exec"},    {"execveat", "spawn/exec"},
        {"fork", "spawn/fork/fork"}, {"vfork", "spawn/fork/vfork"},
        {"clone", "spawn/fork"},     {"clone3", "spawn/fork"},
        {"pipe", "fd/pipe"},         {"pipe2", "fd/pipe"},
        {"dup", "fd/dup"},           {"dup2", "fd/dup"},
        {"dup3", "fd/dup"},          {"close", "fd/close"},
        {"read", "io/read"},         {"write", "io/write"},
        {"poll", "io/poll"},         {"ppoll", "io/poll"},
        {"wait4", "proc/wait"},      {"waitid", "proc/wait"},
        {"waitpid", "proc/wait"},    {"kill", "proc/kill"},
        {"tgkill", "proc/kill"},     {"chdir", "proc/chdir"},
        {"fchdir", "proc/chdir"},    {"setsid", "proc/setsid"},
        {"setpgid", "proc/setpgid"}, {"rt_sigprocmask", "sig/mask"},
        {"sigprocmask", "sig/mask"},
    };
    char spec[64], native[64];

    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        snprintf(spec, sizeof(spec), "%s:delay_enter=1ms", map[i][0]);
        snprintf(native, sizeof(native), "%s=delay:1ms", map[i][1]);
        expect(spec, native, 1);
    }
}

Test(syntax, points_are_names_of_a_set_too)
{
    static const char *const points[] = {
        "spawn/exec",
        "spawn/fork",
        "spawn/fork/fork",
        "spawn/fork/vfork",
        "fd/pipe",
        "fd/dup",
        "fd/close",
        "io/read",
        "io/write",
        "io/poll",
        "proc/wait",
        "proc/kill",
        "proc/chdir",
        "proc/setsid",
        "proc/setpgid",
        "sig/mask",
        "spawn",
        "fd",
        "io",
        "proc",
        "sig",
    };
    char spec[64], native[64];

    for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
        snprintf(spec, sizeof(spec), "%s:delay_enter=1ms", points[i]);
        snprintf(native, sizeof(native), "%s=delay:1ms", points[i]);
        expect(spec, native, 1);
    }
}

Test(syntax, a_set_gives_one_rule_per_distinct_point)
{
    expect("read,write:error=EIO", "io/read=EIO;io/write=EIO", 2);
    expect("pipe,pipe2:error=EMFILE", "fd/pipe=EMFILE", 1);
    expect("wait4,waitid,waitpid,proc/wait:error=EINTR", "proc/wait=EINTR", 1);
    expect("write,read,write:error=EINTR:when=2",
           "io/write#2=EINTR;io/read#2=EINTR", 2);
}

Test(syntax, errors_by_name_in_any_case_or_by_number)
{
    expect("execve:error=ENOENT", "spawn/exec=ENOENT", 1);
    expect("execve:error=enoent", "spawn/exec=ENOENT", 1);
    expect("execve:error=2", "spawn/exec=ENOENT", 1);
    expect("read:error=EWOULDBLOCK", "io/read=EAGAIN", 1);
}

Test(syntax, when_has_straces_meaning)
{
    /* strace(1): FIRST alone is that call only; FIRST+ every call from
     * FIRST; FIRST+STEP every STEP-th from FIRST; FIRST..LAST a range. */
    expect("write:error=EIO:when=3", "io/write#3=EIO", 1);
    expect("write:error=EIO:when=2+", "io/write#2..=EIO", 1);
    expect("write:error=EIO:when=2+3", "io/write#2..+3=EIO", 1);
    expect("write:error=EIO:when=2+1", "io/write#2..=EIO", 1);
    expect("write:error=EIO:when=2..5", "io/write#2..5=EIO", 1);
    expect("write:error=EIO:when=2..5+", "io/write#2..5=EIO", 1);
    expect("write:error=EIO:when=2..11+3", "io/write#2..11+3=EIO", 1);
    expect("write:error=EIO:when=4..4", "io/write#4=EIO", 1);
    expect("write:error=EIO:when=1+", "io/write#1..=EIO", 1);
    expect("write:error=EIO:when=4294967294", "io/write#4294967294=EIO", 1);
    expect("write:error=EIO", "io/write=EIO", 1);
}

Test(syntax, counting_modes_prefix_the_trigger)
{
    expect("execve:error=ENOENT:count=tree:when=2+",
           "spawn/exec#tree:2..=ENOENT", 1);
    expect("write:error=EIO:count=thread:when=1", "io/write#thread:1=EIO", 1);
    expect("write:error=EIO:count=process:when=1", "io/write#1=EIO", 1);
    expect("write:error=EIO:count=tree", "io/write#tree:*=EIO", 1);
    expect("write:error=EIO:count=process", "io/write=EIO", 1);
}

Test(syntax, delays_in_straces_units)
{
    /* strace(1): a plain number is microseconds. */
    expect("read:delay_enter=1000", "io/read=delay:1000us", 1);
    expect("read:delay_enter=10ms", "io/read=delay:10ms", 1);
    expect("read:delay_enter=500us", "io/read=delay:500us", 1);
    expect("read:delay_enter=2s", "io/read=delay:2s", 1);
    expect("read:delay_enter=1500ns", "io/read=delay:1500ns", 1);
    expect("read:delay_enter=1.5ms", "io/read=delay:1500us", 1);
    expect("read:delay_enter=2.5s", "io/read=delay:2500ms", 1);
    expect("read:delay_enter=0.5", "io/read=delay:500ns", 1);
    expect("read:delay_enter=1.000s", "io/read=delay:1s", 1);
    expect("read:delay_enter=0.000000001s", "io/read=delay:1ns", 1);
}

Test(syntax, signals)
{
    expect("read:signal=SIGUSR1", "io/read=signal:SIGUSR1", 1);
    expect("read:signal=usr1", "io/read=signal:SIGUSR1", 1);
    expect("read:signal=SigAlrm", "io/read=signal:SIGALRM", 1);
    expect("read:signal=10", "io/read=signal:SIGUSR1", 1);
    expect("read:signal=6", "io/read=signal:SIGABRT", 1);
    expect("read:error=EINTR:signal=SIGALRM", "io/read=signal:SIGALRM", 1);
    expect("read:signal=SIGALRM:error=eintr", "io/read=signal:SIGALRM", 1);
    expect("read:signal=SIGSTOP", "io/read=stop", 1);
    expect("read:signal=STOP:error=EINTR", "io/read=stop", 1);
    expect("read:signal=SIGKILL", "io/read=kill", 1);
    expect("read:signal=9", "io/read=kill", 1);
}

Test(syntax, retval_fakes_a_success_of_zero)
{
    expect("close:retval=0", "fd/close=succeed", 1);
    expect("chdir,fchdir:retval=0x0", "proc/chdir=succeed", 1);
    expect("kill,setpgid:retval=0", "proc/kill=succeed;proc/setpgid=succeed",
           2);
    expect("rt_sigprocmask:retval=00", "sig/mask=succeed", 1);
}

Test(syntax, our_own_keys)
{
    expect("write:short=1", "io/write=short:1", 1);
    expect("write:short=007", "io/write=short:7", 1);
    expect("write:short=4294967295", "io/write=short:4294967295", 1);
    expect("read:short=half", "io/read=short:half", 1);
    expect("read:short=rand", "io/read=short:rand", 1);
    expect("read:errno=any", "io/read=errno:any", 1);
    expect("read:error=EINTR:prob=0.25", "io/read%0.25=EINTR", 1);
    expect("read:error=EINTR:prob=1", "io/read%1=EINTR", 1);
    expect("read:error=EINTR:prob=0.000001", "io/read%0.000001=EINTR", 1);
    expect("read:error=EINTR:scope=child", "io/read@child=EINTR", 1);
    expect("read:error=EINTR:scope=exec+parent", "io/read@parent+exec=EINTR",
           1);
    expect("read:error=EINTR:scope=child:scope=exec",
           "io/read@child+exec=EINTR", 1);
    expect("read:error=EINTR:scope=parent+child", "io/read=EINTR", 1);
    expect("read:error=EINTR:backend=seccomp", "io/read!seccomp=EINTR", 1);
    expect("read:error=EINTR:backend=preload", "io/read=EINTR", 1);
}

Test(syntax, every_field_in_the_native_order)
{
    expect("execve,execveat:backend=seccomp:prob=0.5:count=tree:scope=child"
           ":when=2..5+2:error=ENOENT",
           "spawn/exec@child#tree:2..5+2%0.5!seccomp=ENOENT", 1);
}

Test(syntax, native_rules_pass_through_unchanged)
{
    expect("execve@child#1=ENOENT", "execve@child#1=ENOENT", 1);
    expect("write=short:1", "write=short:1", 1);
    expect("write#tree:2..=EIO", "write#tree:2..=EIO", 1);
    expect("spawn/exec@child#thread:1=ENOENT",
           "spawn/exec@child#thread:1=ENOENT", 1);
    expect("io/write%0.5!seccomp=delay:10ms", "io/write%0.5!seccomp=delay:10ms",
           1);
    /* A ':' inside a predicate or an action after '?', '%' or '!' is the
     * native form's, never strace's set ending. */
    expect("write?fd:1=short:7", "write?fd:1=short:7", 1);
    expect("read%0.5?kind:pipe=EIO", "read%0.5?kind:pipe=EIO", 1);
    expect("write!seccomp=signal:SIGUSR1", "write!seccomp=signal:SIGUSR1", 1);
    /* Checked later by the native parser, which names the field. */
    expect("write", "write", 1);
    expect_error("write=EIO;read=EIO",
                 "one rule per spec: a native rule holds no ';' (give each"
                 " rule its own spec)");
    expect_error("", "empty spec");
}

Test(syntax, keys_and_values_are_checked)
{
    expect_error("write:", "empty key (a ':' with no KEY=VALUE after it)");
    expect_error("write::error=EIO",
                 "empty key (a ':' with no KEY=VALUE after it)");
    expect_error("write:error", "key \"error\": expected KEY=VALUE");
    expect_error("write:error=", "error=: the value is missing");
    expect_error("write:error=EIO:error=EPIPE", "error=: given twice");
    expect_error("write:when=1:when=2:error=EIO", "when=: given twice");
    expect_error("write:frob=1",
                 "unknown key \"frob\" (expected error, retval, signal,"
                 " delay_enter, when, short, prob, scope, count, backend or"
                 " errno)");
    expect_error("write:when=1", "no action (give error=, retval=, signal=,"
                                 " delay_enter=, short= or errno=any)");
}

Test(syntax, what_strace_has_and_we_do_not)
{
    expect_error("write:error=EIO:delay_exit=10",
                 "delay_exit: strace has it (a delay after the call"
                 " returns), spawnfault does not");
    expect_error("chdir:poke_enter=@arg1=0000",
                 "poke_enter: strace has it (writing into the call's memory"
                 " before it runs), spawnfault does not");
    expect_error("chdir:poke_exit=@arg1=0000",
                 "poke_exit: strace has it (writing into the call's memory"
                 " after it returns), spawnfault does not");
    expect_error("getpid:syscall=getppid:retval=0",
                 "syscall: strace has it (running another system call in its"
                 " place), spawnfault does not");
    expect_error("%file:error=ENOENT",
                 "\"%file\": strace has a class of system calls in a set,"
                 " spawnfault does not (name each call)");
    expect_error("!write:error=EIO", "\"!write\": strace has negation in a"
                                     " set, spawnfault does not (name each"
                                     " call)");
    expect_error("/^wr:error=EIO",
                 "\"/^wr\": strace has a regular expression in a set,"
                 " spawnfault does not (name each call)");
    expect_error("?write:error=EIO",
                 "\"?write\": strace has an optional name in a set,"
                 " spawnfault does not (name each call)");
}

Test(syntax, names_of_the_set)
{
    expect_error("frobnicate:error=EIO", "unknown system call or point"
                                         " \"frobnicate\" (docs/inject.md"
                                         " lists them)");
    expect_error("read,,write:error=EIO",
                 "empty name in the set (names are separated by one ',')");
    expect_error("read,:error=EIO",
                 "empty name in the set (names are separated by one ',')");
    expect_error("wr\033ite:error=EIO",
                 "unknown system call or point \"wr\\x1bite\" (docs/inject.md"
                 " lists them)");
    expect_error("net:error=EIO", "unknown system call or point \"net\""
                                  " (docs/inject.md lists them)");
}

Test(syntax, bad_errors_and_signals)
{
    static const char unknown[] = "\": unknown signal (expected a name such"
                                  " as SIGUSR1, or its number; real-time"
                                  " signals are not supported)";
    static const char *const bad[] = {"0", "SIGRTMIN", "sigverylongnamehere",
                                      "USR1 "};
    char spec[64], message[192];

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        snprintf(spec, sizeof(spec), "read:signal=%s", bad[i]);
        snprintf(message, sizeof(message), "signal \"%s%s", bad[i], unknown);
        expect_error(spec, message);
    }
    expect_error("write:error=EFOO",
                 "error \"EFOO\": unknown errno (expected a name such as"
                 " ENOENT, or its number)");
    expect_error("write:error=0", "error \"0\": no errno has this number here");
    expect_error("write:error=4000",
                 "error \"4000\": no errno has this number here");
    expect_error("write:signal=SIGFOO",
                 "signal \"SIGFOO\": unknown signal (expected a name such as"
                 " SIGUSR1, or its number; real-time signals are not"
                 " supported)");
    expect_error("write:signal=40",
                 "signal \"40\": unknown signal (expected a name such as"
                 " SIGUSR1, or its number; real-time signals are not"
                 " supported)");
    expect_error("write:signal=SIG",
                 "signal \"SIG\": unknown signal (expected a name such as"
                 " SIGUSR1, or its number; real-time signals are not"
                 " supported)");
}

Test(syntax, one_action_per_rule)
{
    expect_error("read:error=EIO:signal=SIGUSR1",
                 "one action per rule: error= and signal= both given (only"
                 " error=EINTR goes with signal=: the signal interrupts the"
                 " call)");
    expect_error("read:delay_enter=1ms:error=EIO",
                 "one action per rule: error= and delay_enter= both given");
    expect_error("read:delay_enter=1ms:error=EINTR:signal=SIGUSR1",
                 "one action per rule: signal= and delay_enter= both given");
    expect_error("read:retval=0:error=EIO",
                 "one action per rule: error= and retval= both given");
    expect_error("read:short=1:errno=any",
                 "one action per rule: short= and errno= both given");
    expect_error("read:retval=0:signal=SIGUSR1",
                 "one action per rule: retval= and signal= both given");
}

Test(syntax, retval_other_than_success)
{
    expect_error("write:retval=3",
                 "retval \"3\": write returns a value that depends on the"
                 " call when it succeeds; spawnfault only fakes success,"
                 " where it is 0");
    expect_error("fork:retval=0",
                 "retval \"0\": fork returns a value that depends on the"
                 " call when it succeeds; spawnfault only fakes success,"
                 " where it is 0");
    expect_error("execve:retval=0",
                 "retval \"0\": execve does not return when it succeeds;"
                 " spawnfault only fakes success, where it is 0");
    expect_error("close:retval=1",
                 "retval \"1\": close returns 0 when it succeeds; spawnfault"
                 " only fakes success, where it is 0");
    expect_error("close,read:retval=0",
                 "retval \"0\": read returns a value that depends on the"
                 " call when it succeeds; spawnfault only fakes success,"
                 " where it is 0");
    expect_error("close:retval=-1", "retval \"-1\": expected a number");
    expect_error("close:retval=0x", "retval \"0x\": expected a number");
}

Test(syntax, bad_delays)
{
    static const char expected[] = ": expected a number with an optional"
                                   " unit: ns, us, ms or s (none: us)";
    static const char *const bad[] = {"1min", "1e3", ".5", "1.", "-1", "ms"};
    char spec[64], message[160];

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        snprintf(spec, sizeof(spec), "read:delay_enter=%s", bad[i]);
        snprintf(message, sizeof(message), "delay_enter \"%s\"%s", bad[i],
                 expected);
        expect_error(spec, message);
    }
    expect_error("read:delay_enter=0",
                 "delay_enter \"0\": a delay of zero does nothing");
    expect_error("read:delay_enter=0.0s",
                 "delay_enter \"0.0s\": a delay of zero does nothing");
    expect_error("read:delay_enter=1.5ns",
                 "delay_enter \"1.5ns\": finer than a nanosecond");
    expect_error("read:delay_enter=0.0000000001s",
                 "delay_enter \"0.0000000001s\": finer than a nanosecond");
    expect_error("read:delay_enter=99999999999999999999",
                 "delay_enter \"99999999999999999999\": too long");
    expect_error("read:delay_enter=18446744073709551s",
                 "delay_enter \"18446744073709551s\": too long");
}

Test(syntax, bad_triggers)
{
    static const char syntax[] = ": expected FIRST, FIRST..LAST, FIRST+,"
                                 " FIRST+STEP or FIRST..LAST+STEP";
    static const char *const bad[] = {"x",   "2..", "2...3",  "+2",
                                      "2+x", "1,2", "2..3+4+"};
    char spec[64], message[160];

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        snprintf(spec, sizeof(spec), "read:error=EIO:when=%s", bad[i]);
        snprintf(message, sizeof(message), "when \"%s\"%s", bad[i], syntax);
        expect_error(spec, message);
    }
    expect_error("read:error=EIO:when=0",
                 "when \"0\": call numbers start at 1");
    expect_error("read:error=EIO:when=5..3",
                 "when \"5..3\": ends before it starts");
    expect_error("read:error=EIO:when=2+0",
                 "when \"2+0\": the step must be at least 1");
    expect_error("read:error=EIO:when=4294967295",
                 "when \"4294967295\": number too large (at most"
                 " 4294967294)");
    expect_error("read:error=EIO:when=", "when=: the value is missing");
    expect_error("read:error=EIO:count=forest",
                 "count \"forest\": expected process, thread or tree");
}

Test(syntax, bad_values_of_our_keys)
{
    static const char prob[] = ": expected a decimal from 0 to 1 with at"
                               " most 6 decimals";
    static const char *const bad_prob[] = {"1.5", "0.1234567", ".5",  "0.",
                                           "0,5", "2",         "1.01"};
    char spec[64], message[160];

    for (size_t i = 0; i < ARRAY_SIZE(bad_prob); i++) {
        snprintf(spec, sizeof(spec), "read:error=EIO:prob=%s", bad_prob[i]);
        snprintf(message, sizeof(message), "prob \"%s\"%s", bad_prob[i], prob);
        expect_error(spec, message);
    }
    expect_error("read:error=EIO:scope=parnt",
                 "scope \"parnt\": unknown (expected parent, child or exec)");
    expect_error("read:error=EIO:scope=child+child",
                 "scope \"child\": given twice");
    expect_error("read:error=EIO:scope=child:scope=child",
                 "scope \"child\": given twice");
    expect_error("read:error=EIO:scope=child+",
                 "scope \"\": unknown (expected parent, child or exec)");
    expect_error("read:error=EIO:backend=ptrace",
                 "backend \"ptrace\": expected preload or seccomp");
    expect_error("write:short=0", "short \"0\": expected half, rand or a"
                                  " number of bytes from 1 to 4294967295");
    expect_error("write:short=quarter",
                 "short \"quarter\": expected half, rand or a number of"
                 " bytes from 1 to 4294967295");
    expect_error("read:errno=ENOENT",
                 "errno \"ENOENT\": expected any (for one errno, use"
                 " error=NAME)");
}

Test(syntax, a_small_buffer_is_no_overflow)
{
    char out[8], err[SPF_FAULT_SYNTAX_ERR_MAX];
    const char *spec = "read,write:error=EIO";

    memset(out, 'x', sizeof(out));
    cr_assert_eq(spf_fault_syntax_translate(spec, strlen(spec), out,
                                            sizeof(out), err, sizeof(err)),
                 -ENOSPC);
    cr_assert_str_eq(err, "the rules do not fit in the buffer given");
    cr_assert_eq(out[sizeof(out) - 1], '\0');
}

Test(syntax, the_spec_needs_no_nul)
{
    char out[64], err[64];
    const char spec[] = "write:error=EIOxxxx";

    cr_assert_eq(spf_fault_syntax_translate(spec, 15, out, sizeof(out), err,
                                            sizeof(err)),
                 1);
    cr_assert_str_eq(out, "io/write=EIO");
}

Test(syntax, the_message_is_cut_not_overflowed)
{
    char out[64], err[12];
    const char *spec = "frobnicate:error=EIO";

    cr_assert_eq(spf_fault_syntax_translate(spec, strlen(spec), out,
                                            sizeof(out), err, sizeof(err)),
                 -EINVAL);
    cr_assert_eq(strlen(err), sizeof(err) - 1);
}

/* libfiu's control commands, as fiu-run -c takes them.  The names are
 * those of libfiu 1.1's fiu_posix_preload.so. */
Test(syntax, libfiu_points_map_to_ours)
{
    static const char *const map[][2] = {
        {"posix/proc/fork", "spawn/fork/fork=errno:any"},
        {"posix/proc/wait", "proc/wait=errno:any"},
        {"posix/proc/waitpid", "proc/wait=errno:any"},
        {"posix/proc/waitid", "proc/wait=errno:any"},
        {"posix/proc/kill", "proc/kill=errno:any"},
        {"posix/io/oc/close", "fd/close=errno:any"},
        {"posix/io/rw/read", "io/read=errno:any"},
        {"posix/io/rw/read/reduce", "io/read=short:rand"},
        {"posix/io/rw/write", "io/write=errno:any"},
        {"posix/io/rw/write/reduce", "io/write=short:rand"},
        {"posix/io/net/poll", "io/poll=errno:any"},
    };
    char spec[64];

    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        snprintf(spec, sizeof(spec), "enable name=%s", map[i][0]);
        expect(spec, map[i][1], 1);
    }
}

/* libfiu's POSIX wrappers set errno to failinfo, and draw one of the
 * call's errnos when it is 0 or absent. */
Test(syntax, libfiu_failinfo_is_the_errno)
{
    expect("enable name=posix/io/rw/write,failinfo=5", "io/write=EIO", 1);
    expect("enable name=posix/io/rw/read,failinfo=4", "io/read=EINTR", 1);
    expect("enable name=posix/proc/fork,failinfo=11", "spawn/fork/fork=EAGAIN",
           1);
    expect("enable name=posix/io/rw/write,failinfo=0", "io/write=errno:any", 1);
}

Test(syntax, libfiu_probability_onetime_and_failnum)
{
    expect("enable_random name=posix/io/rw/read,probability=0.25",
           "io/read%0.25=errno:any", 1);
    expect("enable_random name=posix/io/rw/write,probability=1,failinfo=28",
           "io/write%1=ENOSPC", 1);
    expect("enable_random name=posix/io/rw/write/reduce,probability=0.5",
           "io/write%0.5=short:rand", 1);
    expect("enable name=posix/proc/kill,onetime,failinfo=1",
           "proc/kill#1=EPERM", 1);
    expect("enable name=posix/proc/fork,failnum=-7,failinfo=12",
           "spawn/fork/fork=ENOMEM", 1);
    expect(" \tenable\t name=posix/io/oc/close,failinfo=9 ", "fd/close=EBADF",
           1);
}

/* The errno must be one the call can return: the native parser, which
 * checks every translated rule, says so. */
Test(syntax, libfiu_errno_the_call_cannot_return)
{
    const char *spec = "enable name=posix/io/rw/write,failinfo=2";
    char out[SPF_FAULT_SYNTAX_OUT_MAX], err[SPF_FAULT_SYNTAX_ERR_MAX];
    static struct spf_fault_plan plan;
    char why[256] = "";
    int r = spf_fault_syntax_translate(spec, strlen(spec), out, sizeof(out),
                                       err, sizeof(err));

    cr_assert_eq(r, 1);
    cr_assert_str_eq(out, "io/write=ENOENT");
    r = spf_fault_plan_parse(out, strlen(out), &plan, why, sizeof(why));
    cr_assert_eq(r, -EINVAL);
    cr_assert(strstr(why, "write cannot fail with this errno") != NULL, "%s",
              why);
}

Test(syntax, libfiu_points_we_have_not)
{
    static const char *const names[] = {
        "posix/io/oc/open",      "posix/io/rw/readv", "posix/io/rw/pwrite",
        "posix/io/net/socket",   "posix/proc/signal", "posix/proc/sigaction",
        "posix/stdio/rw/fwrite", "libc/mm/malloc",    "posix/proc/exec",
    };
    char spec[64], message[200];

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        snprintf(spec, sizeof(spec), "enable name=%s", names[i]);
        snprintf(message, sizeof(message),
                 "name \"%s\": spawnfault has no point for it"
                 " (docs/inject.md, \"libfiu's syntax\", lists the libfiu"
                 " points it has)",
                 names[i]);
        expect_error(spec, message);
    }
}

Test(syntax, libfiu_what_we_refuse)
{
    expect_error("enable name=posix/io/rw/*,failinfo=5",
                 "name \"posix/io/rw/*\": libfiu's wildcards are not taken"
                 " (each libfiu release adds points under them); name each"
                 " point");
    expect_error("disable name=posix/io/rw/read",
                 "disable: a spec only adds a rule; to disable one, leave"
                 " it out");
    expect_error("enable_stack_by_name name=posix/io/rw/read,func_name=f",
                 "enable_stack_by_name: libfiu has it (failing only while a"
                 " given function is on the stack), spawnfault does not");
    expect_error("enable_external name=posix/io/rw/read",
                 "enable_external: libfiu has it (a function of the"
                 " program's deciding each failure), spawnfault does not");
    expect_error("enable_randum name=posix/io/rw/read",
                 "unknown libfiu command \"enable_randum\" (expected enable"
                 " or enable_random)");
    expect_error("enable_random name=posix/io/rw/read,probability=0.5,"
                 "onetime",
                 "onetime: beside enable_random it means the first call the"
                 " draw picks, which spawnfault cannot say (a trigger counts"
                 " calls)");
    expect_error("enable name=posix/io/rw/read/reduce,failinfo=5",
                 "failinfo: a /reduce point shortens the transfer and sets"
                 " no errno");
    expect_error("enable name=posix/io/rw/read,failnum=0",
                 "failnum \"0\": libfiu never fails a point whose failnum is"
                 " 0 (give another, or leave it out)");
}

Test(syntax, libfiu_bad_parameters)
{
    expect_error("enable", "no parameters after \"enable\" (expected"
                           " name=NAME and more, joined by ',')");
    expect_error("enable name=posix/io/rw/read failinfo=5",
                 "unexpected \"failinfo=5\" after the parameters (libfiu"
                 " takes one word of parameters, joined by ',')");
    expect_error("enable failinfo=5", "no name= (the libfiu point to enable)");
    expect_error("enable name=posix/io/rw/read,,failinfo=5",
                 "empty parameter (parameters are separated by one ',')");
    expect_error("enable name=posix/io/rw/read,errno=5",
                 "unknown parameter \"errno\" (expected name, failnum,"
                 " failinfo, probability or onetime)");
    expect_error("enable name", "parameter \"name\": expected KEY=VALUE");
    expect_error("enable name=", "name=: the value is missing");
    expect_error("enable name=posix/io/rw/read,name=posix/io/rw/write",
                 "name=: given twice");
    expect_error("enable name=posix/io/rw/read,onetime,onetime",
                 "onetime: given twice");
    expect_error("enable name=posix/io/rw/read,onetime=1",
                 "onetime: a flag, it takes no value");
    expect_error("enable_random name=posix/io/rw/read",
                 "enable_random: probability= is missing");
    expect_error("enable name=posix/io/rw/read,probability=0.5",
                 "probability=: only enable_random takes it");
    expect_error("enable_random name=posix/io/rw/read,probability=.5",
                 "probability \".5\": expected a decimal from 0 to 1 with at"
                 " most 6 decimals");
    expect_error("enable name=posix/io/rw/read,failinfo=EIO",
                 "failinfo \"EIO\": expected an errno's number (libfiu reads"
                 " failinfo as a decimal number)");
    expect_error("enable name=posix/io/rw/read,failinfo=4000",
                 "failinfo \"4000\": no errno has this number here");
    expect_error("enable name=posix/io/rw/read,failnum=x",
                 "failnum \"x\": expected a non-zero integer");
    expect_error("enable name=posix/io/rw/\x01",
                 "name \"posix/io/rw/\\x01\": spawnfault has no point for it"
                 " (docs/inject.md, \"libfiu's syntax\", lists the libfiu"
                 " points it has)");
}
