/* The census: fds and processes, from /proc. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../harness/census.h"

Test(census, a_new_fd_is_a_leak)
{
    struct spf__fdset before, after;
    char **v = NULL;
    size_t n = 0;
    int fd;

    cr_assert_eq(spf__fds_open(&before), 0);
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert_eq(spf__fds_open(&after), 0);
    cr_assert_eq(spf__fds_leaked(&before, &after, &v, &n), 0);
    cr_assert_eq(n, 1);
    cr_expect(strstr(v[0], "-> /dev/null"), "%s", v[0]);
    free(v[0]);
    free(v);
    close(fd);
    spf__fdset_free(&before);
    spf__fdset_free(&after);
}

Test(census, same_fds_are_no_leak)
{
    struct spf__fdset a, b;
    char **v = NULL;
    size_t n = 0;

    cr_assert_eq(spf__fds_open(&a), 0);
    cr_assert_eq(spf__fds_open(&b), 0);
    cr_assert_eq(spf__fds_leaked(&a, &b, &v, &n), 0);
    cr_expect_eq(n, 0);
    spf__fdset_free(&a);
    spf__fdset_free(&b);
}

Test(census, descendants_include_grandchildren, .timeout = 10)
{
    int p[2];
    pid_t child, grand = 0, *pids;
    size_t n;
    bool saw_child = false, saw_grand = false;

    cr_assert_eq(pipe(p), 0);
    child = fork();
    if (child == 0) {
        pid_t g = fork();

        if (g == 0) {
            pause();
            _exit(0);
        }
        write(p[1], &g, sizeof(g));
        pause();
        _exit(0);
    }
    cr_assert_eq(read(p[0], &grand, sizeof(grand)), sizeof(grand));
    cr_assert_eq(spf__descendants(getpid(), &pids, &n), 0);
    for (size_t i = 0; i < n; i++) {
        saw_child |= pids[i] == child;
        saw_grand |= pids[i] == grand;
    }
    free(pids);
    cr_expect(saw_child && saw_grand);
    cr_expect(spf__proc_state(child) == 'S' || spf__proc_state(child) == 'R');
    kill(grand, SIGKILL);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    cr_expect_eq(spf__proc_state(child), 0, "reaped: gone from /proc");
    close(p[0]);
    close(p[1]);
}

Test(census, describe_names_the_command)
{
    char comm[64] = "", want[96], *d = spf__proc_describe(getpid());
    FILE *f = fopen("/proc/self/comm", "r");

    /* The kernel's name for us (under valgrind, valgrind's tool). */
    cr_assert(f && fgets(comm, sizeof(comm), f));
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    snprintf(want, sizeof(want), "pid %d (%s) state R", (int)getpid(), comm);
    cr_assert(d);
    cr_expect_str_eq(d, want);
    free(d);
}
