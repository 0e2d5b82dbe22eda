/* spf_popen(): spawn failures by the reference (sections 1 and 4.1), input
 * validation, and leaks on every failure path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/child.h"
#include "common.h"
#include "spf-config.h"

#if SPF_WITH_FIU
/* Without FIU_ENABLE the libfiu headers turn every call into a no-op. */
#define FIU_ENABLE 1
#include <fiu-control.h>
#include <fiu.h>
#endif

struct failure {
    int ret;
    struct spf_spawn_error e;
};

static struct failure must_fail(const struct spf_popen_opts *o)
{
    struct failure f;
    struct spf_proc *p = NULL;

    f.ret = spf_popen(o, &p, &f.e);
    cr_assert_lt(f.ret, 0, "spawn of %s succeeded", o->argv[0].ptr);
    cr_assert_null(p, "ret_proc written on failure");
    return f;
}

static void expect(struct failure f, enum spf_stage stage, int err,
                   const char *file)
{
    cr_expect_eq(f.e.stage, stage, "stage %s (%s)", spf_stage_name(f.e.stage),
                 f.e.message);
    cr_expect_eq(f.e.err, err, "errno %d", f.e.err);
    if (file)
        cr_expect_str_eq(f.e.filename ? f.e.filename : "(none)", file);
    else
        cr_expect_null(f.e.filename, "filename %s", f.e.filename);
    spf_spawn_error_clear(&f.e);
}

static int run_ok(const struct spf_popen_opts *o)
{
    struct spf_proc *p;
    struct spf_spawn_error e;
    int code = INT_MIN, r = spf_popen(o, &p, &e);

    cr_assert_eq(r, 0, "spawn failed: %s %s", spf_stage_name(e.stage),
                 e.message);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, SPF_FOREVER), 0);
    cr_assert_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    spf_proc_free(p);
    return code;
}

TEST(popen, spawns_and_collects_the_exit_code, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];

    helper_opts(&o, av, "exit", "47", NULL);
    cr_expect_eq(run_ok(&o), 47);
    o.allow_vfork = false;
    cr_expect_eq(run_ok(&o), 47);
}

/* ERR-01, ERR-32, ERR-35: named, reaped with status 255, no zombie. */
TEST(popen, missing_absolute_program, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct failure f;

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/opt/nonexistent_binary", "with", "some", "args", NULL);
    o.std[1].kind = o.std[2].kind = SPF_STDIO_PIPE;
    f = must_fail(&o);
    cr_expect_eq(f.ret, -ENOENT);
    cr_expect_eq(f.e.child_status, 255, "child status %d", f.e.child_status);
    cr_expect_str_eq(f.e.raw, "OSError:2:");
    cr_expect_str_eq(f.e.message, "No such file or directory");
    expect(f, SPF_STAGE_EXEC, ENOENT, "/opt/nonexistent_binary");
}

/* ERR-02 and ERR-03: the directory is blamed, with chdir's own errno. */
TEST(popen, chdir_failure_names_the_directory, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct failure f;
    int local = chdir("/some/nonexistent/directory") < 0 ? errno : 0;

    helper_opts(&o, av, NULL);
    o.cwd = spf_str_c("/some/nonexistent/directory");
    f = must_fail(&o);
    cr_expect_str_eq(f.e.raw, "OSError:2:noexec:chdir");
    expect(f, SPF_STAGE_CHDIR, local, "/some/nonexistent/directory");
}

/* ERR-04: a missing executable= is named, not argv[0]. */
TEST(popen, missing_executable_is_named, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];

    helper_opts(&o, av, NULL);
    o.executable = spf_str_c("/nonexistent/exe");
    expect(must_fail(&o), SPF_STAGE_EXEC, ENOENT, "/nonexistent/exe");
}

/* ERR-06, EXE-01: executable overrides argv[0]; argv[0] is kept. */
TEST(popen, executable_overrides_argv0, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];

    spf_popen_opts_init(&o);
    set_argv(&o, av, "nonexisting_i_hope", "exit", "47", NULL);
    o.executable = spf_str_c(helper());
    cr_expect_eq(run_ok(&o), 47);
    set_argv(&o, av, helper(), "exit", "0", NULL);
    o.executable = spf_str_c("nonexisting_i_hope");
    expect(must_fail(&o), SPF_STAGE_EXEC, ENOENT, "nonexisting_i_hope");
}

