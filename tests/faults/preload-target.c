/*
 * A helper of test_preload.c, run under LD_PRELOAD of the preload.
 *
 * Each argument is a command.  Most make one wrapped call and print one
 * line with its result, such as "read 3" or "read -1 EINTR".  Blocks run
 * their commands in a child: "fork CMDS... end" (also vfork, clone for a
 * fork-like clone and clonevm for CLONE_VM|CLONE_VFORK); the parent reaps
 * the child with the raw wait4 system call and prints "fork exit=N".
 * "execve:A,B" (and execv, execvp, execvpe, execl, execlp, execle,
 * fexecve) re-executes this program with the commands A and B, and
 * "spawn:A,B" starts it with posix_spawn.  "probe:NAME,OPTS" runs one
 * probe of test_matrix.c (probe.h) in a forked child.
 *
 * Lines go out through the raw write system call, so reporting is never
 * counted nor faulted, and never buffered twice across fork.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <spawnfault/faults.h>

#include "probe.h"

#ifdef __GLIBC__
/* glibc declares it only when _FORTIFY_SOURCE is on. */
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
#else
/* musl has no fortified entry points: the command is a plain read. */
#define __read_chk(fd, buf, nbytes, buflen) read((fd), (buf), (nbytes))
#endif

#define MAX_EXEC_ARGS 64
#define CLONE_STACK_SIZE (256 * 1024)

static char self[PATH_MAX];
static int pipe_fds[2] = {-1, -1};
static pid_t zombie = -1;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    if ((size_t)len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    syscall(SYS_write, STDOUT_FILENO, line, (size_t)len);
}

/* "NAME VALUE" on success, "NAME -1 ERRNO" on failure. */
static void result(const char *name, long value, int err)
{
    const char *ename = spf_errno_name(err);

    if (value >= 0)
        say("%s %ld", name, value);
    else if (ename != NULL)
        say("%s -1 %s", name, ename);
    else
        say("%s -1 errno=%d", name, err);
}

/* Waits with the raw system call, so reaping is never counted. */
static void reap(const char *name, pid_t pid)
{
    int status = 0;
    long rc;

    for (;;) {
        rc = syscall(SYS_wait4, pid, &status, WUNTRACED, NULL);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 || !WIFSTOPPED(status))
            break;
        /* The stop action: say so, and let the child go on. */
        say("%s stopped sig=%d", name, WSTOPSIG(status));
        syscall(SYS_kill, pid, SIGCONT);
    }
    if (rc < 0)
        say("%s reap failed", name);
    else if (WIFEXITED(status))
        say("%s exit=%d", name, WEXITSTATUS(status));
    else
        say("%s signal=%d", name, WTERMSIG(status));
}

static void call_switch(const char *symbol)
{
    spf_fault_switch_fn *fn;

    *(void **)&fn = dlsym(RTLD_DEFAULT, symbol);
    if (fn == NULL)
        say("%s missing", symbol);
    else
        fn();
}

static void close_pipe(void)
{
    for (int i = 0; i < 2; i++) {
        if (pipe_fds[i] >= 0)
            close(pipe_fds[i]);
        pipe_fds[i] = -1;
    }
}

/* Reads never block: a test that got its byte counts wrong then sees
 * EAGAIN instead of hanging until its timeout. */
static void make_pipe(const char *name)
{
    int fds[2];
    int rc;

    close_pipe();
    if (strcmp(name, "pipe") == 0)
        rc = pipe(fds);
    else
        rc = pipe2(fds, O_CLOEXEC | O_NONBLOCK);
    result(name, rc, errno);
    if (rc < 0)
        return;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        pipe_fds[i] = fds[i];
    }
}

static void do_transfer(const char *name, size_t count)
{
    static char buf[1 << 16];
    ssize_t rc;

    if (count > sizeof(buf))
        count = sizeof(buf);
    if (strcmp(name, "write") == 0) {
        memset(buf, 'x', count);
        rc = write(pipe_fds[1], buf, count);
    } else if (strcmp(name, "read") == 0) {
        rc = read(pipe_fds[0], buf, count);
    } else {
        rc = __read_chk(pipe_fds[0], buf, count, sizeof(buf));
    }
    result(name, rc, errno);
}

