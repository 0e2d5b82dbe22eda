/*
 * A spawned child's life after spf_popen(): status collection, waiting
 * with a deadline, signalling, and release (with later reaping of children
 * released while still running).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "internal.h"

pid_t spf_proc_pid(const struct spf_proc *p)
{
    return p->pid;
}

int spf_proc_pipe_fd(const struct spf_proc *p, int stream)
{
    return stream >= 0 && stream < 3 ? p->fds[stream] : -1;
}

int spf_proc_close_pipe(struct spf_proc *p, int stream)
{
    if (stream < 0 || stream > 2)
        return -EINVAL;
    if (p->fds[stream] < 0)
        return 0;
    close(p->fds[stream]);
    p->fds[stream] = -1;
    return 0;
}

/* One waitpid with the lock held.  ECHILD (SIGCHLD ignored, or the child
 * reaped behind our back) counts as an exit with status 0, as CPython's
 * _try_wait does (bpo-15756): docs/conformance.md. */
static int collect_locked(struct spf_proc *p, bool block)
{
    int status;
    pid_t r;

    if (p->done)
        return 1;
    do
        r = waitpid(p->pid, &status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno != ECHILD)
        return -errno;
    if (r == 0)
        return 0;
    p->returncode = r < 0 ? 0 : spf_status_decode(status);
    __atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
    return 1;
}

int spf__proc_collect(struct spf_proc *p, bool block)
{
    int r;

    if (__atomic_load_n(&p->done, __ATOMIC_ACQUIRE))
        return 1;
    if (block)
        pthread_mutex_lock(&p->waitlock);
    else if (pthread_mutex_trylock(&p->waitlock) != 0)
        return 0; /* another thread is collecting: "not finished yet" */
    r = collect_locked(p, block);
    pthread_mutex_unlock(&p->waitlock);
    return r;
}

int spf_proc_poll(struct spf_proc *p, int *ret_code)
{
    int r = spf__proc_collect(p, false);

    if (r == 1)
        *ret_code = p->returncode;
    return r;
}

/* Sleep until the child may have exited, at most until the deadline: on
 * the pidfd when we have one, else by CPython's doubling back-off. */
static void nap(struct spf_proc *p, int64_t deadline, int64_t *delay_ns)
{
    int64_t left = spf__remaining_ns(deadline), d;
    struct timespec ts;

    if (p->pidfd >= 0 && *delay_ns == 0) {
        struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};

        poll(&pfd, 1, spf__remaining_poll_ms(deadline));
        return;
    }
    d = *delay_ns ? *delay_ns * 2 : 500000;
    if (d > 50000000)
        d = 50000000;
    if (d > left)
        d = left;
    *delay_ns = d;
    ts.tv_sec = d / 1000000000;
    ts.tv_nsec = d % 1000000000;
    nanosleep(&ts, NULL);
}

/* Wait until the deadline; with interruptible, an interrupt flag set by
 * a signal handler ends the wait with the grace of 2.6. */
static int wait_deadline(struct spf_proc *p, int64_t deadline,
                         bool interruptible)
{
    int64_t delay = 0;

    for (;;) {
        int r = spf__proc_collect(p, false);

        /* A child that died of the same signal (a terminal's SIGINT goes
         * to the whole group) may be collected before the flag is seen:
         * the call was interrupted all the same, as CPython raises
         * KeyboardInterrupt out of its retried waitpid. */
        if (r > 0 && interruptible && spf__interrupted(p)) {
            p->grace_used = true;
            return -EINTR;
        }
        if (r != 0)
            return r < 0 ? r : 0;
        if (spf__remaining_ns(deadline) <= 0)
            return -ETIMEDOUT;
        if (interruptible && spf__interrupted(p))
            return spf__proc_grace(p, deadline);
        /* While another thread holds the lock, the pidfd stays readable
         * until it reaps: back off instead of spinning on it. */
        if (pthread_mutex_trylock(&p->waitlock) == 0)
            pthread_mutex_unlock(&p->waitlock);
        else if (delay == 0)
            delay = 500000;
        nap(p, deadline, &delay);
    }
}

