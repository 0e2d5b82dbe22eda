/*
 * spf_popen(): the parent's half of a spawn.
 *
 * Everything that allocates happens here, before the child exists: argv,
 * envp, the exec candidates, the fd plan.  Then the child is created one
 * of two ways:
 *
 * - the fast path, clone3(CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND |
 *   CLONE_PIDFD) on a stack kept per thread: the kernel resets the
 *   child's handlers, so no signal is blocked; the child shares our
 *   memory until it execs, so its error record comes back through that
 *   memory and no errpipe is made; the pidfd comes with the child.
 * - elsewhere (no clone3, no trampoline for this architecture, valgrind,
 *   vfork not allowed, or clone(2) interposed by a fault injector or a
 *   tracer that expects to see our spawns): all signals are blocked, the
 *   child is made with clone(CLONE_VM | CLONE_VFORK) or fork, the mask is
 *   restored and the errpipe is read to end-of-file.
 *
 * No record means the exec succeeded; a record is decoded after the child
 * has been reaped.  Every failure path releases every fd it created and
 * leaves no zombie.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__has_include) && __has_include(<gnu/lib-names.h>)
#include <gnu/lib-names.h>
#endif

#include "child.h"
#include "errpipe.h"
#include "execpath.h"
#include "internal.h"
#include "validate.h"
#include "spf-config.h"

#if HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#if SPF_WITH_FIU
/* Without FIU_ENABLE the libfiu headers turn every call into a no-op. */
#define FIU_ENABLE 1
#include <fiu.h>
#else
#define fiu_fail(name) 0
#define fiu_failinfo() NULL
#endif

/* Stack for a child sharing our memory: it runs only child.c and exec,
 * plus whatever a fault-injection preload wraps around those calls. */
#define CHILD_STACK_SIZE (256 * 1024)

/* clone3's flag, in case the C library's headers predate it. */
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

/* struct clone_args up to CLONE_ARGS_SIZE_VER0 (linux/sched.h), kept
 * here so that <sched.h> and <linux/sched.h> need not meet. */
struct clone3_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
        stack_size, tls;
};

struct spawn {
    const struct spf_popen_opts *o;
    char **argv, **envp, **cands;
    char *cwd, *orig_exec;
    int *keep;
    gid_t *groups;
    int pipes[3][2]; /* [stream][0: read end, 1: write end] */
    int devnull;
    int errpipe[2];
    struct spf__child_report report; /* the fast path's errpipe */
    struct spf__child_plan plan;
};

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* A NUL-terminated vector of n strings, in one block: a[i] + b[i]
 * (b may be NULL; sep joins them when b is given). */
static char **strvec(const struct spf_str *a, const struct spf_str *b,
                     size_t stride, size_t n, char sep)
{
    size_t bytes = (n + 1) * sizeof(char *);
    char **vec, *s;

    for (size_t i = 0; i < n; i++) {
        const struct spf_str *x = (const void *)((const char *)a + i * stride);
        const struct spf_str *y =
            b ? (const void *)((const char *)b + i * stride) : NULL;
        bytes += x->len + 1 + (y ? y->len + 1 : 0);
    }
    if (!(vec = malloc(bytes)))
        return NULL;
    s = (char *)(vec + n + 1);
    for (size_t i = 0; i < n; i++) {
        const struct spf_str *x = (const void *)((const char *)a + i * stride);
        const struct spf_str *y =
            b ? (const void *)((const char *)b + i * stride) : NULL;
        vec[i] = s;
        memcpy(s, x->ptr, x->len);
        s += x->len;
        if (y) {
            *s++ = sep;
            memcpy(s, y->ptr, y->len);
            s += y->len;
        }
        *s++ = '\0';
    }
    vec[n] = NULL;
    return vec;
}

static char *str_dup(struct spf_str s)
{
    char *d = malloc(s.len + 1);

    if (d) {
        memcpy(d, s.ptr, s.len);
        d[s.len] = '\0';
    }
    return d;
}

/* PATH for the search: from the new environment when one is given (its
 * first PATH entry, which is the one the child's getenv would see), else
 * ours.  NULL when unset. */
