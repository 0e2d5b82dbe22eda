/* The census, from /proc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census.h"
#include "text.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

int spf__fds_open(struct spf__fdset *ret)
{
    DIR *d = opendir("/proc/self/fd");
    struct spf__fdset s = {0};
    struct dirent *e;
    size_t cap = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        int fd;

        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        fd = atoi(e->d_name);
        if (fd == dirfd(d))
            continue;
        if (s.n == cap) {
            int *n = realloc(s.fds, (cap = cap ? 2 * cap : 32) * sizeof(int));

            if (!n) {
                closedir(d);
                free(s.fds);
                return -ENOMEM;
            }
            s.fds = n;
        }
        s.fds[s.n++] = fd;
    }
    closedir(d);
    qsort(s.fds, s.n, sizeof(int), cmp_int);
    *ret = s;
    return 0;
}

void spf__fdset_free(struct spf__fdset *s)
{
    free(s->fds);
    s->fds = NULL;
    s->n = 0;
}

int spf__fds_leaked(const struct spf__fdset *before,
                    const struct spf__fdset *after, char ***v, size_t *n)
{
    for (size_t i = 0; i < after->n; i++) {
        int fd = after->fds[i];
        char link[64], target[PATH_MAX];
        ssize_t len;

        if (bsearch(&fd, before->fds, before->n, sizeof(int), cmp_int))
            continue;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        len = readlink(link, target, sizeof(target) - 1);
        target[len < 0 ? 0 : len] = '\0';
        if (spf__strv_addf(v, n, "fd %d -> %s", fd, target) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Parent pid and state from /proc/PID/stat; the command name may hold
 * spaces and parentheses, so parse from the last ')'. */
static int read_stat(pid_t pid, pid_t *ppid, char *state, char *comm,
                     size_t commlen)
{
    char path[64], buf[1024], *open_p, *close_p;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -ENOENT;
    buf[n] = '\0';
    open_p = strchr(buf, '(');
    close_p = strrchr(buf, ')');
    if (!open_p || !close_p || close_p < open_p ||
        sscanf(close_p + 1, " %c %d", state, ppid) != 2)
        return -EINVAL;
    if (comm)
        snprintf(comm, commlen, "%.*s", (int)(close_p - open_p - 1),
                 open_p + 1);
    return 0;
}

struct pp {
    pid_t pid, ppid;
};

static int scan_all(struct pp **ret, size_t *ret_n)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    struct pp *v = NULL;
    size_t n = 0, cap = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        pid_t pid, ppid;
        char st;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        pid = atoi(e->d_name);
        if (read_stat(pid, &ppid, &st, NULL, 0) < 0)
            continue;
        if (n == cap) {
            struct pp *nv =
                realloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v));
            if (!nv) {
                closedir(d);
                free(v);
                return -ENOMEM;
            }
            v = nv;
        }
        v[n++] = (struct pp){pid, ppid};
    }
    closedir(d);
    *ret = v;
    *ret_n = n;
    return 0;
}

static bool in_list(const pid_t *v, size_t n, pid_t pid);

int spf__descendants_except(pid_t root, const pid_t *keep, size_t n_keep,
                            pid_t **ret, size_t *ret_n)
{
    struct pp *all = NULL;
    size_t n = 0, found = 0;
    pid_t *out;
    int r = scan_all(&all, &n);

    if (r < 0)
        return r;
    out = malloc((n + 1) * sizeof(pid_t));
    if (!out) {
        free(all);
        return -ENOMEM;
    }
    /* Breadth-first over the parent links: out[] doubles as the queue. */
    out[found++] = root;
    for (size_t q = 0; q < found; q++)
        for (size_t i = 0; i < n; i++)
            if (all[i].ppid == out[q] && all[i].pid != root &&
                !in_list(keep, n_keep, all[i].pid))
                out[found++] = all[i].pid;
    free(all);
    memmove(out, out + 1, (found - 1) * sizeof(pid_t));
    *ret = out;
    *ret_n = found - 1;
    return 0;
}

int spf__descendants(pid_t root, pid_t **ret, size_t *ret_n)
{
    return spf__descendants_except(root, NULL, 0, ret, ret_n);
}

char *spf__proc_describe(pid_t pid)
{
    pid_t ppid;
    char state, comm[64];

    if (read_stat(pid, &ppid, &state, comm, sizeof(comm)) < 0)
        return NULL;
    return spf__strf("pid %d (%s) state %c", (int)pid, comm, state);
}

char spf__proc_state(pid_t pid)
{
    pid_t ppid;
    char state;

    return read_stat(pid, &ppid, &state, NULL, 0) < 0 ? 0 : state;
}

static bool in_list(const pid_t *v, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == pid)
            return true;
    return false;
}

size_t spf__kill_descendants_except(const pid_t *keep, size_t n_keep,
                                    void (*seen)(pid_t pid, void *ctx),
                                    void *ctx)
{
    pid_t *done = NULL, *last = NULL;
    size_t n_done = 0, n_last = 0;

    for (int round = 0; round < 100; round++) {
        pid_t *pids = NULL, *grown;
        size_t n = 0;

        /* Reap what the last round killed, and only that when some of
         * our children must stay: their status is someone else's. */
        for (size_t i = 0; i < n_last; i++)
            waitpid(last[i], NULL, WNOHANG);
        while (n_keep == 0 && waitpid(-1, NULL, WNOHANG) > 0)
            ;
        free(last);
        last = NULL;
        n_last = 0;
        if (spf__descendants_except(getpid(), keep, n_keep, &pids, &n) < 0 ||
            n == 0) {
            free(pids);
            break;
        }
        grown = realloc(done, (n_done + n) * sizeof(pid_t));
        for (size_t i = 0; grown && i < n; i++) {
            if (in_list(grown, n_done, pids[i]) ||
                spf__proc_state(pids[i]) == 'Z')
                continue;
            grown[n_done++] = pids[i];
            if (seen)
                seen(pids[i], ctx);
        }
        done = grown ? grown : done;
        for (size_t i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        last = pids;
        n_last = n;
        usleep(10000);
    }
    free(last);
    free(done);
    return n_done;
}

size_t spf__kill_descendants(void (*seen)(pid_t pid, void *ctx), void *ctx)
{
    return spf__kill_descendants_except(NULL, 0, seen, ctx);
}
