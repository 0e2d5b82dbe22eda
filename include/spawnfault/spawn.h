/*
 * spawnfault core: spawn a process with the POSIX semantics of CPython's
 * subprocess module (see docs/conformance.md for every deliberate
 * difference).
 *
 * The library depends on the C library alone.  It never prints, never calls
 * exit() or abort(), and reports every failure as a negative errno (or one of
 * the SPF_E* codes below).  Every file descriptor it creates is close-on-exec.
 * Every deadline is measured on CLOCK_MONOTONIC.
 *
 * Thread safety: different process objects may be used from different
 * threads at once.  One process object may be polled, waited for and
 * signalled from several threads (status collection is serialised as in
 * CPython, see spf_proc_poll()); spf_proc_communicate() and spf_proc_free()
 * must not race with any other call on the same object.
 */
#ifndef SPAWNFAULT_SPAWN_H
#define SPAWNFAULT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Library-specific error codes, above the kernel's errno range (4095). */
#define SPF_EBADRECORD 4201 /* the child's error record was garbled */
#define SPF_ECHILDERR 4202  /* the child reported a non-OS error */
#define SPF_ECHECK 4203     /* spf_run() with check: non-zero returncode */

/* No deadline.  Any negative timeout means "already expired". */
#define SPF_FOREVER INT64_MAX

/* A byte string that may hold any byte, NUL included, so that invalid
 * input (a NUL inside an argument) can be represented and rejected. */
struct spf_str {
    const char *ptr; /* NULL: absent */
    size_t len;
};

/* An spf_str over a NUL-terminated C string (NULL stays absent). */
struct spf_str spf_str_c(const char *s);

enum spf_stdio_kind {
    SPF_STDIO_INHERIT = 0, /* the parent's own fd 0, 1 or 2 */
    SPF_STDIO_PIPE,        /* a new pipe; the parent keeps the other end */
    SPF_STDIO_DEVNULL,     /* /dev/null, opened read-write */
    SPF_STDIO_FD,          /* the caller's fd in .fd */
    SPF_STDIO_STDOUT,      /* stderr only: wherever the child's stdout goes */
};

struct spf_stdio {
    enum spf_stdio_kind kind;
    int fd; /* SPF_STDIO_FD only */
};

struct spf_env_var {
    struct spf_str name;
    struct spf_str value;
};

/* What to spawn and how.  Initialise with spf_popen_opts_init(). */
struct spf_popen_opts {
    const struct spf_str *argv; /* argc entries, argc >= 1 */
    size_t argc;
    struct spf_str executable; /* absent: argv[0] */

    bool env_replace; /* true: exactly env[0..envc); false: inherit */
    const struct spf_env_var *env;
    size_t envc;

    struct spf_str cwd; /* absent: the parent's */

    struct spf_stdio std[3]; /* stdin, stdout, stderr */

    bool close_fds; /* default true */
    const int *pass_fds;
    size_t n_pass_fds;

    bool start_new_session;
    int process_group;    /* -1 (default): none; 0: new group */
    int umask;            /* -1 (default): unchanged */
    bool restore_signals; /* default true: SIGPIPE, SIGXFSZ to SIG_DFL */
    bool allow_vfork;     /* default true: share memory until exec */
    int pipesize;         /* > 0: F_SETPIPE_SZ on every pipe made (CPython's
                             pipesize); -1 (default) or 0: the kernel's size */
};

void spf_popen_opts_init(struct spf_popen_opts *o);

/* Where a spawn failed. */
enum spf_stage {
    SPF_STAGE_NONE = 0,
    SPF_STAGE_INVALID,  /* input rejected before anything was created */
    SPF_STAGE_SETUP,    /* the parent could not create pipes or memory */
    SPF_STAGE_FORK,     /* no child was created */
    SPF_STAGE_PREEXEC,  /* a child step other than chdir ("noexec") */
    SPF_STAGE_CHDIR,    /* chdir(cwd) in the child ("noexec:chdir") */
    SPF_STAGE_EXEC,     /* every exec candidate failed */
    SPF_STAGE_CHILD,    /* a well-formed non-OSError record */
    SPF_STAGE_BAD_DATA, /* a truncated or garbled record */
};

/*
 * A spawn failure, filled by spf_popen() and spf_run() whenever they fail
 * (spf_run() also for a failure after the spawn: stage SPF_STAGE_NONE).
 * Release with spf_spawn_error_clear().
 */
struct spf_spawn_error {
    enum spf_stage stage;
    int err;        /* errno; 0 when the failure has none */
    char *filename; /* by the reference rules; NULL when none */
    char *name;     /* record's exception name ("OSError"...), or NULL */
    char *message;  /* strerror(err), the record's text, or a reason */
    char *raw;      /* the record's bytes as read, NUL-terminated */
    size_t raw_len;
    int child_status; /* decoded status of the reaped child, or INT_MIN */
};

void spf_spawn_error_clear(struct spf_spawn_error *e);

/* Stage name as used in reports and scenario files ("exec", "chdir"...). */
const char *spf_stage_name(enum spf_stage stage);
int spf_stage_from_name(const char *name); /* -EINVAL if unknown */

/* strerror() that also knows the SPF_E* codes.  Thread-safe. */
const char *spf_strerror(int err);

struct spf_proc;