static const char *search_path(struct spawn *sp)
{
    const struct spf_popen_opts *o = sp->o;

    if (!o->env_replace)
        return getenv("PATH");
    for (size_t i = 0; i < o->envc; i++)
        if (o->env[i].name.len == 4 &&
            memcmp(o->env[i].name.ptr, "PATH", 4) == 0)
            return sp->envp[i] + 5;
    return NULL;
}

static int prepare_strings(struct spawn *sp)
{
    const struct spf_popen_opts *o = sp->o;
    struct spf_str prog = o->executable.ptr ? o->executable : o->argv[0];

    sp->argv = strvec(o->argv, NULL, sizeof(struct spf_str), o->argc, 0);
    if (o->env_replace)
        sp->envp = strvec(&o->env[0].name, &o->env[0].value,
                          sizeof(struct spf_env_var), o->envc, '=');
    if (!sp->argv || (o->env_replace && !sp->envp))
        return -ENOMEM;
    if (!(sp->orig_exec = str_dup(prog)))
        return -ENOMEM;
    if (o->cwd.ptr && !(sp->cwd = str_dup(o->cwd)))
        return -ENOMEM;
    sp->cands = spf__exec_candidates(sp->orig_exec, search_path(sp));
    return sp->cands ? 0 : -ENOMEM;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* One of the ends the parent keeps: the child never inherits it. */
static bool parent_end(const struct spawn *sp, int fd)
{
    return fd == sp->pipes[0][1] || fd == sp->pipes[1][0] ||
           fd == sp->pipes[2][0] || fd == sp->errpipe[0];
}

/*
 * The fds the child keeps through close_fds: pass_fds and the errpipe
 * when there is one, sorted and unique.  A passed number one of our
 * parent ends landed on (the caller passed an fd that was not open) is
 * left out: CPython makes it inheritable, then closes the parent's ends,
 * so the child never has it (FD-18).  Left close-on-exec, it goes at exec
 * here without a system call.
 */
static int prepare_keep(struct spawn *sp)
{
    const struct spf_popen_opts *o = sp->o;
    size_t n = 0;

    free(sp->keep);
    sp->keep = malloc((o->n_pass_fds + 1) * sizeof(int));
    if (!sp->keep)
        return -ENOMEM;
    for (size_t i = 0; i < o->n_pass_fds; i++)
        if (!parent_end(sp, o->pass_fds[i]))
            sp->keep[n++] = o->pass_fds[i];
    if (sp->errpipe[1] >= 0)
        sp->keep[n++] = sp->errpipe[1];
    qsort(sp->keep, n, sizeof(int), cmp_int);
    sp->plan.n_keep = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || sp->keep[i] != sp->keep[i - 1])
            sp->keep[sp->plan.n_keep++] = sp->keep[i];
    sp->plan.keep = sp->keep;
    return 0;
}

/* The errpipe's write end must not be 0, 1 or 2: the child dup2()s onto
 * those before it may need to report. */
static int make_errpipe(struct spawn *sp)
{
    if (pipe2(sp->errpipe, O_CLOEXEC) < 0)
        return -errno;
    if (sp->errpipe[1] < 3) {
        int fd = fcntl(sp->errpipe[1], F_DUPFD_CLOEXEC, 3);
        int r = -errno;

        close(sp->errpipe[1]);
        sp->errpipe[1] = fd;
        if (fd < 0)
            return r;
    }
    return 0;
}

