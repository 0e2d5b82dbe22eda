/* The harness end to end: supervisor, agent, census, watchdog, faults. */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <spawnfault/harness.h>

#define SEC 1000000000LL

static struct spf_harness_config cfg;
static char tmp_root[] = "/tmp/spf-harness-test-XXXXXX";

static void setup(void)
{
    cr_assert(mkdtemp(tmp_root));
    cr_assert_eq(spf_harness_locate(&cfg), 0,
                 "SPF_AGENT, SPF_PRELOAD, SPF_HELPER must name the build");
    cfg.tmp_root = tmp_root;
}

/* Every case folder must be gone after each case. */
static void teardown(void)
{
    DIR *d = opendir(tmp_root);
    struct dirent *e;
    int left = 0;

    cr_assert(d);
    while ((e = readdir(d)))
        left += e->d_name[0] != '.';
    closedir(d);
    rmdir(tmp_root);
    cr_expect_eq(left, 0, "a case folder was left in %s", tmp_root);
}

TestSuite(harness, .init = setup, .fini = teardown, .timeout = 30);

static struct spf_bytes B(const char *s) {
    return (struct spf_bytes){strdup(s), strlen(s)};
}

/* A case running argv (NULL-terminated), stdout and stderr piped. */
static void
make_case(struct spf_case *c, const char *first, ...)
{
    va_list ap;
    const char *s;

    spf_case_init(c);
    c->id = strdup("case");
    c->argv = calloc(32, sizeof(*c->argv));
    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *))
        c->argv[c->argc++] = B(s);
    va_end(ap);
    c->std[1].kind = c->std[2].kind = SPF_STDIO_PIPE;
    c->watchdog_ns = 10 * SEC;
}

static struct spf_outcome run(struct spf_case *c)
{
    struct spf_outcome o;

    cr_assert_eq(spf_harness_run(c, &cfg, &o), 0);
    spf_case_clear(c);
    return o;
}

static void expect_clean(const struct spf_outcome *o)
{
    cr_expect_eq(o->n_leaked_fds, 0, "leaked %s",
                 o->n_leaked_fds ? o->leaked_fds[0] : "");
    cr_expect_eq(o->n_zombies, 0, "zombie %s",
                 o->n_zombies ? o->zombies[0] : "");
    cr_expect_eq(o->n_strays, 0, "stray %s", o->n_strays ? o->strays[0] : "");
    cr_expect_eq(o->watchdog_signal, 0);
    cr_expect_null(o->harness_error, "%s", o->harness_error);
}

Test(harness, exit_code_and_output)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", "out", "hello", "err", "oops", "exit", "3", NULL);
    o = run(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_expect(o.has_returncode);
    cr_expect_eq(o.returncode, 3);
    cr_expect_str_eq(o.out.data.data, "hello");
    cr_expect_str_eq(o.err_out.data.data, "oops");
    cr_expect_eq(o.out.total_len, 5);
    cr_expect_str_eq(o.out.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c"
                                   "1fa7425e73043362938b9824");
    cr_expect_eq(o.iterations, 1);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

Test(harness, spawn_error_is_reported)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "/nonexistent/prog", NULL);
    o = run(&c);
    cr_expect_eq(o.result, SPF_RESULT_SPAWN_ERROR);
    cr_expect_eq(o.stage, SPF_STAGE_EXEC);
    cr_expect_eq(o.err, ENOENT);
    cr_expect_str_eq(o.filename.data, "/nonexistent/prog");
    cr_expect_str_eq(o.raw.data, "OSError:2:");
    expect_clean(&o);
    spf_outcome_clear(&o);
}

