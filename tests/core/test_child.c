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
    pid = fork();
    if (pid == 0)
        _exit(unprivileged_failures());
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "child status %#x", status);
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
