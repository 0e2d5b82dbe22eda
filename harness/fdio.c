/* Whole-file reads and writes on fds. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fdio.h"

int spf__read_all(int fd, char **ret_data, size_t *ret_len)
{
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap + 1);
    int r;

    if (!buf)
        return -ENOMEM;
    if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE) {
        r = -errno;
        free(buf);
        return r;
    }
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *nb = cap > SIZE_MAX / 4 ? NULL : realloc(buf, 2 * cap + 1);

            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            free(buf);
            return r;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret_data = buf;
    *ret_len = len;
    return 0;
}

int spf__write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
