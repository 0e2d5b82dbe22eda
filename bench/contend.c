/*
 * The spawn contenders of the benchmark.  Each creates its pipes, spawns
 * the target with the child's ends as its standard streams, closes the
 * child's ends, waits for the exit and closes its own ends: the same work
 * for every contender, done its own way.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <spawnfault/spawn.h>

#include "contend.h"

extern char **environ;

static const char *const names[C__COUNT] = {
    [C_RAW] = "raw vfork+dup2+exec",
    [C_SPF] = "spawnfault spf_popen",
    [C_POSIX] = "glibc posix_spawn",
    [C_FORK] = "fork+dup2+exec",
    [C_PROCFD] = "raw, close via /proc/self/fd",
};

const char *contender_name(enum contender c)
{
    return names[c];
}

int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* pipes[i] is {read end, write end}; the child's end of stream i is the
 * read end for stdin and the write end otherwise. */
struct pipes {
    int n;
    int fd[3][2];
};

static int pipes_open(struct pipes *p, int n)
{
    p->n = n;
    memset(p->fd, -1, sizeof(p->fd));
    for (int i = 0; i < n; i++)
        if (pipe2(p->fd[i], O_CLOEXEC) < 0)
            return -errno;
    return 0;
}

static int child_end(const struct pipes *p, int i)
{
    /* With one pipe, it is stdout's. */
    return p->n == 1 ? p->fd[0][1] : p->fd[i][i == 0 ? 0 : 1];
}

static int target_fd(const struct pipes *p, int i)
{
    return p->n == 1 ? 1 : i;
}

static void pipes_close(struct pipes *p, bool child_side)
{
    for (int i = 0; i < p->n; i++) {
        int end = child_end(p, i);

        for (int j = 0; j < 2; j++) {
            if (p->fd[i][j] < 0 || (p->fd[i][j] == end) != child_side)
                continue;
            close(p->fd[i][j]);
            p->fd[i][j] = -1;
        }
    }
}

static int reap(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* Closing through /proc/self/fd, the way close_fds is done without
 * close_range: one getdents64 pass, one close per fd. */
static void close_via_proc(void)
{
    char buf[4096];
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long n;

    if (dir < 0)
        return;
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            const char *name = buf + off + 19; /* d_name in dirent64 */
            int fd = 0;

            off += *(unsigned short *)(buf + off + 16); /* d_reclen */
            if (*name < '0' || *name > '9')
                continue;
            while (*name >= '0' && *name <= '9')
                fd = fd * 10 + (*name++ - '0');
            if (fd > 2 && fd != dir)
                close(fd);
        }
    }
    close(dir);
}

static int by_hand(enum contender c, const char *path, struct pipes *p)
{
    char *argv[] = {(char *)path, NULL};
    pid_t pid = c == C_FORK ? fork() : vfork();

    if (pid == 0) {
        for (int i = 0; i < p->n; i++)
            dup2(child_end(p, i), target_fd(p, i));
        if (c == C_PROCFD)
            close_via_proc();
        execve(path, argv, environ);
        _exit(127);
    }
    if (pid < 0)
        return -errno;
    pipes_close(p, true);
    return reap(pid);
}

static int by_posix_spawn(const char *path, struct pipes *p)
{
    char *argv[] = {(char *)path, NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int r;

    posix_spawn_file_actions_init(&fa);
    for (int i = 0; i < p->n; i++)
        posix_spawn_file_actions_adddup2(&fa, child_end(p, i), target_fd(p, i));
    r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return -r;
    pipes_close(p, true);
    return reap(pid);
}

static int by_spf(const char *path, int npipes)
{
    struct spf_str argv[1] = {spf_str_c(path)};
    struct spf_popen_opts o;
    struct spf_proc *proc;
    int r, code = -1;

    spf_popen_opts_init(&o);
    o.argv = argv;
    o.argc = 1;
    for (int i = 0; i < 3; i++)
        if (npipes == 3 || (npipes == 1 && i == 1))
            o.std[i].kind = SPF_STDIO_PIPE;
    if ((r = spf_popen(&o, &proc, NULL)) < 0)
        return r;
    r = spf_proc_wait(proc, SPF_FOREVER, &code);
    spf_proc_free(proc);
    if (r < 0)
        return r;
    return code == 0 ? 0 : -ECHILD;
}

int contend_spawn(enum contender c, const char *path, int npipes)
{
    struct pipes p;
    int r;

    if (c == C_SPF)
        return by_spf(path, npipes);
    if ((r = pipes_open(&p, npipes)) < 0)
        return r;
    r = c == C_POSIX ? by_posix_spawn(path, &p) : by_hand(c, path, &p);
    pipes_close(&p, true);
    pipes_close(&p, false);
    return r;
}

int64_t contend_timed(enum contender c, const char *path, int npipes)
{
    int64_t t0 = mono_ns();
    int r = contend_spawn(c, path, npipes);

    return r < 0 ? r : mono_ns() - t0;
}
