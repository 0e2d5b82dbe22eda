/*
 * The program the seccomp tests run under the supervisor, built three
 * ways: dynamic, static with glibc, static with musl.  It makes the calls
 * a test names and writes what they returned, as text, to OUTFD:
 *
 *   seccomp-target OUTFD hello            "hello PID"
 *   seccomp-target OUTFD exec PATH        "exec errno=E" (E: 0 never seen)
 *   seccomp-target OUTFD spawn PATH       "spawn=R status=S"
 *   seccomp-target OUTFD system CMD       "system=STATUS"
 *   seccomp-target OUTFD pipes N K        N children one after the other,
 *                                         each making K pipe2 calls:
 *                                         "child I: R1 R2 ..." (0 or errno)
 *   seccomp-target OUTFD copy IN OUT      IN to fd OUT, read and write
 *                                         loops that take short transfers
 *   seccomp-target OUTFD delay            a child polls 10 times while the
 *                                         parent polls once: their times
 *   seccomp-target OUTFD loop N           N calls of poll(NULL, 0, 0):
 *                                         "ns=T" per call
 *   seccomp-target OUTFD flow N           N bytes through a pipe to a
 *                                         child that starts reading 100 ms
 *                                         late: "got=G sum=S" from the
 *                                         child, then "sent=N"
 *   seccomp-target OUTFD signal           poll with a SIGUSR1 handler
 *                                         (no SA_RESTART): "poll=R errno=E
 *                                         handled=H"
 *   seccomp-target OUTFD threads          two threads, one after the
 *                                         other, two pipe2 calls each
 *                                         ("thread I: R1 R2"), then a fork
 *                                         in the first ("fork=R")
 *   seccomp-target OUTFD probe NAME [OPTS] one probe of test_matrix.c
 *                                         (probe.h), in a child made by
 *                                         the raw fork system call
 *
 * Only POSIX and a few Linux calls, so that musl builds it too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

extern char **environ;

static int out = -1;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0 && write(out, line, (size_t)n) != n)
        _exit(3);
}

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int do_exec(const char *path)
{
    char *argv[] = {(char *)path, NULL};

    execve(path, argv, environ);
    say("exec errno=%d\n", errno);
    return 0;
}

static int do_spawn(const char *path)
{
    char *argv[] = {(char *)path, NULL};
    pid_t pid;
    int status = -1;
    int r = posix_spawn(&pid, path, NULL, NULL, argv, environ);

    if (r == 0 && waitpid(pid, &status, 0) != pid)
        return 4;
    say("spawn=%d status=%d\n", r, status);
    return 0;
}

/* Child i makes k pipe2 calls and writes the errno of each (0: it
 * worked).  The children run one after the other. */
static int do_pipes(int n, int k)
{
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        int status;

        if (pid < 0)
            return 5;
        if (pid == 0) {
            char line[256];
            int len = snprintf(line, sizeof(line), "child %d:", i);

            for (int j = 0; j < k; j++) {
                int fds[2];
                int r = pipe2(fds, O_CLOEXEC) < 0 ? errno : 0;

                if (r == 0) {
                    close(fds[0]);
                    close(fds[1]);
                }
                len +=
                    snprintf(line + len, sizeof(line) - (size_t)len, " %d", r);
            }
            say("%s\n", line);
            _exit(0);
        }
        if (waitpid(pid, &status, 0) != pid || status != 0)
            return 6;
    }
    return 0;
}

/* A correct copy: every short read and short write is carried on. */
static int do_copy(const char *in_path, int to)
{
    char buf[8192];
    int in = open(in_path, O_RDONLY | O_CLOEXEC);
    long reads = 0, writes = 0;
    ssize_t n;

    if (in < 0)
        return 7;
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        reads++;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(to, buf + done, (size_t)(n - done));

            if (w <= 0)
                return 8;
            writes++;
            done += w;
        }
    }
    close(in);
    close(to);
    say("reads=%ld writes=%ld\n", reads, writes);
    return n < 0 ? 9 : 0;
}

static long long timed_polls(int n)
{
    long long t0 = now_ns();

    for (int i = 0; i < n; i++)
        poll(NULL, 0, 0);
    return now_ns() - t0;
}

static int do_delay(void)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return 10;
    if (pid == 0) {
        say("child_ms=%lld\n", timed_polls(10) / 1000000);
        _exit(0);
    }
    say("parent_ms=%lld\n", timed_polls(1) / 1000000);
    if (waitpid(pid, &status, 0) != pid || status != 0)
        return 11;
    return 0;
}

static void *pipes_thread(void *arg)
{
    int r[2];

    for (int j = 0; j < 2; j++) {
        int fds[2];

        r[j] = pipe2(fds, O_CLOEXEC) < 0 ? errno : 0;
        if (r[j] == 0) {
            close(fds[0]);
            close(fds[1]);
        }
    }
    say("thread %d: %d %d\n", (int)(long)arg, r[0], r[1]);
    return NULL;
}

static int do_threads(void)
{
    int status;
    pid_t pid;

    for (long i = 0; i < 2; i++) {
        pthread_t t;

        if (pthread_create(&t, NULL, pipes_thread, (void *)i) != 0 ||
            pthread_join(t, NULL) != 0)
            return 12;
    }
    pid = fork();
    if (pid == 0)
        _exit(0);
    say("fork=%d\n", pid < 0 ? errno : 0);
    if (pid > 0 && (waitpid(pid, &status, 0) != pid || status != 0))
        return 13;
    return 0;
}

