/*
 * The probes of test_matrix.c (see probe.h).  Everything around the probed
 * call (making its pipe, checking its effect, reporting) uses raw system
 * calls: the preload never counts them, and a supervisor counts them only
 * when they belong to the probed point, after the probed call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

extern char **environ;

static int out_fd = 1;

/* The bytes a read or write probe moves. */
static const char payload[] = "0123456789";
#define PAYLOAD_LEN 10

struct result {
    long ret;  /* 0, a byte count, or -1 */
    int err;   /* errno (posix_spawn: its returned code) */
    long done; /* whether the call took effect; -1: not seen */
};

__attribute__((format(printf, 1, 2))) static void emit(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (len > 0 && (size_t)len < sizeof(line))
        syscall(SYS_write, out_fd, line, (size_t)len);
}

/* Async-signal-safe: the line is composed by hand. */
static void on_signal(int sig)
{
    char line[] = "handled 00\n";
    int saved = errno;

    line[8] = (char)('0' + sig / 10);
    line[9] = (char)('0' + sig % 10);
    syscall(SYS_write, out_fd, line, sizeof(line) - 1);
    errno = saved;
}

static int raw_pipe(int fds[2])
{
    return (int)syscall(SYS_pipe2, fds, O_CLOEXEC);
}

static void raw_close_pair(const int fds[2])
{
    syscall(SYS_close, fds[0]);
    syscall(SYS_close, fds[1]);
}

static long bytes_in(int fd)
{
    int n = -1;

    return syscall(SYS_ioctl, fd, FIONREAD, &n) == 0 ? n : -1;
}

/* Reads errno: call it right after the probed call. */
static void set(struct result *r, long ret, long done)
{
    r->err = ret < 0 ? errno : 0;
    r->ret = ret < 0 ? -1 : ret;
    r->done = done;
}

static void probe_exec(struct result *r)
{
    char *argv[] = {(char *)"/bin/false", NULL};

    set(r, execve(argv[0], argv, environ), -1);
}

/* posix_spawn reports its error as its result; done is the exit status of
 * the program it started (/bin/false: 1). */
static void probe_spawn(struct result *r)
{
    char *argv[] = {(char *)"/bin/false", NULL};
    int status = -1;
    pid_t pid;
    int code = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);

    if (code == 0 && syscall(SYS_wait4, pid, &status, 0, NULL) == pid)
        status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    r->ret = code == 0 ? 0 : -1;
    r->err = code;
    r->done = code == 0 ? status : -1;
}

static void probe_fork(struct result *r)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    set(r, pid < 0 ? -1 : 0, -1);
    if (pid > 0)
        syscall(SYS_wait4, pid, NULL, 0, NULL);
}

static void probe_fds(const char *name, struct result *r)
{
    int fds[2] = {-1, -1}, p[2];
    long ret;

    if (raw_pipe(p) < 0) {
        set(r, -1, -1);
        return;
    }
    if (strcmp(name, "pipe") == 0) {
        ret = pipe2(fds, O_CLOEXEC);
        set(r, ret, -1);
        if (ret == 0)
            raw_close_pair(fds);
    } else if (strcmp(name, "dup") == 0) {
        ret = dup(p[0]);
        set(r, ret < 0 ? -1 : 0, -1);
        if (ret >= 0)
            syscall(SYS_close, ret);
    } else {
        set(r, close(p[0]), -1);
        r->done = syscall(SYS_fcntl, p[0], F_GETFD) < 0;
    }
    raw_close_pair(p);
}

static void probe_io(const char *name, struct result *r)
{
    char buf[PAYLOAD_LEN];
    struct pollfd pfd;
    int p[2];

    if (raw_pipe(p) < 0) {
        set(r, -1, -1);
        return;
    }
    if (strcmp(name, "write") == 0) {
        set(r, write(p[1], payload, PAYLOAD_LEN), -1);
        r->done = bytes_in(p[0]);
    } else if (strcmp(name, "read") == 0) {
        syscall(SYS_write, p[1], payload, (size_t)PAYLOAD_LEN);
        set(r, read(p[0], buf, PAYLOAD_LEN), -1);
        r->done = bytes_in(p[0]);
    } else {
        syscall(SYS_write, p[1], payload, (size_t)1);
        pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
        set(r, poll(&pfd, 1, 0), -1);
    }
    raw_close_pair(p);
}

/* done: the probe's waitpid reaped the child (it is gone afterwards). */
static void probe_wait(struct result *r)
{
    pid_t pid = fork();
    int status;
    long ret;

    if (pid == 0)
        _exit(0);
    if (pid < 0) {
        set(r, -1, -1);
        return;
    }
    ret = waitpid(pid, &status, 0);
    set(r, ret == pid ? 0 : -1, -1);
    errno = r->err;
    r->done = syscall(SYS_wait4, pid, NULL, 0, NULL) < 0 && errno == ECHILD;
}