Test(harness, files_and_case_dir_token)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{case_dir}/script", NULL);
    c.n_files = 1;
    c.files = calloc(1, sizeof(*c.files));
    c.files[0].path = strdup("script");
    c.files[0].content = B("#!/bin/sh\necho \"in $(basename $PWD)\"\n");
    c.files[0].mode = 0755;
    c.cwd = B("{case_dir}");
    o = run(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_expect_eq(o.returncode, 0);
    cr_expect(strncmp(o.out.data.data, "in spf-case-", 12) == 0, "%s",
              o.out.data.data);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

Test(harness, inherited_output_is_captured)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", "out", "to-agent", NULL);
    c.std[1].kind = SPF_STDIO_INHERIT;
    o = run(&c);
    cr_expect(!o.out.present);
    cr_expect(o.inherited_out.present);
    cr_expect_str_eq(o.inherited_out.data.data, "to-agent");
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/* A grandchild left running is a stray: found, reported, killed. */
Test(harness, strays_are_found_and_killed)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", "background", "30", NULL);
    c.std[1].kind = c.std[2].kind = SPF_STDIO_DEVNULL;
    o = run(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_assert_eq(o.n_strays, 1);
    cr_expect(strstr(o.strays[0], "(spawnfault-help"), "%s", o.strays[0]);
    spf_outcome_clear(&o);
}

/* A hanging case meets the watchdog; the whole tree goes. */
Test(harness, watchdog_stops_a_hang)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", "sleep", "30", NULL);
    c.api = SPF_API_WAIT;
    /* Long enough for an agent under valgrind to reach its wait, so that
     * the SIGTERM finds it there rather than mid-start-up. */
    c.watchdog_ns = getenv("SPF_UNDER_VALGRIND") ? 8 * SEC : SEC / 2;
    o = run(&c);
    cr_expect_eq(o.result, SPF_RESULT_HARNESS);
    cr_expect_eq(o.watchdog_signal, SIGTERM);
    cr_expect(o.harness_error && strstr(o.harness_error, "watchdog"), "%s",
              o.harness_error);
    spf_outcome_clear(&o);
}

/* Repeated cases must agree in every iteration, and leak nothing. */
Test(harness, repeat_runs_every_iteration)
{
    /* Under valgrind each spawn of the traced agent is slow: fewer. */
    int n = getenv("SPF_UNDER_VALGRIND") ? 20 : 200;
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "/nonexistent", NULL);
    c.repeat = n;
    o = run(&c);
    cr_expect_eq(o.iterations, n);
    cr_expect_eq(o.result, SPF_RESULT_SPAWN_ERROR);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/* Every iteration is held to the first on what the verdict checks: here
 * the second writes other output with the same exit code. */
Test(harness, repeat_compares_the_output_of_every_iteration)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "/bin/sh", "-c",
              "if [ -e seen ]; then printf WRONG; else : >seen; printf ok; fi",
              NULL);
    c.repeat = 3;
    o = run(&c);
    cr_expect_eq(o.iterations, 2, "it stops at the first difference");
    cr_expect_str_eq(o.out.data.data, "ok");
    cr_expect(o.harness_error &&
                  strstr(o.harness_error,
                         "iteration 2 differed from the first (stdout)"),
              "%s", o.harness_error);
    spf_outcome_clear(&o);
}

/* What reaches the agent's own stdout is checked on the first iteration,
 * and every later one must write the same. */
Test(harness, repeat_keeps_one_iteration_of_inherited_output)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "/bin/sh", "-c", "printf ok", NULL);
    c.std[1].kind = c.std[2].kind = SPF_STDIO_INHERIT;
    c.repeat = 3;
    o = run(&c);
    cr_expect_eq(o.iterations, 3);
    cr_expect_str_eq(o.inherited_out.data.data, "ok");
    expect_clean(&o);
    spf_outcome_clear(&o);

    make_case(&c, "/bin/sh", "-c",
              "if [ -e seen ]; then printf WRONG; else : >seen; printf ok; fi",
              NULL);
    c.std[1].kind = c.std[2].kind = SPF_STDIO_INHERIT;
    c.repeat = 3;
    o = run(&c);
    cr_expect(o.harness_error &&
                  strstr(o.harness_error, "iteration 2 differed from the "
                                          "first (inherited_stdout)"),
              "%s", o.harness_error);
    cr_expect_str_eq(o.inherited_out.data.data, "ok");
    spf_outcome_clear(&o);
}