/* ERR-28, ERR-29, ENOTDIR: exec errnos, with no shell fallback. */
TEST(popen, exec_errnos, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    char path[512], sub[600];

    spf_popen_opts_init(&o);
    make_file(path, sizeof(path), "script", "exit 3\n", 0755);
    set_argv(&o, av, path, NULL);
    expect(must_fail(&o), SPF_STAGE_EXEC, ENOEXEC, path);
    make_file(path, sizeof(path), "plain", "x", 0644);
    set_argv(&o, av, path, NULL);
    expect(must_fail(&o), SPF_STAGE_EXEC, EACCES, path);
    snprintf(sub, sizeof(sub), "%s/sub", path);
    set_argv(&o, av, sub, NULL);
    expect(must_fail(&o), SPF_STAGE_EXEC, ENOTDIR, sub);
    set_argv(&o, av, tmp_dir(), NULL);
    expect(must_fail(&o), SPF_STAGE_EXEC, EACCES, tmp_dir());
}

static void path_env(struct spf_popen_opts *o, struct spf_env_var *env,
                     char *buf, size_t len, const char *a, const char *b)
{
    snprintf(buf, len, "%s:%s", a, b);
    env[0] = (struct spf_env_var){spf_str_c("PATH"), spf_str_c(buf)};
    o->env = env;
    o->envc = 1;
    o->env_replace = true;
}

/* ERR-25: the first errno other than ENOENT/ENOTDIR wins, whatever the
 * order; the bare name is reported. */
TEST(popen, path_search_reports_eacces_in_both_orders, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_env_var env[1];
    char path[512], dir[512], pathvar[1100];

    make_file(path, sizeof(path), "prog", "x", 0644);
    snprintf(dir, sizeof(dir), "%s", tmp_dir());
    spf_popen_opts_init(&o);
    set_argv(&o, av, "prog", NULL);
    path_env(&o, env, pathvar, sizeof(pathvar), dir, "/nonexistent");
    expect(must_fail(&o), SPF_STAGE_EXEC, EACCES, "prog");
    path_env(&o, env, pathvar, sizeof(pathvar), "/nonexistent", dir);
    expect(must_fail(&o), SPF_STAGE_EXEC, EACCES, "prog");
}

/* ERR-26: only ENOENT/ENOTDIR: the last candidate's errno. */
TEST(popen, path_search_reports_the_last_errno, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_env_var env[1];
    char file[512], pathvar[1100];

    make_file(file, sizeof(file), "regular", "x", 0644);
    spf_popen_opts_init(&o);
    set_argv(&o, av, "prog", NULL);
    path_env(&o, env, pathvar, sizeof(pathvar), "/nonexistent", file);
    expect(must_fail(&o), SPF_STAGE_EXEC, ENOTDIR, "prog");
    path_env(&o, env, pathvar, sizeof(pathvar), file, "/nonexistent");
    expect(must_fail(&o), SPF_STAGE_EXEC, ENOENT, "prog");
}

/* ERR-27: EACCES on one candidate does not stop the search. */
TEST(popen, path_search_goes_on_after_eacces, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_env_var env[1];
    char path[512], dir[512], pathvar[1100];

    make_file(path, sizeof(path), "true", "x", 0644);
    snprintf(dir, sizeof(dir), "%s", tmp_dir());
    spf_popen_opts_init(&o);
    set_argv(&o, av, "true", NULL);
    path_env(&o, env, pathvar, sizeof(pathvar), dir, "/bin");
    cr_expect_eq(run_ok(&o), 0);
}

/* ERR-30: a pre-exec step failure has no filename (3.13 rule). */
TEST(popen, bad_pass_fd_is_a_preexec_failure, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    int fds[] = {300};
    struct failure f;

    helper_opts(&o, av, NULL);
    o.pass_fds = fds;
    o.n_pass_fds = 1;
    o.cwd = spf_str_c("/tmp");
    f = must_fail(&o);
    cr_expect_str_eq(f.e.raw, "OSError:9:noexec");
    expect(f, SPF_STAGE_PREEXEC, EBADF, NULL);
}

/* ERR-31 and SET-11: setpgid failures. */
TEST(popen, setpgid_failures, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];

    helper_opts(&o, av, NULL);
    o.process_group = 1;
    expect(must_fail(&o), SPF_STAGE_PREEXEC, EPERM, NULL);
    o.process_group = 0;
    o.start_new_session = true;
    expect(must_fail(&o), SPF_STAGE_PREEXEC, EPERM, NULL);
}

static void expect_invalid(const struct spf_popen_opts *o, const char *msg)
{
    struct failure f = must_fail(o);

    cr_expect_eq(f.ret, -EINVAL);
    cr_expect_str_eq(f.e.message, msg);
    expect(f, SPF_STAGE_INVALID, EINVAL, NULL);
}

