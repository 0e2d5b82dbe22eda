/*
 * Real resource limits (resources.h): a pids cgroup for fork failures.
 *
 * cgroup v1 mounts each controller as a hierarchy of its own (here:
 * /sys/fs/cgroup/pids), cgroup v2 mounts one tree where a controller is
 * listed in cgroup.controllers.  Both are found through
 * /proc/self/mountinfo, and the caller's own place in them through
 * /proc/self/cgroup, so the new cgroup is made beside the caller's and
 * any limit above still applies.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <spawnfault/resources.h>

struct spf_pids_limit {
    char *home; /* the cgroup the caller was in */
    char *dir;  /* the one made for the run */
};

static void say(char *errbuf, size_t errlen, const char *what, const char *path,
                int err)
{
    if (errlen > 0)
        snprintf(errbuf, errlen, "%s %s: %s", what, path, strerror(err));
}

/* The mount point of the pids controller, and whether it is cgroup v2. */
static int find_mount(char *ret, size_t len, bool *ret_v2)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL;
    size_t cap = 0;
    int r = -ENOENT;

    if (f == NULL)
        return -errno;
    while (r < 0 && getline(&line, &cap, f) > 0) {
        char mnt[4096], fstype[64], opts[1024];
        /* ID PARENT MAJ:MIN ROOT MOUNT OPTS [TAGS...] - FSTYPE SOURCE SUPER */
        const char *dash = strstr(line, " - ");
        if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
            sscanf(dash + 3, "%63s %*s %1023s", fstype, opts) != 2)
            continue;
        if (strcmp(fstype, "cgroup") == 0) {
            char *tok, *save = NULL;
            for (tok = strtok_r(opts, ",", &save); tok != NULL;
                 tok = strtok_r(NULL, ",", &save))
                if (strcmp(tok, "pids") == 0)
                    break;
            if (tok == NULL)
                continue;
            *ret_v2 = false;
        } else if (strcmp(fstype, "cgroup2") == 0) {
            char path[4200], ctl[1024] = "";
            snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
            FILE *c = fopen(path, "re");
            if (c == NULL)
                continue;
            bool has = fgets(ctl, sizeof(ctl), c) != NULL &&
                       (strncmp(ctl, "pids", 4) == 0 || strstr(ctl, " pids"));
            fclose(c);
            if (!has)
                continue;
            *ret_v2 = true;
        } else {
            continue;
        }
        if ((size_t)snprintf(ret, len, "%s", mnt) < len)
            r = 0;
    }
    free(line);
    fclose(f);
    return r;
}

/* The caller's cgroup in that hierarchy, as a path below its mount. */
static int find_own(bool v2, char *ret, size_t len)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char *line = NULL;
    size_t cap = 0;
    int r = -ENOENT;

    if (f == NULL)
        return -errno;
    while (r < 0 && getline(&line, &cap, f) > 0) {
        /* ID:CONTROLLERS:PATH */
        char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
        if (b == NULL)
            continue;
        *b = '\0';
        b[strcspn(b + 1, "\n") + 1] = '\0';
        bool match = v2 ? a[1] == '\0' && strncmp(line, "0", 1) == 0
                        : strstr(a + 1, "pids") != NULL;
        if (match && (size_t)snprintf(ret, len, "%s", b + 1) < len)
            r = 0;
    }
    free(line);
    fclose(f);
    return r;
}

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[4200];
    int fd, r = 0;
    size_t n = strlen(text);

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (write(fd, text, n) != (ssize_t)n)
        r = -errno;
    close(fd);
    return r;
}

/*
 * A launcher killed by SIGKILL leaves its cgroup behind.  Ours are named
 * spawnfault-PID-TIME-N: those whose launcher is gone and that hold no
 * process any more are removed (rmdir refuses a cgroup that is not
 * empty, so a tree still running is left alone).
 */
static void sweep_stale(const char *parent)
{
    DIR *d = opendir(parent);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[8400];
        long pid;
        long long t;
        unsigned seq;
        int end = 0;

        if (sscanf(e->d_name, "spawnfault-%ld-%lld-%u%n", &pid, &t, &seq,
                   &end) != 3 ||
            e->d_name[end] != '\0' || pid <= 0 ||
            (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", parent, e->d_name) <
            sizeof(path))
            rmdir(path);
    }
    closedir(d);
}