static void set_plan(struct spf_case *c, const char *text)
{
    char err[256];

    cr_assert_eq(
        spf_fault_plan_parse(text, strlen(text), &c->faults, err, sizeof(err)),
        0, "%s", err);
}

/* The child's first exec failed with err by a rule, reported as the
 * exec's failure, with that one fault on record and nothing left. */
static void expect_exec_fault(const struct spf_outcome *o, int err)
{
    cr_expect_eq(o->result, SPF_RESULT_SPAWN_ERROR);
    cr_expect_eq(o->stage, SPF_STAGE_EXEC);
    cr_expect_eq(o->err, err);
    cr_assert_eq(o->n_fired, 1);
    cr_expect_eq(o->fired[0].call, SPF_CALL_EXECVE);
    cr_expect_eq(o->fired[0].scope, SPF_SCOPE_CHILD);
    cr_expect_eq(o->fired[0].n, 1);
    expect_clean(o);
}

/* Faults reach the child before exec; the fired fault is on record. */
Test(harness, injected_exec_failure)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", NULL);
    set_plan(&c, "execve@child#1=EACCES");
    o = run(&c);
    expect_exec_fault(&o, EACCES);
    spf_outcome_clear(&o);
}

/* Far more faults than the log holds records for: the outcome keeps the
 * first ones in full and counts every one, and that is no error. */