/* VAL-01, VAL-02, VAL-17, VAL-12: rejected before anything exists (the
 * leak check proves no fd and no child). */
TEST(popen, invalid_input_is_rejected_first)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_env_var env[1];

    helper_opts(&o, av, "x", NULL);
    av[1] = (struct spf_str){"pass#\0", 6};
    expect_invalid(&o, "embedded null byte in argv[1]");
    av[1] = spf_str_c("x");
    o.executable = (struct spf_str){"python\0", 7};
    expect_invalid(&o, "embedded null byte in executable");
    o.executable = (struct spf_str){0};
    o.env_replace = true;
    o.env = env;
    o.envc = 1;
    env[0] = (struct spf_env_var){{"FRUIT\0VEGETABLE", 15}, spf_str_c("x")};
    expect_invalid(&o, "embedded null byte in env[0]");
    env[0] = (struct spf_env_var){spf_str_c("FRUIT"), {"orange\0", 7}};
    expect_invalid(&o, "embedded null byte in env[0]");
    env[0] = (struct spf_env_var){spf_str_c("FRUIT=ORANGE"), spf_str_c("x")};
    expect_invalid(&o, "illegal environment variable name in env[0]");
    env[0] = (struct spf_env_var){spf_str_c("=x"), spf_str_c("x")};
    expect_invalid(&o, "illegal environment variable name in env[0]");
    o.env_replace = false;
    o.std[1].kind = SPF_STDIO_STDOUT;
    expect_invalid(&o, "STDOUT can only be used for stderr (stream 1)");
    o.std[1].kind = SPF_STDIO_PIPE;
    o.argc = 0;
    expect_invalid(&o, "argv is empty");
}

/* VAL-03: '=' inside a value is fine. */
TEST(popen, equals_in_a_value_is_legal, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_env_var env[] = {
        {spf_str_c("FRUIT"), spf_str_c("orange=lemon")}};
    struct spf_proc *p;
    struct spf_output out;

    helper_opts(&o, av, "env", NULL);
    o.env_replace = true;
    o.env = env;
    o.envc = 1;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 10 * SEC), 0);
    out = spf_proc_output(p, 1);
    cr_expect_str_eq(out.data, "FRUIT=orange=lemon\n");
    spf_proc_free(p);
}

/* ERR-13: 1024 failing spawns with pipes never leak (EMFILE would show,
 * and the leak check compares every fd). */
TEST(popen, repeated_failures_leak_nothing, .timeout = 60)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    /* Under valgrind every spawn is a traced fork: fewer, same check. */
    int n = getenv("SPF_UNDER_VALGRIND") ? 64 : 1024;

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/nonexistent/program", NULL);
    o.std[0].kind = o.std[1].kind = o.std[2].kind = SPF_STDIO_PIPE;
    for (int i = 0; i < n; i++) {
        struct failure f = must_fail(&o);

        cr_assert_eq(f.ret, -ENOENT, "spawn %d gave %d", i, f.ret);
        spf_spawn_error_clear(&f.e);
    }
}

/* ERR-12: pipes landing on fds 0 and 1 (the parent had them closed) are
 * still routed right, and nothing the child prints is taken for a
 * record.  Runs in a forked process that owns its std fds. */
static int closed_std_fds_child(void)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    struct spf_output out;
    int code = -1;

    close(0);
    close(1);
    helper_opts(&o, av, "out", "AssertionError:0:CLOEXEC failure.", NULL);
    if (spf_popen(&o, &p, NULL) < 0)
        return 10;
    if (spf_proc_communicate(p, NULL, 0, 10 * SEC) < 0)
        return 11;
    out = spf_proc_output(p, 1);
    spf_proc_wait(p, SPF_FOREVER, &code);
    if (strcmp(out.data, "AssertionError:0:CLOEXEC failure.") || code)
        return 12;
    spf_proc_free(p);
    return 0;
}

TEST(popen, works_with_std_fds_closed, .timeout = 10)
{
    pid_t pid = fork();
    int status;

    if (pid == 0)
        _exit(closed_std_fds_child());
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x",
              status);
}

#if SPF_WITH_FIU
static struct failure forged(const char *bytes, size_t len)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_str data = {bytes, len};
    struct failure f;

    helper_opts(&o, av, NULL);
    o.cwd = spf_str_c("/tmp");
    fiu_init(0);
    fiu_enable("spf/errpipe/forge", 1, &data, 0);
    f = must_fail(&o);
    fiu_disable("spf/errpipe/forge");
    return f;
}