static void do_dup(const char *name)
{
    int rc;

    if (strcmp(name, "dup2") == 0)
        rc = dup2(pipe_fds[0], 100);
    else
        rc = dup3(pipe_fds[0], 100, O_CLOEXEC);
    result(name, rc, errno);
    if (rc >= 0)
        close(100);
}

static void do_chdir(const char *name)
{
    int rc;

    if (strcmp(name, "chdir") == 0) {
        rc = chdir("/");
    } else {
        int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = fchdir(fd);
        int saved = errno;
        close(fd);
        errno = saved;
    }
    result(name, rc, errno);
}

static void do_poll(const char *name)
{
    struct pollfd p = {.fd = pipe_fds[0], .events = POLLIN};
    struct timespec zero = {0, 0};
    int rc;

    if (strcmp(name, "poll") == 0)
        rc = poll(&p, 1, 0);
    else
        rc = ppoll(&p, 1, &zero, NULL);
    result(name, rc, errno);
}

/* A child that exits at once and stays a zombie until a wait command. */
static void do_zombie(void)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    zombie = pid;
}

static void do_wait(const char *name)
{
    int status = -1;
    pid_t rc;

    if (strcmp(name, "waitpid") == 0)
        rc = waitpid(zombie, &status, 0);
    else if (strcmp(name, "wait4") == 0)
        rc = wait4(zombie, &status, 0, NULL);
    else
        rc = wait(&status);
    if (rc == zombie)
        say("%s reaped status=%d", name, status);
    else
        result(name, rc, errno);
}

/* Splits "A,B,C" into argv = {self, A, B, C, NULL}, in place. */
static void exec_argv(char *list, char **argv)
{
    size_t n = 0;

    argv[n++] = self;
    for (char *tok = strtok(list, ","); tok != NULL && n < MAX_EXEC_ARGS - 1;
         tok = strtok(NULL, ","))
        argv[n++] = tok;
    argv[n] = NULL;
}

static int exec_variadic(const char *name, char **a)
{
    /* The execl family needs its arguments spelled out: up to four. */
    if (strcmp(name, "execl") == 0)
        return execl(self, a[0], a[1], a[2], a[3], a[4], (char *)NULL);
    if (strcmp(name, "execlp") == 0)
        return execlp(self, a[0], a[1], a[2], a[3], a[4], (char *)NULL);
    return execle(self, a[0], a[1], a[2], a[3], a[4], (char *)NULL, environ);
}

static void do_exec(const char *name, char *list)
{
    char *argv[MAX_EXEC_ARGS] = {0};
    int rc;

    exec_argv(list, argv);
    if (strcmp(name, "execother") == 0) {
        /* The other build of this program (glibc or musl), which the
         * test names in SPF_TEST_OTHER. */
        const char *other = getenv("SPF_TEST_OTHER");
        rc = execve(other != NULL ? other : "/nonexistent", argv, environ);
    } else if (strcmp(name, "execve") == 0) {
        rc = execve(self, argv, environ);
    } else if (strcmp(name, "execv") == 0) {
        rc = execv(self, argv);
    } else if (strcmp(name, "execvp") == 0) {
        rc = execvp(self, argv);
    } else if (strcmp(name, "execvpe") == 0) {
        rc = execvpe(self, argv, environ);
    } else if (strcmp(name, "fexecve") == 0) {
        int fd = open(self, O_RDONLY | O_CLOEXEC);
        rc = fexecve(fd, argv, environ);
        int saved = errno;
        close(fd);
        errno = saved;
    } else {
        rc = exec_variadic(name, argv);
    }
    result(name, rc, errno);
}

/*
 * Starts this program with posix_spawn, which the preload does not see,
 * with /dev/null on fd 20, where the tests put the log: an exec-scope
 * program must notice that fd 20 is no longer the root's log.
 */
/* posix_spawn of this program; with reuse, its fd 20 (the tests' log
 * fd) becomes /dev/null in the child. */
static void do_spawn(char *list, bool reuse)
{
    char *argv[MAX_EXEC_ARGS] = {0};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;

    exec_argv(list, argv);
    posix_spawn_file_actions_init(&fa);
    if (reuse)
        posix_spawn_file_actions_addopen(&fa, 20, "/dev/null", O_WRONLY, 0);
    rc = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        result("spawn", -1, rc);
    else
        reap("spawn", pid);
}