Test(harness, every_fired_fault_is_counted)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "/bin/cat", NULL);
    c.std[0].kind = SPF_STDIO_PIPE;
    c.input.data = malloc(20000);
    cr_assert_not_null(c.input.data);
    memset(c.input.data, 'a', 20000);
    c.input.len = 20000;
    set_plan(&c, "write@parent#*=short:1");
    o = run(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_expect_eq(o.out.total_len, 20000);
    cr_expect_eq(o.fired_total, 20000);
    cr_expect_eq(o.fired_counts[SPF_CALL_WRITE][0], 20000, "write@parent");
    cr_expect_eq(o.n_fired, SPF_FIRED_KEEP);
    cr_expect_eq(o.fired[SPF_FIRED_KEEP - 1].n, SPF_FIRED_KEEP);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/* The agent's own work is never faulted: a rule on every read still
 * leaves it able to read its case and report. */
Test(harness, agent_itself_is_not_faulted)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", "out", "x", NULL);
    set_plan(&c, "write@parent#*=EIO");
    o = run(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_expect_str_eq(o.out.data.data, "x");
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/*
 * A case with seccomp rules, run.  Where seccomp user notification is
 * missing (valgrind implements no seccomp(2); a build without libseccomp)
 * the harness reports the case not applicable, with the reason: the test
 * is skipped with it.
 */
static struct spf_outcome run_seccomp(struct spf_case *c)
{
    struct spf_outcome o = run(c);
    char why[512];

    if (o.result != SPF_RESULT_NOT_APPLICABLE)
        return o;
    cr_assert_not_null(o.not_applicable);
    snprintf(why, sizeof(why), "%s", o.not_applicable);
    spf_outcome_clear(&o);
    /* A skipped test gets no .fini: the root goes now. */
    rmdir(tmp_root);
    cr_skip_test("%s", why);
    return o;
}

/* The seccomp backend fails the child's exec, as the preload would. */
Test(harness, seccomp_exec_failure)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", NULL);
    set_plan(&c, "spawn/exec@child#1!seccomp=EACCES");
    o = run_seccomp(&c);
    expect_exec_fault(&o, EACCES);
    spf_outcome_clear(&o);
}

/* The agent reads its case before it arms: the first read seccomp counts
 * is the spawn's errpipe read, whose failure is the spawn's.  Counted
 * from the agent's exec, the case itself would have been unreadable. */
Test(harness, seccomp_counts_from_arming)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", NULL);
    set_plan(&c, "io/read@parent#1!seccomp=EIO");
    o = run_seccomp(&c);
    cr_expect_eq(o.result, SPF_RESULT_SPAWN_ERROR);
    cr_expect_eq(o.stage, SPF_STAGE_SETUP);
    cr_expect_eq(o.err, EIO);
    cr_assert_eq(o.n_fired, 1);
    cr_expect_eq(o.fired[0].scope, SPF_SCOPE_PARENT);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/* The supervisor's own environment variable never reaches the case. */
Test(harness, seccomp_arm_word_is_not_inherited)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", "env", NULL);
    set_plan(&c, "proc/setsid@exec#*!seccomp=EPERM");
    o = run_seccomp(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_assert_not_null(o.out.data.data);
    cr_expect_null(strstr(o.out.data.data, "SPF_SECCOMP_ARM"), "%s",
                   o.out.data.data);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/* A stray under the filter is killed and reaped by the census, after
 * which the seccomp supervisor sees its tree gone and the case ends. */
Test(harness, seccomp_strays_are_killed)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", "background", "30", NULL);
    c.std[1].kind = c.std[2].kind = SPF_STDIO_DEVNULL;
    set_plan(&c, "proc/setsid@exec#*!seccomp=EPERM");
    o = run_seccomp(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_expect_eq(o.n_strays, 1);
    cr_expect_null(o.harness_error, "%s", o.harness_error);
    spf_outcome_clear(&o);
}

/* The static seccomp test program (tests/faults/seccomp-target.c), which
 * writes what its calls returned to stdout; skips without it. */
static const char *static_target(void)
{
    const char *t = getenv("SPF_TEST_SECCOMP_STATIC");

    if (!t || !*t) {
        rmdir(tmp_root); /* no .fini after a skip */
        cr_skip_test("SPF_TEST_SECCOMP_STATIC is unset: a build without "
                     "libseccomp, or not run through meson test");
    }
    return t;
}

/* A static program ignores LD_PRELOAD, yet the seccomp backend fails its
 * exec, in scope exec, and the program sees the errno. */
Test(harness, seccomp_static_program_sees_the_exec_errno)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, static_target(), "1", "exec", "/bin/true", NULL);
    set_plan(&c, "spawn/exec@exec#1!seccomp=ENOENT");
    o = run_seccomp(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_expect(o.has_returncode && o.returncode == 0);
    cr_assert_not_null(o.out.data.data);
    cr_expect_str_eq(o.out.data.data, "exec errno=2\n");
    cr_assert_eq(o.n_fired, 1);
    cr_expect_eq(o.fired[0].call, SPF_CALL_EXECVE);
    cr_expect_eq(o.fired[0].scope, SPF_SCOPE_EXEC);
    cr_expect_eq(o.fired[0].n, 1);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/* The same rule for the preload never reaches that program: its exec
 * succeeds, /bin/true replaces it, and nothing fires. */
Test(harness, preload_does_not_reach_a_static_program)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, static_target(), "1", "exec", "/bin/true", NULL);
    set_plan(&c, "spawn/exec@exec#1=ENOENT");
    o = run(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_expect(o.has_returncode && o.returncode == 0);
    cr_expect_eq(o.out.total_len, 0, "%s", o.out.data.data);
    cr_expect_eq(o.n_fired, 0);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/* glibc's posix_spawn in a static program: its child's exec, inside
 * libc, fails EACCES, and posix_spawn returns it. */
Test(harness, seccomp_static_posix_spawn_returns_the_exec_errno)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, static_target(), "1", "spawn", "/bin/true", NULL);
    set_plan(&c, "spawn/exec@exec#1!seccomp=EACCES");
    o = run_seccomp(&c);
    cr_expect_eq(o.result, SPF_RESULT_EXITED);
    cr_assert_not_null(o.out.data.data);
    /* posix_spawn reports a failed exec as its return value; the child
     * exits 127, which it reaps itself. */
    cr_expect(strncmp(o.out.data.data, "spawn=13 ", 9) == 0, "%s",
              o.out.data.data);
    cr_assert_geq(o.n_fired, 1);
    cr_expect_eq(o.fired[0].call, SPF_CALL_EXECVE);
    cr_expect_eq(o.fired[0].scope, SPF_SCOPE_EXEC);
    expect_clean(&o);
    spf_outcome_clear(&o);
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

/* A call the seccomp supervisor holds for a minute is no hang the
 * watchdog cannot end: the tree goes, and the case ends soon after. */
Test(harness, seccomp_watchdog_stops_a_held_call)
{
    struct spf_case c;
    struct spf_outcome o;
    int64_t t0 = now_ns();

    make_case(&c, "{helper}", NULL);
    c.api = SPF_API_WAIT;
    c.watchdog_ns = SEC / 2;
    set_plan(&c, "proc/wait@parent#*!seccomp=delay:60s");
    o = run_seccomp(&c);
    cr_expect_eq(o.result, SPF_RESULT_HARNESS);
    cr_expect_eq(o.watchdog_signal, SIGTERM);
    cr_expect(o.harness_error && strstr(o.harness_error, "watchdog"), "%s",
              o.harness_error);
    cr_expect_eq(o.n_strays, 0, "stray %s", o.n_strays ? o.strays[0] : "");
    cr_expect_lt(now_ns() - t0, 5 * SEC);
    spf_outcome_clear(&o);
}

/* A caller's fd given as stdout reaches the child and stays the
 * caller's: nothing leaks, nothing is closed. */
Test(harness, caller_fd_as_stdout)
{
    struct spf_case c;
    struct spf_outcome o;

    make_case(&c, "{helper}", "out", "y", NULL);
    c.std[1] = (struct spf_stdio){SPF_STDIO_FD, 1};
    o = run(&c);
    cr_expect_str_eq(o.inherited_out.data.data, "y");
    expect_clean(&o);
    spf_outcome_clear(&o);
}

/* The first child of ours listed by the kernel, or -1. */
static pid_t first_child(void)
{
    char path[64];
    long pid = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
    f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = -1;
        fclose(f);
    }
    return (pid_t)pid;
}