static void probe_proc(const char *name, struct result *r)
{
    char cwd[16] = "";
    long ret;

    if (strcmp(name, "kill") == 0) {
        set(r, kill(getpid(), 0), -1);
    } else if (strcmp(name, "chdir") == 0) {
        set(r, chdir("/"), -1);
        r->done =
            syscall(SYS_getcwd, cwd, sizeof(cwd)) > 0 && strcmp(cwd, "/") == 0;
    } else if (strcmp(name, "setsid") == 0) {
        /* Its success value is the caller's pid: anything else is 99. */
        ret = setsid();
        set(r, ret < 0 ? -1 : ret == getpid() ? 0 : 99, -1);
        r->done = getsid(0) == getpid();
    } else {
        set(r, setpgid(0, 0), -1);
        r->done = getpgid(0) == getpid();
    }
}

/* done: SIGUSR2 is blocked afterwards. */
static void probe_mask(struct result *r)
{
    sigset_t set_usr2, old;
    uint64_t now = 0;
    long ret;

    sigemptyset(&set_usr2);
    sigaddset(&set_usr2, SIGUSR2);
    sigfillset(&old);
    ret = sigprocmask(SIG_BLOCK, &set_usr2, &old);
    set(r, ret, -1);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &now, sizeof(now));
    r->done = (now >> (SIGUSR2 - 1)) & 1;
    /* The old mask must have been filled in: nothing was blocked. */
    if (ret == 0 && sigismember(&old, SIGUSR2))
        r->done = 99;
}

static int probe_call(const char *name, struct result *r)
{
    if (strcmp(name, "exec") == 0)
        probe_exec(r);
    else if (strcmp(name, "spawn") == 0)
        probe_spawn(r);
    else if (strcmp(name, "fork") == 0)
        probe_fork(r);
    else if (!strcmp(name, "pipe") || !strcmp(name, "dup") ||
             !strcmp(name, "close"))
        probe_fds(name, r);
    else if (!strcmp(name, "read") || !strcmp(name, "write") ||
             !strcmp(name, "poll"))
        probe_io(name, r);
    else if (strcmp(name, "wait") == 0)
        probe_wait(r);
    else if (!strcmp(name, "kill") || !strcmp(name, "chdir") ||
             !strcmp(name, "setsid") || !strcmp(name, "setpgid"))
        probe_proc(name, r);
    else if (strcmp(name, "mask") == 0)
        probe_mask(r);
    else
        return -1;
    return 0;
}

static bool known(const char *name)
{
    static const char *const names[] = {
        "exec", "spawn", "fork", "pipe",  "dup",    "close",   "read", "write",
        "poll", "wait",  "kill", "chdir", "setsid", "setpgid", "mask",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static _Noreturn void child_main(const char *name)
{
    struct result r = {0, 0, -1};

    if (probe_call(name, &r) == 0)
        emit("call %s ret=%ld errno=%d done=%ld\n", name, r.ret, r.err, r.done);
    _exit(0);
}

static int install_handler(const char *opts)
{
    struct sigaction sa = {.sa_handler = on_signal};

    sigemptyset(&sa.sa_mask);
    if (strchr(opts, 'r') != NULL)
        sa.sa_flags = SA_RESTART;
    else if (strchr(opts, 'h') == NULL)
        return 0;
    return sigaction(SIGUSR1, &sa, NULL);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L +
           (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Reaps the child with the raw wait4, continuing it at each stop. */
static void watch(pid_t pid)
{
    int status = 0;
    long rc;

    for (;;) {
        rc = syscall(SYS_wait4, pid, &status, WUNTRACED, NULL);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 || !WIFSTOPPED(status))
            break;
        emit("stopped %d\n", WSTOPSIG(status));
        syscall(SYS_kill, pid, SIGCONT);
    }
    if (rc < 0)
        emit("status lost errno=%d\n", errno);
    else if (WIFEXITED(status))
        emit("status exit=%d\n", WEXITSTATUS(status));
    else
        emit("status signal=%d\n", WTERMSIG(status));
}

int probe_run(const char *name, const char *opts, int out, bool raw_fork)
{
    struct timespec t0;
    pid_t pid;

    out_fd = out;
    if (!known(name) || install_handler(opts) < 0)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = raw_fork ? (pid_t)syscall(SYS_fork) : fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        child_main(name);
    watch(pid);
    emit("ms %ld\n", ms_since(&t0));
    return 0;
}
