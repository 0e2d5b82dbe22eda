/* The child's steps between fork and exec (reference 1.2, 3.6-3.12):
 * identity, signals, and the std fd plumbing in the hard cases. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/internal.h"
#include "common.h"

/* Run to completion; returns the exit code, stdout copied into out. */
static int run_out(const struct spf_popen_opts *o, char *out, size_t len)
{
    struct spf_proc *p;
    struct spf_spawn_error e;
    int code = INT_MIN, r = spf_popen(o, &p, &e);

    cr_assert_eq(r, 0, "spawn failed: %s %s", spf_stage_name(e.stage),
                 e.message);
    cr_assert_eq(spf_proc_communicate(p, NULL, 0, 10 * SEC), 0);
    cr_assert_eq(spf_proc_wait(p, SPF_FOREVER, &code), 0);
    snprintf(out, len, "%s", spf_proc_output(p, 1).data);
    spf_proc_free(p);
    return code;
}

static void skip_unless_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("changing the child's identity needs root");
}

/* SET-04, SET-05, SET-06: the child runs as the requested user, group and
 * supplementary groups. */
TEST(child, identity_is_switched, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    int64_t groups[] = {2, 1};
    char out[256];

    skip_unless_root();
    helper_opts(&o, av, "ids", NULL);
    o.user = 65534;
    o.group = 65534;
    o.set_extra_groups = true;
    o.extra_groups = groups;
    o.n_extra_groups = 2;
    cr_expect_eq(run_out(&o, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "65534 65534 1,2\n");
}

/* SET-06, gh-112334: an empty list still calls setgroups(0, NULL). */
TEST(child, empty_extra_groups_clear_them, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    int64_t one = 7;
    char out[256];

    skip_unless_root();
    helper_opts(&o, av, "ids", NULL);
    o.set_extra_groups = true;
    o.extra_groups = &one;
    o.n_extra_groups = 0;
    cr_expect_eq(run_out(&o, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "0 0 -\n");
}

/* CPython takes 2**32-1 and passes it on: set*id(-1, -1) changes
 * nothing.  Only the groups step then runs, with the kernel refusing
 * (gid_t)-1 as a group (observed: OSError 22, noexec). */
TEST(child, all_ones_ids_change_nothing, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    int64_t bad = UINT32_MAX;
    struct spf_spawn_error e;
    struct spf_proc *p;
    char out[256], self[64];

    helper_opts(&o, av, "ids", NULL);
    o.user = UINT32_MAX;
    o.group = UINT32_MAX;
    snprintf(self, sizeof(self), "%u %u ", (unsigned)getuid(),
             (unsigned)getgid());
    cr_expect_eq(run_out(&o, out, sizeof(out)), 0);
    cr_expect_eq(strncmp(out, self, strlen(self)), 0, "%s", out);
    o.set_extra_groups = true;
    o.extra_groups = &bad;
    o.n_extra_groups = 1;
    cr_assert_eq(spf_popen(&o, &p, &e), -EINVAL);
    cr_expect_eq(e.stage, SPF_STAGE_PREEXEC);
    cr_expect_str_eq(e.raw, "OSError:16:noexec");
    cr_expect_null(e.filename);
    spf_spawn_error_clear(&e);
}

/* ERR-21: after a successful switch, an exec the new user may not do is
 * EACCES naming the program. */
TEST(child, exec_denied_to_the_new_user_names_the_program, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_spawn_error e;
    struct spf_proc *p;
    char path[512];

    skip_unless_root();
    make_file(path, sizeof(path), "prog", "#!/bin/sh\n", 0755);
    spf_popen_opts_init(&o);
    set_argv(&o, av, path, NULL);
    o.user = 65534; /* the test folder is 0700, owned by root */
    cr_assert_eq(spf_popen(&o, &p, &e), -EACCES);
    cr_expect_eq(e.stage, SPF_STAGE_EXEC);
    cr_expect_str_eq(e.filename ? e.filename : "(none)", path);
    cr_expect_eq(e.child_status, 255);
    spf_spawn_error_clear(&e);
}

/* In a process that has dropped root: each set*id step refused. */
static int unprivileged_failures(void)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_spawn_error e;
    struct spf_proc *p;
    int64_t root = 0;
    const char *want[] = {"OSError:1:noexec", "OSError:1:noexec",
                          "OSError:1:noexec"};

    if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
        return 20;
    for (int step = 0; step < 3; step++) {
        helper_opts(&o, av, NULL);
        if (step == 0) {
            o.set_extra_groups = true;
            o.extra_groups = &root;
            o.n_extra_groups = 1;
        } else if (step == 1)
            o.group = 0;
        else
            o.user = 0;
        if (spf_popen(&o, &p, &e) != -EPERM)
            return 21 + step;
        if (e.stage != SPF_STAGE_PREEXEC || e.filename ||
            strcmp(e.raw, want[step]) || e.child_status != 255)
            return 24 + step;
        spf_spawn_error_clear(&e);
    }
    return 0;
}

/* ERR-21, ERR-22, ERR-23: setgroups, setregid and setreuid refused are
 * EPERM pre-exec failures without a filename. */
TEST(child, refused_identity_has_no_filename, .timeout = 10)
{
    pid_t pid;
    int status;

    skip_unless_root();
    /* memcheck follows the fork and, once the process is nobody, cannot
     * create its log for the spawned child, which then dies before it
     * can report: what we would see is valgrind's failure. */
    if (getenv("SPF_UNDER_VALGRIND"))
        cr_skip_test("under valgrind an unprivileged fork cannot log");
    pid = fork();
    if (pid == 0)
        _exit(unprivileged_failures());
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x",
              status);
}