/* How many processes are below pid. */
static size_t count_below(pid_t pid)
{
    pid_t ppid[4096], me[4096];
    size_t n = 0, found = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;

    while (d && (e = readdir(d)) && n < 4096) {
        char path[300];
        FILE *f;
        int p, pp;

        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || !(f = fopen(path, "r")))
            continue;
        if (fscanf(f, "%d (%*[^)]) %*c %d", &p, &pp) == 2) {
            me[n] = p;
            ppid[n++] = pp;
        }
        fclose(f);
    }
    if (d)
        closedir(d);
    /* Breadth-first from pid over the parent links. */
    pid_t queue[4096];
    size_t head = 0;
    queue[found++] = pid;
    while (head < found)
        for (size_t i = 0, q = queue[head++]; i < n; i++)
            if (ppid[i] == (pid_t)q && found < 4096)
                queue[found++] = me[i];
    return found - 1;
}

/* A supervisor killed outright cannot clean up: the harness does, as the
 * runner would (a subreaper), and says what it found. */
Test(harness, a_killed_supervisor_leaves_nothing_behind)
{
    struct spf_harness_job *job;
    struct spf_case c;
    struct spf_outcome o;
    pid_t sv;

    cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    make_case(&c, "{helper}", "background", "60", "sleep", "30", NULL);
    cr_assert_eq(spf_harness_start(&c, &cfg, &job), 0);
    sv = first_child();
    cr_assert_gt(sv, 0);
    /* Agent, helper and its grandchild: wait until all three run (slow
     * under valgrind). */
    for (int i = 0; i < 2000 && count_below(sv) < 3; i++)
        usleep(10000);
    cr_assert_geq(count_below(sv), 3, "the case never started");
    cr_assert_eq(kill(sv, SIGKILL), 0);
    cr_assert_eq(spf_harness_finish(job, &o), 0);
    spf_case_clear(&c);

    cr_expect_eq(o.result, SPF_RESULT_HARNESS);
    cr_expect_not_null(o.harness_error);
    cr_expect(o.harness_error &&
                  strstr(o.harness_error, "the supervisor ended (signal 9)"),
              "%s", o.harness_error);
    cr_expect_geq(o.n_strays, 2, "the helper and its grandchild, at least");
    cr_expect_eq(first_child(), -1, "nothing of the case is left below us");
    spf_outcome_clear(&o);
    /* teardown checks that the case folder is gone */
}