/*
 * Spawn a child.  On success returns 0 and stores a new process object in
 * *ret_proc.  On failure returns a negative code, leaves *ret_proc
 * untouched, fills *ret_err (which may be NULL) and has released every
 * resource it created: no fd and no zombie is left behind.  The code is
 * -errno when the failure has one (-EINVAL for invalid input), else
 * -SPF_EBADRECORD or -SPF_ECHILDERR.
 */
int spf_popen(const struct spf_popen_opts *o, struct spf_proc **ret_proc,
              struct spf_spawn_error *ret_err);

pid_t spf_proc_pid(const struct spf_proc *p);

/* The parent's end of the stdin (0), stdout (1) or stderr (2) pipe, or -1.
 * The fd stays owned by the process object. */
int spf_proc_pipe_fd(const struct spf_proc *p, int stream);

/*
 * Collect the child's status without blocking.  Returns 1 and stores the
 * returncode (exit code, or -signal) when the child has finished, 0 while
 * it runs (or while another thread is collecting it), -errno on failure.
 * ECHILD counts as an exit with code 0, as in CPython (bpo-15756).
 */
int spf_proc_poll(struct spf_proc *p, int *ret_code);

/* Wait up to timeout_ns (SPF_FOREVER: no limit).  Returns 0 with the
 * returncode, -ETIMEDOUT when the deadline passed, -errno otherwise.
 * The child is never killed by a timeout. */
int spf_proc_wait(struct spf_proc *p, int64_t timeout_ns, int *ret_code);

/* Send sig unless the child is known to have finished: polls first, so a
 * reaped pid is never signalled.  ESRCH is ignored.  Returns 0 or -errno. */
int spf_proc_send_signal(struct spf_proc *p, int sig);
int spf_proc_terminate(struct spf_proc *p);
int spf_proc_kill(struct spf_proc *p);

/* Output captured from one stream by spf_proc_communicate(). */
struct spf_output {
    const char *data; /* owned by the process object */
    size_t len;
    bool captured; /* the stream is one of our pipes */
    bool read_any; /* at least one read returned (CPython: not None) */
};

/*
 * Write input to stdin while reading stdout and stderr, until both outputs
 * reach end-of-file and the child has exited, or until the deadline.
 *
 * Returns 0 when done (the child has been reaped), -ETIMEDOUT at the
 * deadline with a live child (which keeps running), or -errno.  After a
 * timeout, spf_proc_output() holds everything read so far and a second call
 * (input must then be empty) resumes: it collects the rest and finishes
 * writing input the first call could not (a deliberate difference from
 * CPython, docs/conformance.md).  EPIPE on stdin is ignored.
 *
 * At the deadline, a child that has already exited is not a timeout: what
 * the pipes hold is drained without blocking and the call returns 0, even if
 * a grandchild keeps an output pipe open (gh-97000).
 */
int spf_proc_communicate(struct spf_proc *p, const void *input, size_t len,
                         int64_t timeout_ns);

/* What has been read from stream 1 (stdout) or 2 (stderr) so far. */
struct spf_output spf_proc_output(const struct spf_proc *p, int stream);

/*
 * Release the process object: close its pipes and its other fds.  A child
 * that has not been collected is kept on a list and reaped without blocking
 * by later calls of spf_popen() (as CPython's _active list), so no zombie
 * accumulates.
 */
void spf_proc_free(struct spf_proc *p);

/* Result of spf_run(): the outputs are the caller's (free with
 * spf_run_result_clear()). */
struct spf_run_result {
    pid_t pid;
    int returncode;
    bool timed_out;
    char *out, *err; /* NULL when not captured or, on timeout, not read */
    size_t out_len, err_len;
};

void spf_run_result_clear(struct spf_run_result *r);

/*
 * spawn, communicate(input, timeout), collect: CPython's run().
 *
 * Returns 0 when the child ran to completion.  On a timeout the child is
 * killed and reaped and -ETIMEDOUT is returned; the outputs are exactly what
 * was read before the deadline (nothing is read after the kill, so a
 * grandchild holding a pipe cannot delay the return).  With check, a non-zero
 * returncode gives -SPF_ECHECK.  In these three cases *ret is filled.  A
 * spawn failure fills *ret_err instead and returns as spf_popen().  Any
 * other failure happened after the spawn (communicate could not poll, read
 * or write): the child has been killed and reaped, *ret is untouched, and
 * *ret_err has stage SPF_STAGE_NONE, the errno in .err and no strings.
 */
int spf_run(const struct spf_popen_opts *o, const void *input, size_t len,
            int64_t timeout_ns, bool check, struct spf_run_result *ret,
            struct spf_spawn_error *ret_err);

/* The libfiu failure points the core checks when it is built with libfiu
 * (see docs/harness.md), NULL-terminated.  Any other name enabled through
 * libfiu would fire nowhere. */
extern const char *const spf_fiu_points[];

/* "SIGKILL" for 9; NULL for a number without a name here. */
const char *spf_signal_name(int sig);

/* The number for "SIGKILL" or "KILL"; -EINVAL if unknown. */
int spf_signal_from_name(const char *name);

/* Decode a wait status: exit code, or -signal (killed or stopped). */
int spf_status_decode(int status);

#ifdef __cplusplus
}
#endif

#endif