/* ERR-07, ERR-08, ERR-33, ERR-34 through the core's libfiu point. */
TEST(popen, forged_records, .timeout = 10)
{
    static char big[60000];
    struct failure f = forged("OSError:15:", 11);

    expect(f, SPF_STAGE_EXEC, EISDIR, helper());
    f = forged("\xff\x00\xde\xad", 4);
    cr_expect_str_eq(f.e.message,
                     "Bad exception data from child: b'\\xff\\x00\\xde\\xad'");
    expect(f, SPF_STAGE_BAD_DATA, 0, NULL);
    f = forged("OSError:2", 9);
    cr_expect_eq(f.ret, -SPF_EBADRECORD);
    expect(f, SPF_STAGE_BAD_DATA, 0, NULL);
    memset(big, 'x', sizeof(big));
    f = forged(big, sizeof(big));
    cr_expect_eq(f.e.raw_len, sizeof(big));
    expect(f, SPF_STAGE_BAD_DATA, 0, NULL);
}
#endif

static int pipe_size(int fd)
{
    int n = fcntl(fd, F_GETPIPE_SZ);

    cr_assert_gt(n, 0);
    return n;
}

/* FD-22: pipesize sizes every new std pipe; the default leaves them. */
TEST(popen, pipesize_applies_to_each_pipe, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int def[2], size;

    cr_assert_eq(pipe2(def, O_CLOEXEC), 0);
    size = pipe_size(def[0]) / 2;
    helper_opts(&o, av, NULL);
    o.std[0].kind = SPF_STDIO_PIPE;
    o.pipesize = size;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    for (int s = 0; s < 3; s++)
        cr_expect_eq(pipe_size(spf_proc_pipe_fd(p, s)), size, "stream %d", s);
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 5 * SEC), 0);
    spf_proc_free(p);
    o.pipesize = -1;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    for (int s = 0; s < 3; s++)
        cr_expect_eq(pipe_size(spf_proc_pipe_fd(p, s)), pipe_size(def[0]));
    cr_expect_eq(spf_proc_communicate(p, NULL, 0, 5 * SEC), 0);
    spf_proc_free(p);
    close(def[0]);
    close(def[1]);
}

/* A size the kernel refuses fails the spawn before the child exists,
 * releasing the pipes made so far. */
TEST(popen, refused_pipesize_is_a_setup_failure, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct failure f;

    helper_opts(&o, av, NULL);
    o.pipesize = INT_MAX;
    f = must_fail(&o);
    cr_expect(f.e.err == ENOMEM || f.e.err == EPERM || f.e.err == EINVAL,
              "errno %d", f.e.err);
    cr_expect_eq(f.e.stage, SPF_STAGE_SETUP);
    spf_spawn_error_clear(&f.e);
}

/*
 * The two ways a failure comes back: through shared memory (the fast
 * path, clone3 with CLONE_VM) and through the errpipe (fork, taken when
 * vfork is not allowed).  Every field must be the same either way.
 */
static void expect_same_failure(struct spf_popen_opts *o)
{
    struct failure shared, piped;

    o->allow_vfork = true;
    shared = must_fail(o);
    o->allow_vfork = false;
    piped = must_fail(o);
    cr_expect_eq(shared.ret, piped.ret);
    cr_expect_eq(shared.e.stage, piped.e.stage);
    cr_expect_eq(shared.e.err, piped.e.err);
    cr_expect_eq(shared.e.child_status, piped.e.child_status);
    cr_expect_str_eq(shared.e.raw, piped.e.raw);
    cr_expect_str_eq(shared.e.message, piped.e.message);
    cr_expect_str_eq(shared.e.filename ? shared.e.filename : "(none)",
                     piped.e.filename ? piped.e.filename : "(none)");
    spf_spawn_error_clear(&shared.e);
    spf_spawn_error_clear(&piped.e);
}

TEST(popen, shared_memory_and_errpipe_report_alike, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    int fds[] = {300};
    char path[512];

    spf_popen_opts_init(&o);
    set_argv(&o, av, "/opt/nonexistent_binary", NULL);
    o.std[1].kind = SPF_STDIO_PIPE;
    expect_same_failure(&o);
    make_file(path, sizeof(path), "plain", "x", 0644);
    set_argv(&o, av, path, NULL);
    expect_same_failure(&o);
    helper_opts(&o, av, NULL);
    o.cwd = spf_str_c("/some/nonexistent/directory");
    expect_same_failure(&o);
    helper_opts(&o, av, NULL);
    o.pass_fds = fds;
    o.n_pass_fds = 1;
    expect_same_failure(&o);
    helper_opts(&o, av, NULL);
    o.process_group = 1;
    expect_same_failure(&o);
}

