/*
 * System calls per spawn, counted with ptrace(2): no external tool, no
 * noise.  A forked subject spawns the target n times between two marker
 * calls (getpid with a magic first argument); the tracer follows every
 * process the subject creates and counts syscall-entry stops.  A child's
 * calls count up to and including its execve: what the target does after
 * that is not the spawn's.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscount.h"

#define MARK_START 0x5bf15bf1UL
#define MARK_END 0x5bf15bf2UL

#define MAX_PIDS 64

struct tracee {
    pid_t pid;
    bool exec_done;
};

struct tracer {
    pid_t root;
    bool counting, done;
    long parent, child;
    struct tracee t[MAX_PIDS];
    int n;
};

_Noreturn static void subject(enum contender c, const char *path, int npipes,
                              int n)
{
    int bad = 0;

    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
        _exit(2);
    raise(SIGSTOP);
    bad |= contend_spawn(c, path, npipes) < 0; /* warm-up */
    syscall(SYS_getpid, MARK_START);
    for (int i = 0; i < n; i++)
        bad |= contend_spawn(c, path, npipes) < 0;
    syscall(SYS_getpid, MARK_END);
    _exit(bad);
}

static struct tracee *find(struct tracer *tr, pid_t pid)
{
    for (int i = 0; i < tr->n; i++)
        if (tr->t[i].pid == pid)
            return &tr->t[i];
    if (tr->n == MAX_PIDS)
        tr->n = 1; /* the root stays; children are long gone */
    tr->t[tr->n] = (struct tracee){.pid = pid};
    return &tr->t[tr->n++];
}

static bool is_marker(struct tracer *tr, struct tracee *t,
                      const struct __ptrace_syscall_info *si)
{
    if (t->pid != tr->root || si->entry.nr != SYS_getpid)
        return false;
    if (si->entry.args[0] == MARK_START)
        tr->counting = true;
    else if (si->entry.args[0] == MARK_END)
        tr->done = true;
    return si->entry.args[0] == MARK_START || si->entry.args[0] == MARK_END;
}

/*
 * Count a call at its entry.  A call that returns ERESTART* (512 to 516)
 * will enter again: that happens here only because a traced process is
 * woken for every signal, even one it ignores (SIGCHLD at its default
 * interrupts the parent's wait4), so the first entry is taken back.
 */
static void on_syscall(struct tracer *tr, struct tracee *t)
{
    struct __ptrace_syscall_info si;
    long delta;

    if (ptrace(PTRACE_GET_SYSCALL_INFO, t->pid, sizeof(si), &si) <= 0)
        return;
    if (si.op == PTRACE_SYSCALL_INFO_ENTRY && is_marker(tr, t, &si))
        return;
    if (si.op == PTRACE_SYSCALL_INFO_ENTRY)
        delta = 1;
    else if (si.op == PTRACE_SYSCALL_INFO_EXIT && si.exit.is_error &&
             si.exit.rval <= -512 && si.exit.rval >= -516)
        delta = -1;
    else
        return;
    if (!tr->counting || tr->done || t->exec_done)
        return;
    if (t->pid == tr->root)
        tr->parent += delta;
    else
        tr->child += delta;
}

/* Handle one stop; returns the signal to deliver on resuming. */
static int on_stop(struct tracer *tr, pid_t pid, int status)
{
    struct tracee *t = find(tr, pid);
    int sig = WSTOPSIG(status), event = status >> 16;

    if (sig == (SIGTRAP | 0x80)) {
        on_syscall(tr, t);
        return 0;
    }
    if (event == PTRACE_EVENT_EXEC) {
        t->exec_done = true;
        return 0;
    }
    if (event != 0 || sig == SIGSTOP)
        return 0; /* fork/vfork/clone events, new tracees' first stop */
    return sig;
}

static int trace(struct tracer *tr)
{
    const long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |
                      PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                      PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
    int status, root_status = -1;
    pid_t pid;

    if (waitpid(tr->root, &status, 0) < 0 || !WIFSTOPPED(status))
        return -ECHILD;
    if (ptrace(PTRACE_SETOPTIONS, tr->root, NULL, (void *)opts) < 0)
        return -errno;
    ptrace(PTRACE_SYSCALL, tr->root, NULL, NULL);
    while ((pid = waitpid(-1, &status, __WALL)) > 0) {
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (pid == tr->root)
                root_status = status;
            continue;
        }
        ptrace(PTRACE_SYSCALL, pid, NULL,
               (void *)(long)on_stop(tr, pid, status));
    }
    if (!tr->done || !WIFEXITED(root_status) || WEXITSTATUS(root_status))
        return -EPROTO;
    return 0;
}

int syscount_run(enum contender c, const char *path, int npipes, int n,
                 struct syscount *ret)
{
    struct tracer tr = {0};
    int r;

    tr.root = fork();
    if (tr.root < 0)
        return -errno;
    if (tr.root == 0)
        subject(c, path, npipes, n);
    find(&tr, tr.root);
    r = trace(&tr);
    if (r < 0) {
        kill(tr.root, SIGKILL);
        while (waitpid(-1, NULL, __WALL) > 0)
            ;
        return r;
    }
    ret->parent = (double)tr.parent / n;
    ret->child = (double)tr.child / n;
    return 0;
}