static int make_std(struct spawn *sp, int i)
{
    const struct spf_stdio *s = &sp->o->std[i];

    switch (s->kind) {
    case SPF_STDIO_PIPE:
        if (pipe2(sp->pipes[i], O_CLOEXEC) < 0)
            return -errno;
        /* As CPython, on the write end; a refusal (EPERM above
         * pipe-max-size, EBUSY) fails the spawn. */
        if (sp->o->pipesize > 0 &&
            fcntl(sp->pipes[i][1], F_SETPIPE_SZ, sp->o->pipesize) < 0)
            return -errno;
        sp->plan.std_src[i] = sp->pipes[i][i == 0 ? 0 : 1];
        return 0;
    case SPF_STDIO_DEVNULL:
        if (sp->devnull < 0 &&
            (sp->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
            return -errno;
        sp->plan.std_src[i] = sp->devnull;
        return 0;
    case SPF_STDIO_FD:
        sp->plan.std_src[i] = s->fd;
        return 0;
    case SPF_STDIO_STDOUT:
        /* Wherever stdout goes; our own fd 1 when stdout is inherited. */
        sp->plan.std_src[i] =
            sp->plan.std_src[1] >= 0 ? sp->plan.std_src[1] : 1;
        return 0;
    default:
        return 0;
    }
}

static int prepare_fds(struct spawn *sp)
{
    int r;

    for (int i = 0; i < 3; i++)
        if ((r = make_std(sp, i)) < 0)
            return r;
    return prepare_keep(sp);
}

/* The errpipe, for a child that does not share our memory. */
static int prepare_errpipe(struct spawn *sp)
{
    int r;

    if ((r = make_errpipe(sp)) < 0)
        return r;
    sp->plan.errpipe_w = sp->errpipe[1];
    return prepare_keep(sp);
}

/* The supplementary groups as the kernel takes them; validate.c has
 * checked the range. */
static int prepare_identity(struct spawn *sp)
{
    const struct spf_popen_opts *o = sp->o;

    sp->plan.uid = o->user;
    sp->plan.gid = o->group;
    sp->plan.set_groups = o->set_extra_groups;
    if (!o->set_extra_groups || o->n_extra_groups == 0)
        return 0;
    sp->groups = malloc(o->n_extra_groups * sizeof(gid_t));
    if (!sp->groups)
        return -ENOMEM;
    for (size_t i = 0; i < o->n_extra_groups; i++)
        sp->groups[i] = (gid_t)o->extra_groups[i];
    sp->plan.groups = sp->groups;
    sp->plan.n_groups = o->n_extra_groups;
    return 0;
}

static void prepare_plan(struct spawn *sp)
{
    const struct spf_popen_opts *o = sp->o;

    sp->plan.argv = sp->argv;
    sp->plan.envp = sp->envp;
    sp->plan.candidates = sp->cands;
    sp->plan.cwd = sp->cwd;
    /* pass_fds forces close_fds, as in CPython (with its warning). */
    sp->plan.close_fds = o->close_fds || o->n_pass_fds;
    sp->plan.max_fd = -1;
    sp->plan.new_session = o->start_new_session;
    sp->plan.pgid = o->process_group >= 0 ? o->process_group : -1;
    sp->plan.umask = o->umask >= 0 ? o->umask : -1;
    sp->plan.restore_signals = o->restore_signals;
}

static void spawn_init(struct spawn *sp, const struct spf_popen_opts *o)
{
    memset(sp, 0, sizeof(*sp));
    sp->o = o;
    sp->devnull = -1;
    sp->errpipe[0] = sp->errpipe[1] = -1;
    sp->plan.errpipe_w = -1;
    for (int i = 0; i < 3; i++) {
        sp->pipes[i][0] = sp->pipes[i][1] = -1;
        sp->plan.std_src[i] = -1;
    }
}

/* Close what only the child needed: the errpipe's write end, the child's
 * ends of our pipes and /dev/null (never fds the caller gave us). */
static void close_child_side(struct spawn *sp)
{
    close_fd(&sp->errpipe[1]);
    close_fd(&sp->pipes[0][0]);
    close_fd(&sp->pipes[1][1]);
    close_fd(&sp->pipes[2][1]);
    close_fd(&sp->devnull);
}

static void spawn_free(struct spawn *sp)
{
    close_child_side(sp);
    close_fd(&sp->errpipe[0]);
    close_fd(&sp->pipes[0][1]);
    close_fd(&sp->pipes[1][0]);
    close_fd(&sp->pipes[2][0]);
    free(sp->argv);
    free(sp->envp);
    free(sp->cands);
    free(sp->cwd);
    free(sp->orig_exec);
    free(sp->keep);
    free(sp->groups);
}

/* As CPython (SET-10): a user, group or extra_groups (even empty) means
 * fork, see identity() in child.c. */
bool spf__popen_shares_memory(const struct spf_popen_opts *o)
{
    return o->allow_vfork && o->user == -1 && o->group == -1 &&
           !o->set_extra_groups;
}

static pid_t clone_vm(struct spf__child_plan *plan)
{
    void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    pid_t pid;
    int err;

    if (stack == MAP_FAILED)
        return -1;
    /* CLONE_VFORK suspends us until the child has exec'd or exited, so
     * its stack can go as soon as clone returns. */
    pid = clone(spf__child_main, (char *)stack + CHILD_STACK_SIZE,
                CLONE_VM | CLONE_VFORK | SIGCHLD, plan);
    err = errno;
    munmap(stack, CHILD_STACK_SIZE);
    errno = err;
    return pid;
}

/* Create the child with every signal blocked, so no handler of ours runs
 * in it before it has reset them.  Returns the pid or -errno. */
static pid_t start_child(struct spawn *sp)
{
    sigset_t all;
    pid_t pid = -1;
    int err;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &sp->plan.parent_mask);
    /* valgrind runs a CLONE_VM child as a fork anyway, on a stack it does
     * not track, and then sees the parent's blocks as leaked in the
     * child; fork gives it the same semantics with a stack it knows. */
    if (spf__popen_shares_memory(sp->o) && !RUNNING_ON_VALGRIND)
        pid = clone_vm(&sp->plan);
    /* As CPython does, a failed vfork-style clone (EINVAL under some
     * sandboxes, bpo-47151) falls back to fork. */
    if (pid < 0) {
        pid = fork();
        if (pid == 0)
            spf__child_exec_or_die(&sp->plan);
    }
    err = errno;
    pthread_sigmask(SIG_SETMASK, &sp->plan.parent_mask, NULL);
    return pid < 0 ? -err : pid;
}

/*
 * The fast path.  Its state is decided once per process: 0 not yet, 1
 * usable, -1 not (clone(2) is interposed, or clone3 was refused for good).
 */
static int fast_state;

/* Whoever wraps clone(2) (the fault preload, a sandbox, a tracer) wants
 * to see our children made; a raw clone3 would go around it. */
static bool clone_interposed(void)
{
#ifdef LIBC_SO
    void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
    bool r = false;

    if (libc) {
        r = dlsym(RTLD_DEFAULT, "clone") != dlsym(libc, "clone");
        dlclose(libc);
    }
    return r;
#else
    return false;
#endif
}

static bool fast_usable(const struct spf_popen_opts *o)
{
    int state = __atomic_load_n(&fast_state, __ATOMIC_RELAXED);

    /* valgrind refuses clone3 with ENOSYS anyway. */
    if (!SPF__HAVE_CLONE3_RUN || !spf__popen_shares_memory(o) ||
        RUNNING_ON_VALGRIND)
        return false;
    if (state == 0) {
        state = clone_interposed() ? -1 : 1;
        __atomic_store_n(&fast_state, state, __ATOMIC_RELAXED);
    }
    return state > 0;
}

/* One stack per thread, made on its first spawn and kept: a thread makes
 * one child at a time and is suspended while the child runs on it.  A
 * guard page below catches an overflow. */
static pthread_key_t stack_key;
static bool stack_key_made;
static pthread_once_t stack_once = PTHREAD_ONCE_INIT;

static void stack_release(void *stack)
{
    munmap((char *)stack - 4096, CHILD_STACK_SIZE + 4096);
}

static void stack_key_make(void)
{
    stack_key_made = pthread_key_create(&stack_key, stack_release) == 0;
}

static void *thread_stack(void)
{
    char *s;

    if (pthread_once(&stack_once, stack_key_make) != 0 || !stack_key_made)
        return NULL;
    if ((s = pthread_getspecific(stack_key)))
        return s;
    s = mmap(NULL, CHILD_STACK_SIZE + 4096, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (s == MAP_FAILED)
        return NULL;
    if (mprotect(s + 4096, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE) < 0 ||
        pthread_setspecific(stack_key, s + 4096) != 0) {
        munmap(s, CHILD_STACK_SIZE + 4096);
        return NULL;
    }
    return s + 4096;
}

/* Create the child by the fast path: its pid, or -errno when it could
 * not (the caller then takes the errpipe path). */
static pid_t start_fast(struct spawn *sp, int *ret_pidfd)
{
#if SPF__HAVE_CLONE3_RUN
    char *stack = thread_stack();
    struct clone3_args args = {
        .flags = CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND | CLONE_PIDFD,
        .pidfd = (uintptr_t)ret_pidfd,
        .exit_signal = SIGCHLD,
        .stack = (uintptr_t)stack,
        .stack_size = CHILD_STACK_SIZE,
    };
    long pid;

    if (!stack)
        return -ENOMEM;
    sp->plan.report = &sp->report;
    sp->plan.sighand_cleared = true;
    pid = spf__clone3_run(&args, sizeof(args), spf__child_main, &sp->plan);
    if (pid >= 0)
        return (pid_t)pid;
    sp->plan.report = NULL;
    sp->plan.sighand_cleared = false;
    /* A kernel before 5.5 (EINVAL: no CLONE_CLEAR_SIGHAND), before 5.3
     * or a seccomp filter (ENOSYS, EPERM) will not change its mind. */
    if (pid == -ENOSYS || pid == -EINVAL || pid == -EPERM || pid == -E2BIG)
        __atomic_store_n(&fast_state, -1, __ATOMIC_RELAXED);
    return (pid_t)pid;
#else
    return -ENOSYS;
#endif
}

/*
 * libfiu point "spf/errpipe/forge": write the bytes of the struct spf_str
 * given as failinfo into the errpipe, as if the child had written them.
 * This reaches the decoder's garbled-record paths that no system call
 * fault can produce.  The pipe is enlarged first so the write cannot block.
 */
#define FIU_FORGE "spf/errpipe/forge"

const char *const spf_fiu_points[] = {FIU_FORGE, NULL};

static const struct spf_str *forged_bytes(void)
{
    const struct spf_str *data;

    if (!fiu_fail(FIU_FORGE))
        return NULL;
    data = fiu_failinfo();
    return data && data->ptr ? data : NULL;
}

static void write_all(int fd, const char *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, data + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
}

static void forge_record(int fd, const struct spf_str *data, size_t before)
{
    if (before + data->len > 65536)
        fcntl(fd, F_SETPIPE_SZ, (int)(before + data->len));
    write_all(fd, data->ptr, data->len);
}

/* Read the errpipe to end-of-file. */
static int errpipe_record(struct spawn *sp, struct spf__buf *rec)
{
    const struct spf_str *forged = forged_bytes();
    int r;

    if (forged)
        forge_record(sp->errpipe[1], forged, 0);
    close_child_side(sp);
    r = spf__errpipe_read(sp->errpipe[0], rec);
    close_fd(&sp->errpipe[0]);
    return r;
}

/* A child killed by a signal before its first instruction (a Ctrl-C to
 * the process group, say) never marks the report started.  Looked at
 * without reaping it: its status is for spf_proc_wait. */
static bool killed_at_birth(pid_t pid)
{
    siginfo_t si = {0};

    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == pid &&
           (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED);
}

/* The record a child sharing our memory left there.  A forged record goes
 * through a pipe of its own behind it, so that it is read exactly as one
 * from the errpipe would be. */
static int shared_record(struct spawn *sp, pid_t pid, struct spf__buf *rec)
{
    const struct spf_str *forged = forged_bytes();
    int r;

    close_child_side(sp);
    if (!sp->report.started && killed_at_birth(pid))
        return 0; /* as an errpipe closed with nothing in it */
    if (!sp->report.started) {
        /* XXX: the clone did not share our memory after all; the record,
         * if any, is lost.  This child is stopped like one whose errpipe
         * cannot be read, and later spawns take the errpipe path. */
        __atomic_store_n(&fast_state, -1, __ATOMIC_RELAXED);
        return -EPROTO;
    }
    if (!forged)
        return sp->report.len
                   ? spf__buf_append(rec, sp->report.data, sp->report.len)
                   : 0;
    if (pipe2(sp->errpipe, O_CLOEXEC) < 0)
        return -errno;
    write_all(sp->errpipe[1], sp->report.data, sp->report.len);
    forge_record(sp->errpipe[1], forged, sp->report.len);
    close_fd(&sp->errpipe[1]);
    r = spf__errpipe_read(sp->errpipe[0], rec);
    close_fd(&sp->errpipe[0]);
    return r;
}

static void reap_failed(pid_t pid, struct spf_spawn_error *e)
{
    int status;
    pid_t r;

    /* The child is about to exit with 255 after writing its record. */
    while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    e->child_status = r == pid ? spf_status_decode(status) : INT_MIN;
}

static int setup_error(struct spf_spawn_error *e, enum spf_stage stage, int r)
{
    e->stage = stage;
    e->err = -r;
    e->message = strdup(spf_strerror(-r));
    return r;
}

/* After the spawn: read the errpipe, reap on failure, decode. */
static int finish(struct spawn *sp, pid_t pid, struct spf_spawn_error *e)
{
    struct spf__buf rec = {0};
    int r;

    r = sp->plan.report ? shared_record(sp, pid, &rec)
                        : errpipe_record(sp, &rec);
    if (r == 0 && rec.len == 0) {
        spf__buf_free(&rec);
        return 0;
    }
    if (r < 0) {
        /* Without the record the child's fate is unknown: stop it rather
         * than hand back a process that may not be what was asked for. */
        kill(pid, SIGKILL);
        reap_failed(pid, e);
        return setup_error(e, SPF_STAGE_SETUP, r);
    }
    reap_failed(pid, e);
    {
        int status = e->child_status;

        r = spf__record_decode(rec.data, rec.len, sp->orig_exec, sp->cwd, e);
        e->child_status = status;
    }
    spf__buf_free(&rec);
    return r;
}

static struct spf_proc *proc_new(void)
{
    struct spf_proc *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->pid = -1;
    p->pidfd = -1;
    for (int i = 0; i < 3; i++)
        p->fds[i] = -1;
    pthread_mutex_init(&p->waitlock, NULL);
    return p;
}

/* pidfd: the one the clone made, or -1 to open one now. */
static void proc_adopt(struct spf_proc *p, struct spawn *sp, pid_t pid,
                       int pidfd)
{
    p->pid = pid;
    p->pidfd = pidfd >= 0 ? pidfd : (int)syscall(SYS_pidfd_open, pid, 0);
    if (p->pidfd < 0)
        p->pidfd = -1;
    p->interrupt = sp->o->interrupt;
    p->pipesize = sp->o->pipesize;
    p->fds[0] = sp->pipes[0][1];
    p->fds[1] = sp->pipes[1][0];
    p->fds[2] = sp->pipes[2][0];
    for (int i = 0; i < 3; i++)
        p->captured[i] = p->fds[i] >= 0;
    sp->pipes[0][1] = sp->pipes[1][0] = sp->pipes[2][0] = -1;
}

static int launch(struct spawn *sp, struct spf_proc *p,
                  struct spf_spawn_error *e)
{
    pid_t pid = -ENOSYS;
    int r, pidfd = -1;

    if ((r = prepare_strings(sp)) < 0 || (r = prepare_identity(sp)) < 0 ||
        (r = prepare_fds(sp)) < 0)
        return setup_error(e, SPF_STAGE_SETUP, r);
    prepare_plan(sp);
    if (fast_usable(sp->o))
        pid = start_fast(sp, &pidfd);
    if (pid < 0) {
        if ((r = prepare_errpipe(sp)) < 0)
            return setup_error(e, SPF_STAGE_SETUP, r);
        pid = start_child(sp);
    }
    if (pid < 0)
        return setup_error(e, SPF_STAGE_FORK, pid);
    r = finish(sp, pid, e);
    if (r == 0)
        proc_adopt(p, sp, pid, pidfd);
    else if (pidfd >= 0)
        close(pidfd);
    return r;
}

int spf_popen(const struct spf_popen_opts *o, struct spf_proc **ret_proc,
              struct spf_spawn_error *ret_err)
{
    struct spf_spawn_error e = {.child_status = INT_MIN};
    struct spf_proc *p = NULL;
    struct spawn sp;
    int r;

    spf__active_reap();
    spawn_init(&sp, o);
    r = spf__validate(o, &e);
    if (r == 0) {
        p = proc_new();
        r = p ? launch(&sp, p, &e) : setup_error(&e, SPF_STAGE_SETUP, -ENOMEM);
    }
    spawn_free(&sp);
    if (r < 0) {
        if (p)
            pthread_mutex_destroy(&p->waitlock);
        free(p);
        if (ret_err)
            *ret_err = e;
        else
            spf_spawn_error_clear(&e);
        return r;
    }
    *ret_proc = p;
    return 0;
}

void spf_popen_opts_init(struct spf_popen_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->close_fds = true;
    o->pipesize = -1;
    o->process_group = -1;
    o->umask = -1;
    o->restore_signals = true;
    o->allow_vfork = true;
    o->user = -1;
    o->group = -1;
}
