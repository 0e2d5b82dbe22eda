/* Reports are published whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

/* Distinguishes the temporary files of concurrent writers in one process;
 * the pid does so between processes. */
static atomic_uint tmp_counter;

/* Enough of the final name to recognise a leftover by, and short enough
 * that the temporary name stays within NAME_MAX. */
#define TMP_BASE_MAX 200

/* ".<base>.<pid>.<n>.tmp" in path's folder ("." when it names none). */
static char *tmp_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dir = slash ? path : ".";
    int dir_len = slash ? (int)(slash - path) : 1;
    const char *base = slash ? slash + 1 : path;
    char *name;

    if (asprintf(&name, "%.*s/.%.*s.%ld.%u.tmp", dir_len, dir, TMP_BASE_MAX,
                 base, (long)getpid(), atomic_fetch_add(&tmp_counter, 1)) < 0)
        return NULL;
    return name;
}

/* Create a new temporary file for path.  Returns its fd or -errno. */
static int create_tmp(const char *path, char **ret_tmp)
{
    for (int tries = 0; tries < 100; tries++) {
        char *tmp = tmp_name(path);
        int fd, r;

        if (!tmp)
            return -ENOMEM;
        /* O_EXCL: never write through a file or link planted there. */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        r = -errno;
        if (fd >= 0) {
            *ret_tmp = tmp;
            return fd;
        }
        free(tmp);
        if (r != -EEXIST)
            return r;
    }
    return -EEXIST;
}

/*
 * Flush (and with sync, fsync) then close f.  Returns r when it is an
 * error already, else 0 or the first step's -errno; lost when a write
 * failed earlier and its errno is gone (-ENOMEM for a memory stream).
 */
static int close_file(FILE *f, bool sync, int lost, int r)
{
    int e = 0;

    if (fflush(f) != 0)
        e = -errno;
    else if (ferror(f))
        e = lost;
    else if (sync && r == 0 && fsync(fileno(f)) < 0)
        e = -errno;
    if (fclose(f) != 0 && e == 0)
        e = -errno;
    return r < 0 ? r : e;
}

/* Write the report straight into what path names: for a device, a FIFO
 * or a /proc link (/dev/stdout), which a rename would replace. */
static int write_through(const char *path, spf__render_fn *render,
                         const void *ctx)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY), r;
    FILE *f;

    if (fd < 0)
        return -errno;
    f = fdopen(fd, "w");
    if (!f) {
        r = -errno;
        close(fd);
        return r;
    }
    r = spf__output_stream(f, render, ctx);
    if (fclose(f) != 0 && r == 0)
        r = -errno;
    return r;
}

static int publish(const char *path, spf__render_fn *render, const void *ctx);

int spf__output_path(const char *path, spf__render_fn *render, const void *ctx)
{
    struct stat st;
    char *real;
    int r;

    /* Only a regular file is replaced whole: a rename over anything else
     * would destroy it (a device node, a FIFO a reader waits on). */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? -EISDIR : write_through(path, render, ctx);
    if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
        return publish(path, render, ctx);
    /* A link to a regular file: the file is replaced, the link stays. A
     * link through /proc (/dev/stdout to a redirected file) names an open
     * file of ours, which only a write through keeps. */
    real = realpath(path, NULL);
    if (!real)
        return -errno;
    if (strncmp(real, "/proc/", 6) == 0 || strncmp(real, "/dev/", 5) == 0)
        r = write_through(path, render, ctx);
    else
        r = publish(real, render, ctx);
    free(real);
    return r;
}

static int publish(const char *path, spf__render_fn *render, const void *ctx)
{
    char *tmp = NULL;
    int fd = create_tmp(path, &tmp), r;
    FILE *f;

    if (fd < 0)
        return fd;
    f = fdopen(fd, "w");
    if (!f) {
        r = -errno;
        close(fd);
        goto out;
    }

    /* Synced before the rename, so a crash cannot leave an empty file
     * where the previous report was. */
    r = close_file(f, true, -EIO, render(ctx, f));
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;

out:
    if (r < 0)
        unlink(tmp);
    free(tmp);
    return r;
}

int spf__output_stream(FILE *dest, spf__render_fn *render, const void *ctx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int r;

    if (!m)
        return -ENOMEM;
    r = close_file(m, false, -ENOMEM, render(ctx, m));

    errno = 0;
    if (r == 0 && fwrite(buf, 1, len, dest) != len)
        r = errno ? -errno : -EIO;
    if (r == 0 && fflush(dest) != 0)
        r = -errno;
    free(buf);
    return r;
}