/* Under valgrind, LD_PRELOAD starts with valgrind's own libraries, each
 * ending in ':'; the tests want to see only the rest. */
static const char *skip_valgrind(const char *v)
{
    const char *colon, *vg;

    while ((colon = strchr(v, ':')) != NULL &&
           (vg = strstr(v, "/vgpreload_")) != NULL && vg < colon)
        v = colon + 1;
    return v;
}

static void do_env(void)
{
    static const char *const names[] = {
        "SPF_FAULTS",     "SPF_FAULT_SEED",   "SPF_FAULT_LOG_FD",
        "SPF_FAULT_ROOT", "SPF_FAULT_LOG_ID", "LD_PRELOAD",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);
        say("%s=%s", names[i], v != NULL ? skip_valgrind(v) : "(unset)");
    }
    say("preload=%s", dlsym(RTLD_DEFAULT, SPF_FAULT_ARM_SYMBOL) != NULL
                          ? "loaded"
                          : "absent");
}

/* A thread made with a raw clone: it must not count as a fork. */
static int thread_main(void *arg)
{
    __atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
    syscall(SYS_exit, 0);
    return 0;
}

static void do_thread(void)
{
    static char stack[CLONE_STACK_SIZE] __attribute__((aligned(16)));
    static int done;
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                CLONE_THREAD | CLONE_SYSVSEM;
    int rc = clone(thread_main, stack + sizeof(stack), flags, &done);

    if (rc < 0) {
        result("thread", rc, errno);
        return;
    }
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        sched_yield();
    say("thread ok");
}

/* Runs from *i until "end" or the end of argv, leaving *i past it. */
static void run(char **argv, int argc, int *i);

static bool is_block(const char *name)
{
    return strcmp(name, "fork") == 0 || strcmp(name, "vfork") == 0 ||
           strcmp(name, "_Fork") == 0 || strcmp(name, "clone") == 0 ||
           strcmp(name, "clonevm") == 0;
}

/* The index right after the "end" that closes the block opening at i. */
static int block_end(char **argv, int argc, int i)
{
    int depth = 1;

    for (i++; i < argc; i++) {
        if (is_block(argv[i]))
            depth++;
        else if (strcmp(argv[i], "end") == 0 && --depth == 0)
            return i + 1;
    }
    return argc;
}

struct block {
    char **argv;
    int argc;
    int first;
};

static int block_main(void *arg)
{
    struct block *b = arg;
    int i = b->first;

    run(b->argv, b->argc, &i);
    _exit(0);
}

static pid_t start_child(const char *name, struct block *b)
{
    static char stack[CLONE_STACK_SIZE] __attribute__((aligned(16)));
    pid_t pid;

    if (strcmp(name, "clone") == 0)
        return clone(block_main, stack + sizeof(stack), SIGCHLD, b);
    if (strcmp(name, "clonevm") == 0)
        return clone(block_main, stack + sizeof(stack),
                     CLONE_VM | CLONE_VFORK | SIGCHLD, b);
    if (strcmp(name, "_Fork") == 0)
        pid = _Fork();
    else
        pid = strcmp(name, "vfork") == 0 ? vfork() : fork();
    if (pid == 0)
        block_main(b);
    return pid;
}

static void do_block(char **argv, int argc, int *i)
{
    struct block b = {argv, argc, *i + 1};
    const char *name = argv[*i];
    pid_t pid;

    *i = block_end(argv, argc, *i);
    pid = start_child(name, &b);
    if (pid < 0)
        result(name, pid, errno);
    else
        reap(name, pid);
}

/* The child never returns from here, so the caller's locals are safe
 * from it (vfork shares them). */
static pid_t vfork_true(char **argv)
{
    pid_t pid = vfork();

    if (pid == 0) {
        execve(self, argv, environ);
        _exit(127);
    }
    return pid;
}

/* vfork and exec again and again: the trampoline must keep the parent's
 * frame intact every time, or the parent crashes or loops. */