static unsigned char pattern(long i)
{
    return (unsigned char)(i * 31 + i / 4093);
}

static void drain(int fd)
{
    unsigned char buf[4096];
    unsigned long sum = 0;
    long got = 0;
    ssize_t n;
    struct timespec late = {.tv_nsec = 100 * 1000 * 1000};

    nanosleep(&late, NULL);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        for (ssize_t i = 0; i < n; i++, got++)
            sum = sum * 33 + (buf[i] ^ pattern(got));
    say("got=%ld sum=%lu\n", got, sum);
}

/* Every byte goes through, however short the writes. */
static int do_flow(long total)
{
    unsigned char buf[65536];
    int p[2], status;
    long sent = 0;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
        return 15;
    if (pid == 0) {
        close(p[1]);
        drain(p[0]);
        _exit(0);
    }
    close(p[0]);
    while (sent < total) {
        size_t n = total - sent < (long)sizeof(buf) ? (size_t)(total - sent)
                                                    : sizeof(buf);
        ssize_t w;

        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(sent + (long)i);
        w = write(p[1], buf, n);
        if (w <= 0)
            return 16;
        sent += w;
    }
    close(p[1]);
    if (waitpid(pid, &status, 0) != pid || status != 0)
        return 17;
    say("sent=%ld\n", sent);
    return 0;
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static int do_signal(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    int r, err;

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        return 14;
    r = poll(NULL, 0, 0);
    err = r < 0 ? errno : 0;
    say("poll=%d errno=%d handled=%d\n", r, err, (int)handled);
    return 0;
}

/* The points beyond spawning: each call's result, 0 or its errno. */
static int do_points(void)
{
    sigset_t set, old;
    int fd = dup(out);
    int dup_err = fd < 0 ? errno : 0;
    int r;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigemptyset(&old);
    r = close(fd);
    say("dup=%d close=%d", dup_err, r < 0 ? errno : 0);
    r = kill(getpid(), 0);
    say(" kill=%d", r < 0 ? errno : 0);
    r = setpgid(0, 0);
    say(" setpgid=%d", r < 0 ? errno : 0);
    r = sigprocmask(SIG_BLOCK, &set, &old);
    say(" mask=%d", r);
    sigprocmask(SIG_BLOCK, NULL, &set);
    say(" usr2=%s", sigismember(&set, SIGUSR2) ? "blocked" : "open");
    r = (int)setsid();
    say(" setsid=%s\n", r == getpid() ? "self" : r < 0 ? strerror(errno) : "?");
    return 0;
}

/* A child stopped by the stop action: seen stopped, continued, reaped. */
static int do_stopchild(void)
{
    int fds[2], status;
    pid_t pid = fork();

    if (pid == 0)
        _exit(pipe(fds) == 0 ? 0 : 1);
    if (waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status)) {
        say("stopped=%d", WSTOPSIG(status));
        kill(pid, SIGCONT);
        waitpid(pid, &status, 0);
    }
    say(" status=0x%x\n", status);
    return 0;
}

/*
 * The child comes from the raw fork system call: musl's fork() sets the
 * signal mask in the child, calls the supervisor would count first.  The
 * probe allocates nothing, and ends with _exit: LeakSanitizer's check at
 * exit runs in a clone of the process (not a thread), a child that the
 * probe's "@child" rules would stop, kill or fail.
 */
static _Noreturn void do_probe(const char *name, const char *opts)
{
    _exit(probe_run(name, opts, out, true) == 0 ? 0 : 2);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    out = atoi(argv[1]);
    if (!strcmp(argv[2], "hello"))
        say("hello %d\n", (int)getpid());
    else if (!strcmp(argv[2], "exec") && argc == 4)
        return do_exec(argv[3]);
    else if (!strcmp(argv[2], "spawn") && argc == 4)
        return do_spawn(argv[3]);
    else if (!strcmp(argv[2], "system") && argc == 4)
        say("system=%d\n", system(argv[3]));
    else if (!strcmp(argv[2], "pipes") && argc == 5)
        return do_pipes(atoi(argv[3]), atoi(argv[4]));
    else if (!strcmp(argv[2], "copy") && argc == 5)
        return do_copy(argv[3], atoi(argv[4]));
    else if (!strcmp(argv[2], "flow") && argc == 4)
        return do_flow(atol(argv[3]));
    else if (!strcmp(argv[2], "signal"))
        return do_signal();
    else if (!strcmp(argv[2], "threads"))
        return do_threads();
    else if (!strcmp(argv[2], "delay"))
        return do_delay();
    else if (!strcmp(argv[2], "points"))
        return do_points();
    else if (!strcmp(argv[2], "stopchild"))
        return do_stopchild();
    else if (!strcmp(argv[2], "probe") && (argc == 4 || argc == 5))
        do_probe(argv[3], argc == 5 ? argv[4] : "");
    else if (!strcmp(argv[2], "loop") && argc == 4)
        say("ns=%lld\n", timed_polls(atoi(argv[3])) / atoi(argv[3]));
    else
        return 2;
    return 0;
}