/* VAL-10, VAL-11: ranges are checked before anything is created. */
TEST(child, identity_ranges_are_validated)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_spawn_error e;
    struct spf_proc *p = NULL;
    int64_t bad[] = {5, -1}, big = (int64_t)UINT32_MAX + 1;
    int64_t many[70000];

    helper_opts(&o, av, NULL);
    o.user = -2;
    cr_expect_eq(spf_popen(&o, &p, &e), -EINVAL);
    cr_expect_str_eq(e.message, "user cannot be negative, got -2");
    spf_spawn_error_clear(&e);
    o.user = -1;
    o.group = big;
    cr_expect_eq(spf_popen(&o, &p, &e), -EINVAL);
    cr_expect_str_eq(e.message, "group is greater than maximum");
    spf_spawn_error_clear(&e);
    o.group = -1;
    o.set_extra_groups = true;
    o.extra_groups = bad;
    o.n_extra_groups = 2;
    cr_expect_eq(spf_popen(&o, &p, &e), -EINVAL);
    cr_expect_str_eq(e.message, "extra_groups[1] cannot be negative, got -1");
    cr_expect_eq(e.stage, SPF_STAGE_INVALID);
    spf_spawn_error_clear(&e);
    memset(many, 0, sizeof(many));
    o.extra_groups = many;
    o.n_extra_groups = 70000;
    cr_expect_eq(spf_popen(&o, &p, &e), -EINVAL);
    cr_expect_str_eq(e.message, "too many extra_groups");
    spf_spawn_error_clear(&e);
    cr_expect_null(p);
}

/* SET-10: never a child sharing our memory with any identity option. */
TEST(child, identity_forces_fork)
{
    struct spf_popen_opts o;
    int64_t none = 0;

    spf_popen_opts_init(&o);
    cr_expect(spf__popen_shares_memory(&o));
    o.user = 0;
    cr_expect_not(spf__popen_shares_memory(&o));
    o.user = -1;
    o.group = 0;
    cr_expect_not(spf__popen_shares_memory(&o));
    o.group = -1;
    o.set_extra_groups = true;
    o.extra_groups = &none;
    cr_expect_not(spf__popen_shares_memory(&o));
    o.set_extra_groups = false;
    o.allow_vfork = false;
    cr_expect_not(spf__popen_shares_memory(&o));
}

