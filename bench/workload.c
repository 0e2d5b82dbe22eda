/*
 * The write loops of the preload benchmark.  They run in a worker process
 * that has the preload (or libfiu, or nothing) loaded, so every write(2)
 * below goes through whatever that process interposes.  Only the loop
 * itself is timed: opening, thread creation and pinning are not.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "contend.h"
#include "workload.h"

#define PIPE_BYTES (1024 * 1024)

static int cpu_first = -1, cpu_last = -1;

int workload_init(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return -errno;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        if (cpu_first < 0)
            cpu_first = c;
        cpu_last = c;
    }
    return cpu_first < 0 ? -ESRCH : 0;
}

void workload_pin(int which)
{
    cpu_set_t set;

    if (cpu_first < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(which == 0 ? cpu_last : cpu_first, &set);
    /* Pinning only steadies the figures: a refusal leaves them noisier,
     * not wrong, so it is not an error. */
    (void)sched_setaffinity(0, sizeof(set), &set);
}

/* WORKLOAD_CALLS one-byte writes to fd: nanoseconds, or -errno. */
static int64_t timed_writes(int fd)
{
    static const char byte = 'x';
    int64_t t0 = mono_ns();

    for (int i = 0; i < WORKLOAD_CALLS; i++)
        if (write(fd, &byte, 1) != 1)
            return errno ? -errno : -EIO;
    return mono_ns() - t0;
}

struct writer {
    pthread_t thread;
    pthread_barrier_t *start;
    int which; /* CPU, as for workload_pin */
    int64_t ns;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    int fd;

    workload_pin(w->which);
    fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    w->ns = fd < 0 ? -errno : 0;
    pthread_barrier_wait(w->start);
    if (fd < 0)
        return NULL;
    w->ns = timed_writes(fd);
    close(fd);
    return NULL;
}

/* In the calling thread: while another thread of ours exists, even one
 * blocked in pthread_join, the kernel takes a reference on the file for
 * every write (the fd table is shared), which would slow the baseline
 * by half and flatter every ratio. */
static int64_t devnull_alone(void)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int64_t ns;

    if (fd < 0)
        return -errno;
    workload_pin(0);
    ns = timed_writes(fd);
    close(fd);
    return ns;
}

int64_t workload_devnull(int nthreads)
{
    struct writer w[2];
    pthread_barrier_t start;
    int64_t worst = 0;
    int started = 0, r = 0;

    if (nthreads == 1)
        return devnull_alone();
    if (nthreads != 2)
        return -EINVAL;
    pthread_barrier_init(&start, NULL, (unsigned)nthreads);
    for (; started < nthreads; started++) {
        w[started] = (struct writer){.start = &start, .which = started};
        r = pthread_create(&w[started].thread, NULL, writer_main, &w[started]);
        if (r != 0)
            break;
    }
    /* Stand in for a thread that could not start, so that the one that
     * did passes the barrier and can be joined. */
    if (r != 0 && started > 0)
        pthread_barrier_wait(&start);
    for (int i = 0; i < started; i++) {
        pthread_join(w[i].thread, NULL);
        if (worst >= 0 && (w[i].ns < 0 || w[i].ns > worst))
            worst = w[i].ns;
    }
    pthread_barrier_destroy(&start);
    return r != 0 ? -r : worst;
}

int64_t workload_getpid(void)
{
    int64_t t0;

    workload_pin(0);
    t0 = mono_ns();
    for (int i = 0; i < WORKLOAD_CALLS; i++)
        (void)syscall(SYS_getpid);
    return mono_ns() - t0;
}

/* Reads the pipe to end of file.  Its reads go through the interposer
 * too, but no plan of the benchmark names read. */
static void *drain_main(void *arg)
{
    static char buf[64 * 1024];
    int fd = *(int *)arg;

    workload_pin(1);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n == 0 || (n < 0 && errno != EINTR))
            return NULL;
    }
}

int64_t workload_pipe(void)
{
    pthread_t reader;
    int fds[2], r;
    int64_t ns;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    /* Room for the whole loop: the writer never blocks, so the figure is
     * the cost of a write and the reader's wake-ups, not of waiting. */
    (void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES);
    r = pthread_create(&reader, NULL, drain_main, &fds[0]);
    if (r != 0) {
        close(fds[0]);
        close(fds[1]);
        return -r;
    }
    workload_pin(0);
    ns = timed_writes(fds[1]);
    close(fds[1]);
    pthread_join(reader, NULL);
    close(fds[0]);
    return ns;
}
