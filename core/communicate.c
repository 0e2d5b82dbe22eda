/*
 * spf_proc_communicate(): feed stdin and drain stdout and stderr at the
 * same time with poll(2), so that no pipe can fill up and deadlock the
 * child against us, until end-of-file and the child's exit or a deadline.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "internal.h"

/* Input goes in slices the kernel accepts whole once POLLOUT is reported.
 * Output is read in CPython's 32 KiB, or in half the pipe when pipesize
 * made it larger: reading a pipe empty each time stalls its writer until
 * we come back, reading half of it lets the writer go on meanwhile (with
 * the default 64 KiB pipe, reads of 64 KiB made a 256 MiB cat 1.3 times
 * slower than reads of 32 KiB). */
#define IN_CHUNK PIPE_BUF
#define OUT_CHUNK 32768

static size_t out_chunk(const struct spf_proc *p)
{
    return p->pipesize > 2 * OUT_CHUNK ? (size_t)p->pipesize / 2 : OUT_CHUNK;
}

static void close_stream(struct spf_proc *p, int s)
{
    if (p->fds[s] >= 0) {
        close(p->fds[s]);
        p->fds[s] = -1;
    }
    /* No more output comes: the room kept for it goes back. */
    if (s > 0)
        spf__buf_trim(&p->out[s]);
}

/* Write one slice of at most max bytes.  Returns 0 or -errno; -EINTR and
 * -EAGAIN mean "nothing written, try again". */
static int write_input(struct spf_proc *p, size_t max)
{
    size_t left = p->input_len - p->input_off;
    ssize_t n =
        write(p->fds[0], p->input + p->input_off, left < max ? left : max);

    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return -errno;
        /* The child stopped reading: not an error (bpo-10963); keep
         * reading its output. */
        if (errno != EPIPE)
            return -errno;
        close_stream(p, 0);
        return 0;
    }
    p->input_off += (size_t)n;
    if (p->input_off == p->input_len)
        close_stream(p, 0);
    return 0;
}

/* Read once from stream s (max bytes).  Returns the count, 0 at
 * end-of-file (the stream is then closed) or -errno; -EINTR and -EAGAIN
 * mean "nothing read, try again". */
static ssize_t read_output(struct spf_proc *p, int s, size_t max)
{
    struct spf__buf *b = &p->out[s];
    ssize_t n;
    int r;

    /* Make room, then read straight into the buffer. */
    if ((r = spf__buf_reserve(b, max)) < 0)
        return r;
    n = read(p->fds[s], b->data + b->len, max);
    if (n < 0)
        return -errno;
    b->len += (size_t)n;
    b->data[b->len] = '\0';
    p->read_any[s] = true;
    if (n == 0)
        close_stream(p, s);
    return n;
}

static size_t poll_set(struct spf_proc *p, struct pollfd *pfd, int *which)
{
    size_t n = 0;

    if (p->fds[0] >= 0) {
        pfd[n] = (struct pollfd){.fd = p->fds[0], .events = POLLOUT};
        which[n++] = 0;
    }
    for (int s = 1; s < 3; s++) {
        if (p->fds[s] < 0)
            continue;
        pfd[n] = (struct pollfd){.fd = p->fds[s], .events = POLLIN};
        which[n++] = s;
    }
    return n;
}

static int serve(struct spf_proc *p, const struct pollfd *pfd, const int *which,
                 size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ssize_t r;

        if (pfd[i].revents & POLLNVAL)
            return -EBADF;
        if (!pfd[i].revents)
            continue;
        r = which[i] == 0 ? write_input(p, IN_CHUNK)
                          : read_output(p, which[i], out_chunk(p));
        if (r < 0 && r != -EINTR && r != -EAGAIN)
            return (int)r;
    }
    return 0;
}

/*
 * One stream and no deadline: there is nothing to multiplex, so the read
 * or the write itself blocks, without poll(2), as CPython's communicate
 * does in that case.  Returns 0, -EAGAIN when the caller made the pipe
 * non-blocking (then poll is needed after all), -EINTR when interrupted
 * (spf_popen_opts.interrupt), or -errno.
 */
static int serve_blocking(struct spf_proc *p, int s)
{
    ssize_t r;

    /* An interrupt ends the call, as CPython's KeyboardInterrupt ends its
     * read; a handler with SA_RESTART has the kernel restart the call
     * instead, so the flag is then seen when it returns. */
    do
        r = s == 0 ? write_input(p, SIZE_MAX) : read_output(p, s, out_chunk(p));
    while (r == -EINTR && !spf__interrupted(p));
    return r < 0 ? (int)r : 0;
}