/* SigIgn or SigBlk of /proc/self/status, as a number. */
static unsigned long long own_mask(const char *field)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    unsigned long long m = 0;
    size_t n = strlen(field);

    cr_assert(f);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            m = strtoull(line + n + 1, NULL, 16);
    fclose(f);
    return m;
}

#define BIT(sig) (1ULL << ((sig)-1))

static void expect_masks(bool restore, bool vfork, unsigned long long ign,
                         unsigned long long blk)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    char out[256], want[256];

    helper_opts(&o, av, "sigign", "sigblk", NULL);
    o.restore_signals = restore;
    o.allow_vfork = vfork;
    cr_expect_eq(run_out(&o, out, sizeof(out)), 0);
    snprintf(want, sizeof(want), "%016llx\n%016llx\n", ign, blk);
    cr_expect_str_eq(out, want, "restore %d vfork %d", restore, vfork);
}

/* SET-01, SET-12: restore_signals sets exactly SIGPIPE and SIGXFSZ back
 * to default (Linux has no SIGXFZ); other ignored signals stay ignored and
 * the blocked mask is inherited, on both spawn paths. */
TEST(child, restore_signals_resets_exactly_two, .timeout = 10)
{
    int ignored[] = {SIGPIPE, SIGXFSZ, SIGINT, SIGUSR2, SIGHUP};
    unsigned long long ign, blk;
    sigset_t usr1, old;

    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        signal(ignored[i], SIG_IGN);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, &old);
    ign = own_mask("SigIgn");
    blk = own_mask("SigBlk");
    cr_assert(ign & BIT(SIGINT) && blk & BIT(SIGUSR1));
    for (int vfork = 0; vfork < 2; vfork++) {
        expect_masks(true, vfork, ign & ~(BIT(SIGPIPE) | BIT(SIGXFSZ)), blk);
        expect_masks(false, vfork, ign, blk);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        signal(ignored[i], SIG_DFL);
}

static int lowest_free_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    cr_assert_geq(fd, 0);
    close(fd);
    return fd;
}

/* FD-18 and pass_fds naming the number one of our new pipes lands on:
 * CPython makes the passed fds inheritable first and closes the parent's
 * pipe ends second, so a passed number that became the parent's end is
 * gone in the child and one that became the child's end stays (observed
 * on 3.13 with the same fd numbers). */
TEST(child, pass_fds_on_a_pipe_number, .timeout = 10)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    char out[256], want[64];
    int f, pp[2];
    ssize_t n;

    helper_opts(&o, av, "fds", NULL);
    o.std[2].kind = SPF_STDIO_INHERIT;
    f = lowest_free_fd();
    o.pass_fds = &f;
    o.n_pass_fds = 1;
    cr_expect_eq(run_out(&o, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "0 1 2\n", "fd %d was the parent's end", f);

    o.std[0].kind = SPF_STDIO_PIPE;
    f = lowest_free_fd();
    cr_expect_eq(run_out(&o, out, sizeof(out)), 0);
    snprintf(want, sizeof(want), "0 1 2 %d\n", f);
    cr_expect_str_eq(out, want, "fd %d was the child's stdin end", f);

    /* A caller's fd both redirected and passed stays under its number. */
    cr_assert_eq(pipe2(pp, O_CLOEXEC), 0);
    o.std[0].kind = SPF_STDIO_DEVNULL;
    o.std[1] = (struct spf_stdio){SPF_STDIO_FD, pp[1]};
    o.pass_fds = &pp[1];
    cr_expect_eq(run_out(&o, out, sizeof(out)), 0);
    close(pp[1]);
    n = read(pp[0], out, sizeof(out) - 1);
    cr_assert_gt(n, 0);
    out[n] = '\0';
    snprintf(want, sizeof(want), "0 1 2 %d\n", pp[1]);
    cr_expect_str_eq(out, want);
    close(pp[0]);
}