static void do_vfork_loop(long n)
{
    long ok = 0, failed = 0, bad = 0;
    char arg[] = "true";
    char *argv[] = {self, arg, NULL};

    for (long k = 0; k < n; k++) {
        int status = -1;
        pid_t pid = vfork_true(argv);
        if (pid < 0) {
            failed++;
            continue;
        }
        if (syscall(SYS_wait4, pid, &status, 0, NULL) == pid &&
            WIFEXITED(status) && WEXITSTATUS(status) == 0)
            ok++;
        else
            bad++;
    }
    say("vforkloop ok=%ld failed=%ld bad=%ld", ok, failed, bad);
}

/* Signals handled since the start, by the handler "handler" installs. */
static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
    (void)sig;
    handled++;
}

/* "handler:SIG" installs on_signal without SA_RESTART, "restart:SIG"
 * with it, and "handled" says how many signals it ran for. */
static void do_handler(const char *name, const char *arg)
{
    struct sigaction sa = {.sa_handler = on_signal};
    int sig = spf_fault_signal_from_name(arg, strlen(arg));

    if (strcmp(name, "restart") == 0)
        sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    int rc = sigaction(sig, &sa, NULL);
    result(name, rc, errno);
}

static struct timespec tic;

/* "toc:MS" says whether MS milliseconds went by since "tic". */
static void do_toc(const char *arg)
{
    struct timespec now;
    long long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (now.tv_sec - tic.tv_sec) * 1000LL +
         (now.tv_nsec - tic.tv_nsec) / 1000000;
    if (ms >= strtoll(arg, NULL, 10))
        say("toc ok");
    else
        say("toc %lld ms", ms);
}

/* Whether fd is open, seen through the raw fcntl system call. */
static void do_isopen(const char *arg)
{
    long fd = strtol(arg, NULL, 10);

    say("isopen %ld %s", fd,
        syscall(SYS_fcntl, (int)fd, F_GETFD) >= 0 ? "yes" : "no");
}

/* The calls of the points added with the hierarchy: fd/dup, fd/close,
 * proc/kill, proc/setsid, proc/setpgid and sig/mask. */
static bool run_more(const char *name, char *arg)
{
    sigset_t set, old;
    int rc;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    if (strcmp(name, "dup") == 0) {
        rc = dup(pipe_fds[0]);
        result(name, rc >= 0 ? 0 : rc, errno);
        if (rc >= 0)
            syscall(SYS_close, rc);
    } else if (strcmp(name, "close") == 0) {
        rc = close((int)strtol(arg, NULL, 10));
        result(name, rc, errno);
    } else if (strcmp(name, "opennull") == 0) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        rc = (int)syscall(SYS_dup3, fd, (int)strtol(arg, NULL, 10), O_CLOEXEC);
        syscall(SYS_close, fd);
        result(name, rc >= 0 ? 0 : rc, errno);
    } else if (strcmp(name, "isopen") == 0) {
        do_isopen(arg);
    } else if (strcmp(name, "kill") == 0) {
        rc = kill(getpid(), 0);
        result(name, rc, errno);
    } else if (strcmp(name, "setsid") == 0) {
        pid_t sid = setsid();
        if (sid < 0)
            result(name, sid, errno);
        else
            say("setsid %s",
                sid == (pid_t)syscall(SYS_getpid) ? "self" : "other");
    } else if (strcmp(name, "setpgid") == 0) {
        rc = setpgid(0, 0);
        result(name, rc, errno);
    } else if (strcmp(name, "sigprocmask") == 0) {
        rc = sigprocmask(SIG_BLOCK, &set, &old);
        result(name, rc, errno);
    } else if (strcmp(name, "pthread_sigmask") == 0) {
        errno = 0;
        rc = pthread_sigmask(SIG_BLOCK, &set, &old);
        say("pthread_sigmask %s errno=%d", rc == 0 ? "0" : spf_errno_name(rc),
            errno);
    } else if (strcmp(name, "handler") == 0 || strcmp(name, "restart") == 0) {
        do_handler(name, arg);
    } else if (strcmp(name, "setplan") == 0) {
        /* Rewrites the plan in the shared log on fd 20, as a launcher
         * would while the tree runs. */
        struct spf_fault_plan plan;
        char err[256];
        rc = spf_fault_plan_parse(arg, strlen(arg), &plan, err, sizeof(err));
        if (rc == 0)
            rc = spf_fault_log_set_plan(20, &plan);
        say("setplan %d", rc);
    } else if (strcmp(name, "libc") == 0) {
#ifdef __GLIBC__
        say("libc glibc");
#else
        say("libc musl");
#endif
    } else if (strcmp(name, "probe") == 0) {
        char *opts = arg != NULL ? strchr(arg, ',') : NULL;
        if (opts != NULL)
            *opts++ = '\0';
        if (probe_run(arg != NULL ? arg : "", opts != NULL ? opts : "",
                      STDOUT_FILENO, false) < 0)
            say("probe failed");
    } else if (strcmp(name, "handled") == 0) {
        say("handled %d", (int)handled);
    } else if (strcmp(name, "tic") == 0) {
        clock_gettime(CLOCK_MONOTONIC, &tic);
    } else if (strcmp(name, "toc") == 0) {
        do_toc(arg);
    } else {
        return false;
    }
    return true;
}

