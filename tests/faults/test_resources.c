/*
 * Tests of faults/resources.c: a pids cgroup fails fork and posix_spawn
 * with the kernel's own EAGAIN, for the tree it holds only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <spawnfault/resources.h>

extern char **environ;

TestSuite(resources, .timeout = 30);

static struct spf_pids_limit *make_limit(unsigned max)
{
    struct spf_pids_limit *l = NULL;
    char err[512] = "";
    int r = spf_pids_limit_create(max, &l, err, sizeof(err));

    if (r == -ENOENT || r == -EACCES || r == -EPERM || r == -EROFS)
        cr_skip_test("no pids cgroup can be made here (%s): run as root on "
                     "a system with the pids controller",
                     err);
    cr_assert_eq(r, 0, "%s", err);
    return l;
}

/* A child that waits to be killed, and dies with its parent if a failed
 * test never gets to it: nothing outlives the test. */
static _Noreturn void pause_for_good(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    pause();
    _exit(0);
}

/* In a child inside a limit of 3: itself and two more fit, the next
 * fork and posix_spawn fail with EAGAIN.  Exits with a code that tells
 * which step went wrong. */
static int try_forks(void)
{
    pid_t kids[2];
    pid_t pid;
    char *argv[] = {"true", NULL};

    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            pause_for_good();
        if (kids[i] < 0)
            return 10 + i;
    }
    pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid >= 0 || errno != EAGAIN)
        return 20;
    if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ) != EAGAIN)
        return 21;
    for (int i = 0; i < 2; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    /* Room again: the limit counts live processes. */
    pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0 || waitpid(pid, NULL, 0) != pid)
        return 30;
    return 0;
}

/* Held where memcheck sees it from the forked child too, which exits
 * without freeing its copy. */
static struct spf_pids_limit *volatile held;

Test(resources, pids_limit_fails_fork_with_the_kernel_s_eagain)
{
    struct spf_pids_limit *l = held = make_limit(4);
    int status, go[2];
    pid_t pid;
    char c;

    /* The test process counts while inside: 4 = itself and the child.
     * The child starts once the limit is 3 and the test process out. */
    cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
    cr_assert_eq(spf_pids_limit_enter(l), 0);
    pid = fork();
    if (pid == 0) {
        close(go[1]);
        _exit(read(go[0], &c, 1) == 1 ? try_forks() : 40);
    }
    close(go[0]);
    cr_assert_eq(spf_pids_limit_leave(l), 0);
    cr_assert_gt(pid, 0);
    cr_assert_eq(spf_pids_limit_set(l, 3), 0);
    cr_assert_eq(write(go[1], "g", 1), 1);
    close(go[1]);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x",
              status);
    cr_assert_eq(spf_pids_limit_count(l), 0);
    held = NULL;
    cr_assert_eq(spf_pids_limit_destroy(l), 0);
}

Test(resources, destroy_kills_what_is_left)
{
    struct spf_pids_limit *l = make_limit(8);
    pid_t pid;
    int status;

    cr_assert_eq(spf_pids_limit_enter(l), 0);
    pid = fork();
    if (pid == 0)
        pause_for_good();
    cr_assert_eq(spf_pids_limit_leave(l), 0);
    cr_assert_eq(spf_pids_limit_count(l), 1);
    cr_assert_eq(spf_pids_limit_destroy(l), 0);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

Test(resources, destroys_an_empty_limit_and_null)
{
    struct spf_pids_limit *l = make_limit(1);

    cr_assert_eq(spf_pids_limit_destroy(l), 0);
    cr_assert_eq(spf_pids_limit_destroy(NULL), 0);
}

/* The pid of a process that has come and gone. */
static pid_t dead_pid(void)
{
    int status;
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    cr_assert_gt(pid, 0);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return pid;
}

/* A launcher killed by SIGKILL leaves its cgroup: the next one removes
 * it, and leaves alone a live launcher's and a name that is not ours. */
Test(resources, create_sweeps_cgroups_of_dead_launchers)
{
    struct spf_pids_limit *l = make_limit(4), *next;
    char parent[PATH_MAX], stale[PATH_MAX + 64], live[PATH_MAX + 64],
        other[PATH_MAX + 64];
    const char *slash;
    struct stat st;

    slash = strrchr(spf_pids_limit_dir(l), '/');
    cr_assert_not_null(slash);
    snprintf(parent, sizeof(parent), "%.*s",
             (int)(slash - spf_pids_limit_dir(l)), spf_pids_limit_dir(l));
    snprintf(stale, sizeof(stale), "%s/spawnfault-%ld-1-0", parent,
             (long)dead_pid());
    snprintf(live, sizeof(live), "%s/spawnfault-%ld-2-0", parent,
             (long)getpid());
    snprintf(other, sizeof(other), "%s/spawnfault-%ld-3-0x", parent,
             (long)dead_pid());
    cr_assert_eq(mkdir(stale, 0755), 0, "%s: %s", stale, strerror(errno));
    cr_assert_eq(mkdir(live, 0755), 0, "%s: %s", live, strerror(errno));
    cr_assert_eq(mkdir(other, 0755), 0, "%s: %s", other, strerror(errno));
    next = make_limit(4);
    cr_expect_neq(stat(stale, &st), 0, "%s was left", stale);
    cr_expect_eq(stat(live, &st), 0, "%s was removed", live);
    cr_expect_eq(stat(other, &st), 0, "%s was removed", other);
    rmdir(stale);
    rmdir(live);
    rmdir(other);
    cr_assert_eq(spf_pids_limit_destroy(next), 0);
    cr_assert_eq(spf_pids_limit_destroy(l), 0);
}