/* Spawn with stdin from a copy of /dev/null made before closing, stdout
 * and stderr piped; 0 when both outputs arrive right. */
static int spawn_with_closed(int closed)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC), code = -1;

    if (in < 3)
        return 30;
    for (int fd = 0; fd < 3; fd++)
        if (closed & (1 << fd))
            close(fd);
    helper_opts(&o, av, "cat", "out", "apple", "err", "orange", NULL);
    o.std[0] = (struct spf_stdio){SPF_STDIO_FD, in};
    if (spf_popen(&o, &p, NULL) < 0)
        return 31;
    if (spf_proc_communicate(p, NULL, 0, 5 * SEC) < 0 ||
        spf_proc_wait(p, 0, &code) < 0 || code != 0)
        return 32;
    if (strcmp(spf_proc_output(p, 1).data, "apple") ||
        strcmp(spf_proc_output(p, 2).data, "orange"))
        return 33;
    spf_proc_free(p);
    return 0;
}

/* FD-09: any of the parent's fds 0, 1, 2 closed (all 7 combinations),
 * so that our pipes and errpipe land on those numbers. */
TEST(child, parent_with_std_fds_closed, .timeout = 20)
{
    for (int closed = 1; closed < 8; closed++) {
        pid_t pid = fork();
        int status;

        if (pid == 0)
            _exit(spawn_with_closed(closed));
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "closed %#x: status %#x", closed, status);
    }
}

/* The child of FD-11: fds 0, 1, 2 are three files; the spawn routes
 * stdin, stdout, stderr from the permutation perm.  The child copies
 * stdin to stdout and writes "E" to stderr. */
static int spawn_permuted(const int *perm)
{
    struct spf_popen_opts o;
    struct spf_str av[32];
    struct spf_proc *p;
    char path[64];
    int code = -1;

    for (int fd = 0; fd < 3; fd++) {
        int f;

        snprintf(path, sizeof(path), "%s/f%d", tmp_dir(), fd);
        f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (f < 0 || dup2(f, fd) < 0)
            return 40;
        if (f != fd)
            close(f);
    }
    if (write(perm[0], "IN", 2) != 2 || lseek(perm[0], 0, SEEK_SET) != 0)
        return 41;
    helper_opts(&o, av, "cat", "err", "E", NULL);
    for (int i = 0; i < 3; i++)
        o.std[i] = (struct spf_stdio){SPF_STDIO_FD, perm[i]};
    if (spf_popen(&o, &p, NULL) < 0 || spf_proc_wait(p, 5 * SEC, &code) < 0 ||
        code != 0)
        return 42;
    spf_proc_free(p);
    return 0;
}

static void read_file(int n, char *buf, size_t len)
{
    char path[300];
    FILE *f;
    size_t got;

    snprintf(path, sizeof(path), "%s/f%d", tmp_dir(), n);
    f = fopen(path, "re");
    cr_assert(f);
    got = fread(buf, 1, len - 1, f);
    buf[got] = '\0';
    fclose(f);
}

/* FD-10, FD-11: the parent's own 0, 1, 2 as sources in all six orders. */
TEST(child, std_fds_permuted, .timeout = 20)
{
    static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                    {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

    tmp_dir();
    for (int i = 0; i < 6; i++) {
        const int *perm = perms[i];
        char out[64], err[64];
        pid_t pid = fork();
        int status;

        if (pid == 0)
            _exit(spawn_permuted(perm));
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "perm %d%d%d: status %#x", perm[0], perm[1], perm[2], status);
        read_file(perm[1], out, sizeof(out));
        read_file(perm[2], err, sizeof(err));
        cr_expect_str_eq(out, "IN", "perm %d%d%d", perm[0], perm[1], perm[2]);
        cr_expect_str_eq(err, "E", "perm %d%d%d", perm[0], perm[1], perm[2]);
    }
}