static char *helper_says(bool vfork, const char *cmd)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    char *text;

    helper_opts(&o, av, cmd, NULL);
    o.allow_vfork = vfork;
    cr_assert_eq(spf_popen(&o, &p, NULL), 0);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 10 * SEC), 0);
    text = strdup(spf_proc_output(p, 1).data);
    spf_proc_free(p);
    return text;
}

static void on_usr1(int sig)
{
}

/* SIG-*: a handled signal reaches the program at its default, an ignored
 * one stays ignored (SIGPIPE aside: restore_signals), the mask is the
 * caller's: the same whether the kernel cleared the handlers (clone3) or
 * the child reset them itself (fork). */
TEST(popen, signals_reach_the_child_alike_on_both_paths, .timeout = 10)
{
    struct sigaction sa = {.sa_handler = on_usr1}, old1, old2, old3;
    sigset_t hup, oldmask;
    const char *cmds[] = {"sigign", "sigblk"};

    sigaction(SIGUSR1, &sa, &old1);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &sa, &old2);
    sigaction(SIGPIPE, &sa, &old3);
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, &oldmask);
    for (int i = 0; i < 2; i++) {
        char *shared = helper_says(true, cmds[i]);
        char *forked = helper_says(false, cmds[i]);

        cr_expect_str_eq(shared, forked, "%s", cmds[i]);
        free(shared);
        free(forked);
    }
    {
        char *ign = helper_says(true, "sigign");
        unsigned long long mask = strtoull(ign, NULL, 16);

        cr_expect(mask & (1ULL << (SIGUSR2 - 1)), "SigIgn %s", ign);
        cr_expect(!(mask & (1ULL << (SIGUSR1 - 1))), "SigIgn %s", ign);
        cr_expect(!(mask & (1ULL << (SIGPIPE - 1))), "SigIgn %s", ign);
        free(ign);
    }
    pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
    sigaction(SIGUSR1, &old1, NULL);
    sigaction(SIGUSR2, &old2, NULL);
    sigaction(SIGPIPE, &old3, NULL);
}

/* Threads spawn at once, each on its own child stack, and exit (which
 * releases the stack); failures come back to the right thread. */
static void *spawner(void *arg)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    long bad = 0;

    for (int i = 0; i < 50; i++) {
        struct spf_proc *p;
        struct spf_spawn_error e;
        int code = -1;

        helper_opts(&o, av, "exit", "7", NULL);
        if (i % 2)
            o.cwd = spf_str_c("/nonexistent/dir");
        if (spf_popen(&o, &p, &e) < 0) {
            bad += !(i % 2) || e.stage != SPF_STAGE_CHDIR;
            spf_spawn_error_clear(&e);
            continue;
        }
        bad += i % 2 || spf_proc_wait(p, SPF_FOREVER, &code) < 0 || code != 7;
        spf_proc_free(p);
    }
    return (void *)bad;
}

TEST(popen, threads_spawn_side_by_side, .timeout = 30)
{
    pthread_t t[4];

    /* Under valgrind every spawn is a fork, and a fork child that fails
     * sees the blocks of the other threads' spawns as lost. */
    if (getenv("SPF_UNDER_VALGRIND"))
        cr_skip_test("valgrind: no clone3 path to test, fork children "
                     "of several threads report false leaks");

    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, spawner, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;

        cr_assert_eq(pthread_join(t[i], &bad), 0);
        cr_expect_eq((long)bad, 0, "thread %d: %ld bad spawns", i, (long)bad);
    }
}

/* close_fds' fallbacks, in a forked process whose fds are its own: every
 * fd >= 3 but the kept one is closed, the brute force finding its bound
 * in RLIMIT_NOFILE when given none. */
static int fallback_child(int how)
{
    int keep[1], top = fcntl(0, F_DUPFD, 40);

    keep[0] = fcntl(0, F_DUPFD, 20);
    if (top < 0 || keep[0] < 0 || fcntl(0, F_DUPFD, 5) < 0)
        return 10;
    spf__child_close_fds(keep, 1, how == 2 ? -1 : 64, how);
    for (int fd = 3; fd < 64; fd++)
        if ((fcntl(fd, F_GETFD) >= 0) != (fd == keep[0]))
            return 11;
    return 0;
}

TEST(popen, close_fds_fallbacks, .timeout = 10)
{
    for (int how = 1; how <= 2; how++) {
        pid_t pid = fork();
        int status;

        if (pid == 0)
            _exit(fallback_child(how));
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "how %d: status %#x", how, status);
    }
}
