/*
 * spawnfault-helper: a small, predictable child program for tests and
 * scenarios.  It runs a sequence of commands given as arguments, e.g.
 *
 *     spawnfault-helper out hello err oops sleep 0.2 exit 3
 *
 * Commands:
 *   out TEXT | err TEXT      write TEXT to stdout / stderr
 *   outn N C | errn N C      write N bytes of character C
 *   cat                      copy stdin to stdout until end-of-file
 *   count                    read stdin to end-of-file, print the count
 *   readn N                  read exactly N bytes of stdin, discard them
 *   sleep SECONDS            sleep (fractions allowed)
 *   exit CODE                exit now
 *   kill SIGNAL              send SIGNAL (a number) to itself
 *   close FD                 close an fd
 *   env                      print each environment entry and '\n'
 *   cwd                      print the working directory and '\n'
 *   umask                    print the umask in octal and '\n'
 *   fds                      print the open fds, space-separated, '\n'
 *   sigign | sigblk          print SigIgn / SigBlk of /proc/self/status
 *   leader                   print "sid pgid": 1 where it leads, else 0
 *   ids                      print "uid gid groups", the supplementary
 *                            groups comma-separated ("-" when none)
 *   background SECONDS       fork a grandchild that keeps every fd open
 *                            and sleeps SECONDS, then go on
 *   spawn PROGRAM            run PROGRAM (a path, no arguments) with
 *                            glibc's posix_spawn, wait for it, and print
 *                            "status N" (its wait status) or "errno N"
 *                            (posix_spawn's error) and '\n'
 * Without commands it exits 0.  Unknown commands exit 125.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void put(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t n = write(fd, s, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            exit(124);
        s += n;
        len -= (size_t)n;
    }
}

static void put_str(const char *s)
{
    put(1, s, strlen(s));
}

static void put_n(int fd, long n, char c)
{
    char buf[8192];

    memset(buf, c, sizeof(buf));
    while (n > 0) {
        size_t k = n < (long)sizeof(buf) ? (size_t)n : sizeof(buf);

        put(fd, buf, k);
        n -= (long)k;
    }
}

static long copy_stdin(int out_fd, long limit)
{
    char buf[65536];
    long total = 0;

    while (limit < 0 || total < limit) {
        size_t want = sizeof(buf);
        ssize_t n;

        if (limit >= 0 && (long)want > limit - total)
            want = (size_t)(limit - total);
        n = read(0, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out_fd >= 0)
            put(out_fd, buf, (size_t)n);
        total += n;
    }
    return total;
}

static void sleep_for(const char *arg)
{
    double s = strtod(arg, NULL);
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void list_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int first = 1;

    if (!d)
        exit(124);
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
            atoi(e->d_name) == dirfd(d))
            continue;
        put_str(first ? "" : " ");
        put_str(e->d_name);
        first = 0;
    }
    closedir(d);
    put_str("\n");
}

static void status_field(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(field);

    if (!f)
        exit(124);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            put_str(line + n + 1 + strspn(line + n + 1, " \t"));
    fclose(f);
}

static void ids(void)
{
    gid_t groups[256];
    int n = getgroups(256, groups);
    char buf[32];

    if (n < 0)
        exit(124);
    snprintf(buf, sizeof(buf), "%u %u ", (unsigned)getuid(),
             (unsigned)getgid());
    put_str(buf);
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "%s%u", i ? "," : "", (unsigned)groups[i]);
        put_str(buf);
    }
    put_str(n ? "\n" : "-\n");
}

static void background(const char *arg)
{
    pid_t pid = fork();

    if (pid == 0) {
        sleep_for(arg);
        _exit(0);
    }
    if (pid < 0)
        exit(124);
}

/* posix_spawn makes its child and execs inside libc, where no preload
 * can interpose: only the seccomp backend sees those calls. */
static void spawn(const char *program)
{
    extern char **environ;
    char *argv[] = {(char *)program, NULL}, buf[64];
    pid_t pid;
    int status, err = posix_spawn(&pid, program, NULL, NULL, argv, environ);

    if (err == 0) {
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                exit(124);
        snprintf(buf, sizeof(buf), "status %d\n", status);
    } else {
        snprintf(buf, sizeof(buf), "errno %d\n", err);
    }
    put_str(buf);
}

/* Run the command at argv[0]; returns how many arguments it used. */
static int run(char **argv, int left)
{
    const char *cmd = argv[0];
    char buf[64];

#define NEED(n)                                                                \
    do {                                                                       \
        if (left < (n) + 1)                                                    \
            exit(125);                                                         \
    } while (0)
    if (!strcmp(cmd, "out") || !strcmp(cmd, "err")) {
        NEED(1);
        put(cmd[0] == 'o' ? 1 : 2, argv[1], strlen(argv[1]));
        return 2;
    }
    if (!strcmp(cmd, "outn") || !strcmp(cmd, "errn")) {
        NEED(2);
        put_n(cmd[0] == 'o' ? 1 : 2, atol(argv[1]), argv[2][0]);
        return 3;
    }
    if (!strcmp(cmd, "cat")) {
        copy_stdin(1, -1);
        return 1;
    }
    if (!strcmp(cmd, "count")) {
        snprintf(buf, sizeof(buf), "%ld\n", copy_stdin(-1, -1));
        put_str(buf);
        return 1;
    }
    if (!strcmp(cmd, "readn")) {
        NEED(1);
        copy_stdin(-1, atol(argv[1]));
        return 2;
    }
    if (!strcmp(cmd, "sleep")) {
        NEED(1);
        sleep_for(argv[1]);
        return 2;
    }
    if (!strcmp(cmd, "exit")) {
        NEED(1);
        exit(atoi(argv[1]));
    }
    if (!strcmp(cmd, "kill")) {
        NEED(1);
        kill(getpid(), atoi(argv[1]));
        return 2;
    }
    if (!strcmp(cmd, "close")) {
        NEED(1);
        close(atoi(argv[1]));
        return 2;
    }
    if (!strcmp(cmd, "env")) {
        extern char **environ;

        for (char **e = environ; *e; e++) {
            put_str(*e);
            put_str("\n");
        }
        return 1;
    }
    if (!strcmp(cmd, "cwd")) {
        if (!getcwd(buf, sizeof(buf)))
            exit(124);
        put_str(buf);
        put_str("\n");
        return 1;
    }
    if (!strcmp(cmd, "umask")) {
        mode_t m = umask(0);

        umask(m);
        snprintf(buf, sizeof(buf), "%04o\n", (unsigned)m);
        put_str(buf);
        return 1;
    }
    if (!strcmp(cmd, "fds")) {
        list_fds();
        return 1;
    }
    if (!strcmp(cmd, "sigign") || !strcmp(cmd, "sigblk")) {
        status_field(cmd[3] == 'i' ? "SigIgn" : "SigBlk");
        return 1;
    }
    if (!strcmp(cmd, "leader")) {
        snprintf(buf, sizeof(buf), "%d %d\n", getsid(0) == getpid(),
                 getpgid(0) == getpid());
        put_str(buf);
        return 1;
    }
    if (!strcmp(cmd, "ids")) {
        ids();
        return 1;
    }
    if (!strcmp(cmd, "background")) {
        NEED(1);
        background(argv[1]);
        return 2;
    }
    if (!strcmp(cmd, "spawn")) {
        NEED(1);
        spawn(argv[1]);
        return 2;
    }
#undef NEED
    exit(125);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc;)
        i += run(argv + i, argc - i);
    return 0;
}