/*
 * An adapter of our own making, for the tests of what a target reports:
 * a shell script that leaves a process running (a stray) and writes an
 * outcome saying the case is not applicable.  Returns its path, in a
 * folder of its own (the case folders' root must stay empty).
 */
static char fake_dir[] = "/tmp/spf-harness-fake-XXXXXX";

static char *fake_adapter(void)
{
    static const char script[] =
        "#!/bin/sh\n"
        "sleep 30 &\n"
        "printf '%s' '{\"result\": \"not_applicable\", \"stage\": \"none\", "
        "\"errno\": 0, \"not_applicable\": \"no such option here\"}' "
        ">\"/proc/self/fd/$2\"\n";
    char *path;
    FILE *f;

    cr_assert(mkdtemp(fake_dir));
    cr_assert(asprintf(&path, "%s/adapter", fake_dir) > 0);
    f = fopen(path, "we");
    cr_assert(f);
    cr_assert_geq(fputs(script, f), 0);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path, 0700), 0);
    return path;
}

static void fake_adapter_remove(char *path)
{
    cr_expect_eq(unlink(path), 0);
    cr_expect_eq(rmdir(fake_dir), 0);
    free(path);
}

/* A peer that cannot express a case says why; the supervisor's census of
 * what it left behind still stands beside the reason. */
Test(harness, a_peer_reports_not_applicable_with_its_census)
{
    struct spf_harness_config peer = cfg;
    struct spf_target t = {.kind = SPF_TARGET_NODE, .name = "fake"};
    char *adapter = fake_adapter();
    struct spf_case c;
    struct spf_outcome o;

    snprintf(t.program, sizeof(t.program), "/bin/sh");
    snprintf(t.script, sizeof(t.script), "%s", adapter);
    peer.target = &t;
    make_case(&c, "/bin/true", NULL);
    cr_assert_eq(spf_harness_run(&c, &peer, &o), 0);
    spf_case_clear(&c);

    cr_expect_eq(o.result, SPF_RESULT_NOT_APPLICABLE);
    cr_expect_str_eq(o.not_applicable, "no such option here");
    cr_expect_null(o.harness_error, "%s", o.harness_error);
    cr_expect_eq(o.n_strays, 1, "the adapter's sleep is a stray");
    spf_outcome_clear(&o);
    fake_adapter_remove(adapter);
}

/* The core implements every option: "not applicable" from its agent is a
 * harness error, never a case left unjudged. */
Test(harness, the_core_is_never_not_applicable)
{
    struct spf_harness_config core = cfg;
    char *adapter = fake_adapter();
    struct spf_case c;
    struct spf_outcome o;

    core.agent_path = adapter;
    make_case(&c, "/bin/true", NULL);
    cr_assert_eq(spf_harness_run(&c, &core, &o), 0);
    spf_case_clear(&c);

    cr_expect_eq(o.result, SPF_RESULT_HARNESS);
    cr_expect_null(o.not_applicable);
    cr_expect(o.harness_error &&
                  strstr(o.harness_error, "reported the case not applicable "
                                          "(no such option here)"),
              "%s", o.harness_error);
    spf_outcome_clear(&o);
    fake_adapter_remove(adapter);
}