static bool run_simple(const char *name, char *arg)
{
    if (strcmp(name, "pipe") == 0 || strcmp(name, "pipe2") == 0)
        make_pipe(name);
    else if (strcmp(name, "read") == 0 || strcmp(name, "write") == 0 ||
             strcmp(name, "read_chk") == 0)
        do_transfer(name, arg != NULL ? strtoul(arg, NULL, 10) : 1);
    else if (strcmp(name, "dup2") == 0 || strcmp(name, "dup3") == 0)
        do_dup(name);
    else if (strcmp(name, "chdir") == 0 || strcmp(name, "fchdir") == 0)
        do_chdir(name);
    else if (strcmp(name, "poll") == 0 || strcmp(name, "ppoll") == 0)
        do_poll(name);
    else if (strcmp(name, "zombie") == 0)
        do_zombie();
    else if (strncmp(name, "wait", 4) == 0)
        do_wait(name);
    else if (strncmp(name, "exec", 4) == 0 || strcmp(name, "fexecve") == 0)
        do_exec(name, arg != NULL ? arg : (char[]){"true"});
    else
        return run_more(name, arg);
    return true;
}

static void run_one(char **argv, int argc, int *i)
{
    char *name = argv[*i];
    char *arg = strchr(name, ':');

    if (arg != NULL)
        *arg++ = '\0';
    if (is_block(name)) {
        do_block(argv, argc, i);
        return;
    }
    (*i)++;
    if (run_simple(name, arg))
        return;
    if (strcmp(name, "arm") == 0)
        call_switch(SPF_FAULT_ARM_SYMBOL);
    else if (strcmp(name, "disarm") == 0)
        call_switch(SPF_FAULT_DISARM_SYMBOL);
    else if (strcmp(name, "env") == 0)
        do_env();
    else if (strcmp(name, "armvar") == 0)
        say("SPF_FAULT_ARM=%s", getenv("SPF_FAULT_ARM") != NULL
                                    ? getenv("SPF_FAULT_ARM")
                                    : "(unset)");
    else if (strcmp(name, "thread") == 0)
        do_thread();
    else if (strcmp(name, "spawn") == 0)
        do_spawn(arg != NULL ? arg : (char[]){"true"}, true);
    else if (strcmp(name, "pspawn") == 0)
        do_spawn(arg != NULL ? arg : (char[]){"true"}, false);
    else if (strcmp(name, "vforkloop") == 0)
        do_vfork_loop(arg != NULL ? strtol(arg, NULL, 10) : 1);
    else if (strcmp(name, "say") == 0)
        say("%s", arg != NULL ? arg : "");
    else if (strcmp(name, "true") != 0)
        say("unknown command %s", name);
}

static void run(char **argv, int argc, int *i)
{
    while (*i < argc) {
        if (strcmp(argv[*i], "end") == 0) {
            (*i)++;
            return;
        }
        run_one(argv, argc, i);
    }
}

int main(int argc, char **argv)
{
    int i = 1;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n < 0)
        return 2;
    self[n] = '\0';
    run(argv, argc, &i);
    close_pipe();
    return 0;
}