int spf_pids_limit_create(unsigned max, struct spf_pids_limit **ret,
                          char *errbuf, size_t errlen)
{
    char mnt[4096], own[4096], dir[8400], value[32];
    struct spf_pids_limit *l;
    bool v2 = false;
    int r;

    if ((r = find_mount(mnt, sizeof(mnt), &v2)) < 0) {
        say(errbuf, errlen, "no pids cgroup controller in",
            "/proc/self/mountinfo", -r);
        return r;
    }
    if ((r = find_own(v2, own, sizeof(own))) < 0) {
        say(errbuf, errlen, "no pids cgroup of this process in",
            "/proc/self/cgroup", -r);
        return r;
    }
    if (strcmp(own, "/") == 0)
        own[0] = '\0';
    snprintf(dir, sizeof(dir), "%s%s", mnt, own);
    sweep_stale(dir);
    /* N tells apart the limits one process makes within a second, and a
     * stale folder of a reused pid that still holds processes. */
    for (unsigned seq = 0;; seq++) {
        snprintf(dir, sizeof(dir), "%s%s/spawnfault-%ld-%lld-%u", mnt, own,
                 (long)getpid(), (long long)time(NULL), seq);
        if ((r = mkdir(dir, 0755) < 0 ? -errno : 0) != -EEXIST || seq == 99)
            break;
    }
    if (r < 0) {
        say(errbuf, errlen, "cannot make the cgroup", dir, -r);
        return r;
    }
    snprintf(value, sizeof(value), "%u", max);
    if ((r = write_file(dir, "pids.max", value)) < 0) {
        say(errbuf, errlen, "cannot set pids.max in", dir, -r);
        rmdir(dir);
        return r;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL || (l->dir = strdup(dir)) == NULL ||
        asprintf(&l->home, "%s%s", mnt, own) < 0) {
        if (l != NULL)
            free(l->dir);
        free(l);
        rmdir(dir);
        return -ENOMEM;
    }
    *ret = l;
    return 0;
}

static int move_self(const char *dir)
{
    char pid[32];

    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    return write_file(dir, "cgroup.procs", pid);
}

int spf_pids_limit_enter(struct spf_pids_limit *l)
{
    return move_self(l->dir);
}

int spf_pids_limit_leave(struct spf_pids_limit *l)
{
    return move_self(l->home);
}

int spf_pids_limit_set(struct spf_pids_limit *l, unsigned max)
{
    char value[32];

    snprintf(value, sizeof(value), "%u", max);
    return write_file(l->dir, "pids.max", value);
}

/* Calls fn on every pid in the cgroup; returns how many, or -errno. */
static int each_pid(const struct spf_pids_limit *l, void (*fn)(pid_t))
{
    char path[8500];
    FILE *f;
    long pid;
    int n = 0;

    snprintf(path, sizeof(path), "%s/cgroup.procs", l->dir);
    if ((f = fopen(path, "re")) == NULL)
        return -errno;
    while (fscanf(f, "%ld", &pid) == 1) {
        if (fn != NULL)
            fn((pid_t)pid);
        n++;
    }
    fclose(f);
    return n;
}

const char *spf_pids_limit_dir(const struct spf_pids_limit *l)
{
    return l->dir;
}

int spf_pids_limit_count(const struct spf_pids_limit *l)
{
    return each_pid(l, NULL);
}

static void kill_one(pid_t pid)
{
    kill(pid, SIGKILL);
}

int spf_pids_limit_destroy(struct spf_pids_limit *l)
{
    struct timespec nap = {0, 10 * 1000 * 1000};
    int r = 0;

    if (l == NULL)
        return 0;
    /* A process forking while we kill may add one more: go round until
     * nothing is left, for a second at most.  A killed process stays in
     * the cgroup until reaped; its reaper (the launcher, or init for an
     * orphan) is not us to wait for, hence the retries of rmdir. */
    for (int i = 0; i < 100; i++) {
        if (each_pid(l, kill_one) <= 0 && rmdir(l->dir) == 0)
            goto done;
        nanosleep(&nap, NULL);
    }
    r = rmdir(l->dir) == 0 ? 0 : -errno;
done:
    free(l->dir);
    free(l->home);
    free(l);
    return r;
}
