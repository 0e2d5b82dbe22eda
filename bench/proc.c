/* What the benchmarks' driver and their helper processes share (proc.h). */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "proc.h"

int bench_io_full(int fd, void *buf, size_t len, bool wr)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = wr ? write(fd, (char *)buf + off, len - off)
                       : read(fd, (char *)buf + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EPIPE;
        off += (size_t)n;
    }
    return 0;
}

void bench_die_with_parent(void)
{
    pid_t parent = getppid();

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
}