bool spf__interrupted(const struct spf_proc *p)
{
    return p->interrupt && *p->interrupt;
}

/* CPython waits min(0.25 s, remaining) once, on the assumption that the
 * child got the same SIGINT from the terminal and is about to exit, and
 * does not wait again on a second interrupt (_sigint_wait_secs = 0). */
#define GRACE_NS 250000000

int spf__proc_grace(struct spf_proc *p, int64_t deadline)
{
    int64_t grace = spf__deadline_after(GRACE_NS);

    if (!p->grace_used) {
        p->grace_used = true;
        wait_deadline(p, deadline < grace ? deadline : grace, false);
    }
    return -EINTR;
}

int spf_proc_wait(struct spf_proc *p, int64_t timeout_ns, int *ret_code)
{
    int r;

    if (timeout_ns == SPF_FOREVER && !p->interrupt) {
        /* A blocking waitpid may still return 0 on some systems
         * (bpo-14396): loop until the status is known. */
        while ((r = spf__proc_collect(p, true)) == 0)
            ;
        r = r < 0 ? r : 0;
    } else {
        /* With an interrupt flag even an unbounded wait sleeps in poll(2)
         * or nanosleep(2), which a signal handler always interrupts; a
         * blocking waitpid would be restarted under SA_RESTART. */
        r = wait_deadline(p, spf__deadline_after(timeout_ns), true);
    }
    if (r == 0 && ret_code)
        *ret_code = p->returncode;
    return r;
}

int spf_proc_send_signal(struct spf_proc *p, int sig)
{
    int r = spf__proc_collect(p, false);

    /* Polling first means a child we have reaped (whose pid may already
     * belong to someone else) is never signalled (bpo-38630). */
    if (r == 1)
        return 0;
    if (p->pidfd >= 0)
        r = (int)syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
    else
        r = kill(p->pid, sig);
    if (r < 0 && errno != ESRCH)
        return -errno;
    return 0;
}

int spf_proc_terminate(struct spf_proc *p)
{
    return spf_proc_send_signal(p, SIGTERM);
}

int spf_proc_kill(struct spf_proc *p)
{
    return spf_proc_send_signal(p, SIGKILL);
}

/* Children released while running: reaped later, never waited for. */
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t *active;
static size_t n_active, cap_active;

size_t spf__active_reap(void)
{
    size_t kept = 0;

    pthread_mutex_lock(&active_lock);
    for (size_t i = 0; i < n_active; i++) {
        pid_t r;

        do
            r = waitpid(active[i], NULL, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0)
            active[kept++] = active[i];
    }
    n_active = kept;
    pthread_mutex_unlock(&active_lock);
    return kept;
}

size_t spf_proc_reap_released(void)
{
    return spf__active_reap();
}

static void active_add(pid_t pid)
{
    pthread_mutex_lock(&active_lock);
    if (n_active == cap_active) {
        size_t cap = cap_active ? 2 * cap_active : 16;
        pid_t *n = realloc(active, cap * sizeof(*n));

        if (n) {
            active = n;
            cap_active = cap;
        }
    }
    /* XXX: without memory for the list the pid is forgotten and its
     * zombie stays until we exit; there is no better choice that does
     * not block or kill the caller's child. */
    if (n_active < cap_active)
        active[n_active++] = pid;
    pthread_mutex_unlock(&active_lock);
}

void spf_proc_free(struct spf_proc *p)
{
    if (!p)
        return;
    for (int i = 0; i < 3; i++) {
        if (p->fds[i] >= 0)
            close(p->fds[i]);
        spf__buf_free(&p->out[i]);
    }
    if (p->pidfd >= 0)
        close(p->pidfd);
    if (p->pid > 0 && spf__proc_collect(p, false) == 0)
        active_add(p->pid);
    free(p->input);
    pthread_mutex_destroy(&p->waitlock);
    free(p);
}