/* Move data until every pipe is closed (0) or the deadline passes
 * (-ETIMEDOUT).  As in CPython, a deadline that has passed wins over
 * descriptors that became ready at the same time. */
static int pump(struct spf_proc *p, int64_t deadline)
{
    struct pollfd pfd[3];
    int which[3];
    bool may_block = deadline == SPF_FOREVER;

    for (;;) {
        size_t n = poll_set(p, pfd, which);
        int r;

        if (n == 0)
            return 0;
        if (n == 1 && may_block) {
            if ((r = serve_blocking(p, which[0])) == -EAGAIN)
                may_block = false;
            else if (r < 0)
                return r;
            continue;
        }
        if (spf__remaining_ns(deadline) < 0)
            return -ETIMEDOUT;
        r = poll(pfd, n, spf__remaining_poll_ms(deadline));
        if (r < 0 && errno == EINTR && spf__interrupted(p))
            return -EINTR;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (spf__remaining_ns(deadline) < 0)
            return -ETIMEDOUT;
        if ((r = serve(p, pfd, which, n)) < 0)
            return r;
    }
}

/*
 * The deadline passed.  A live child is a timeout.  A child that has
 * already exited is not (gh-97000): take what its pipes hold right now,
 * without waiting for end-of-file that a grandchild may never give, and
 * finish.  The drain reads only what FIONREAD reports, so it is bounded.
 */
static int at_deadline(struct spf_proc *p)
{
    int r = spf__proc_collect(p, false);

    if (r <= 0)
        return r < 0 ? r : -ETIMEDOUT;
    for (int s = 1; s < 3; s++) {
        int avail = 0;

        if (p->fds[s] < 0)
            continue;
        if (ioctl(p->fds[s], FIONREAD, &avail) == 0 && avail > 0) {
            ssize_t got;

            do
                got = read_output(p, s, (size_t)avail);
            while (got == -EINTR || got == -EAGAIN);
            if (got < 0)
                return (int)got;
        }
        close_stream(p, s);
    }
    close_stream(p, 0);
    return 0;
}

static int start(struct spf_proc *p, const void *input, size_t len)
{
    p->comm_started = true;
    if (p->fds[0] < 0)
        return 0; /* input without a stdin pipe is ignored (COM-19) */
    if (len == 0) {
        close_stream(p, 0);
        return 0;
    }
    if (!(p->input = malloc(len)))
        return -ENOMEM;
    memcpy(p->input, input, len);
    p->input_len = len;
    return 0;
}

/*
 * Writing to a pipe whose reader is gone raises SIGPIPE, which kills a
 * process that has not ignored it (CPython ignores it process-wide; a
 * library may not).  SIGPIPE is blocked in this thread while we pump, and a
 * SIGPIPE we caused is consumed before the mask is restored.
 */
static int pump_nosigpipe(struct spf_proc *p, int64_t deadline)
{
    sigset_t pipe_set, old, pending;
    bool was_pending;
    int r;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    r = pump(p, deadline);
    if (!was_pending) {
        static const struct timespec zero = {0, 0};

        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}

int spf_proc_communicate(struct spf_proc *p, const void *input, size_t len,
                         int64_t timeout_ns)
{
    int64_t deadline = spf__deadline_after(timeout_ns);
    int r;

    if (p->comm_started && len > 0)
        return -EINVAL; /* "Cannot send input after starting" */
    if (!p->comm_started && (r = start(p, input, len)) < 0)
        return r;
    r = p->fds[0] >= 0 ? pump_nosigpipe(p, deadline) : pump(p, deadline);
    if (r == -ETIMEDOUT)
        return at_deadline(p);
    if (r == -EINTR)
        return spf__proc_grace(p, deadline);
    if (r < 0)
        return r;
    /* Every pipe is at end-of-file; the child may still run (TMO-13).
     * Unlike CPython, what was read stays available after a timeout
     * here (docs/conformance.md). */
    return spf_proc_wait(p, spf__remaining_ns(deadline), NULL);
}

struct spf_output spf_proc_output(const struct spf_proc *p, int stream)
{
    struct spf_output o = {0};

    if (stream != 1 && stream != 2)
        return o;
    o.data = p->out[stream].data ? p->out[stream].data : "";
    o.len = p->out[stream].len;
    o.captured = p->captured[stream];
    o.read_any = p->read_any[stream];
    return o;
}
