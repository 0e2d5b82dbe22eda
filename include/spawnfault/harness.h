/*
 * spawnfault harness: the execution model.  A case says what to spawn,
 * through which API path, under which faults; the harness runs it in
 * isolation and returns an outcome saying what happened and what was left
 * behind.
 *
 *   runner --fork--> supervisor (own process group, child subreaper,
 *                    monotonic watchdog, private case folder)
 *                      --exec--> agent (runs the case through the core,
 *                                with the fault preload loaded)
 *                                  --spawn--> child --> grandchildren...
 *
 * The agent and the supervisor exchange the case and the outcome as JSON
 * over inherited fds (docs/harness.md).  The library never prints.
 */
#ifndef SPAWNFAULT_HARNESS_H
#define SPAWNFAULT_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <spawnfault/faults.h>
#include <spawnfault/spawn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Owned bytes, NUL-terminated for convenience (data[len] == 0). */
struct spf_bytes {
    char *data; /* NULL: absent */
    size_t len;
};

/* Both absent, or both present with the same bytes. */
bool spf_bytes_equal(const struct spf_bytes *a, const struct spf_bytes *b);

enum spf_api {
    SPF_API_RUN = 0,     /* spf_run(): communicate, kill on timeout */
    SPF_API_COMMUNICATE, /* popen + communicate(input, timeout) */
    SPF_API_WAIT,        /* popen + wait(timeout), kill on timeout */
};

const char *spf_api_name(enum spf_api api);
int spf_api_from_name(const char *name); /* -EINVAL if unknown */

/* A file the supervisor creates in the case folder before the agent runs. */
struct spf_case_file {
    char *path; /* relative to the case folder */
    struct spf_bytes content;
    unsigned mode;
    bool directory;
};

/* A libfiu failure point enabled in the agent for the whole case. */
struct spf_fiu_point {
    char *name;
    struct spf_bytes data; /* handed to the point as failinfo */
};

/*
 * One case.  Every string of the spawn (argv, executable, env, cwd) may
 * contain the tokens "{case_dir}", replaced by the absolute path of the
 * case's private folder when the case runs, and "{helper}", replaced by
 * the path of spawnfault-helper.
 */
struct spf_case {
    char *id; /* unique in a run; keys the fault stream */

    struct spf_bytes *argv;
    size_t argc;
    struct spf_bytes executable;
    bool env_replace;
    struct spf_bytes *env_names, *env_values;
    size_t envc;
    struct spf_bytes cwd;
    struct spf_stdio std[3];
    bool close_fds;
    int *pass_fds;
    size_t n_pass_fds;
    bool start_new_session;
    int process_group;
    int umask;
    bool restore_signals;
    bool allow_vfork;
    int64_t user;  /* -1: unchanged */
    int64_t group; /* -1: unchanged */
    bool set_extra_groups;
    int64_t *extra_groups;
    size_t n_extra_groups;

    enum spf_api api;
    struct spf_bytes input;
    int64_t timeout_ns;        /* SPF_FOREVER: none */
    bool resume;               /* communicate: call again after a timeout */
    int64_t resume_timeout_ns; /* the second call's timeout */
    bool check;                /* run: check the returncode */
    unsigned repeat;           /* run the API path this many times (>= 1) */

    struct spf_fault_plan faults; /* seed and stream set by the harness */
    struct spf_fiu_point *fiu;
    size_t n_fiu;

    struct spf_case_file *files;
    size_t n_files;

    int64_t watchdog_ns; /* whole case, then SIGTERM, then SIGKILL */
};

void spf_case_init(struct spf_case *c); /* defaults, as spf_popen_opts */
void spf_case_clear(struct spf_case *c);

/* Output of one stream: the first SPF_CAPTURE_KEEP bytes, with the total
 * length and the SHA-256 of everything. */
#define SPF_CAPTURE_KEEP (1u << 20)
struct spf_capture {
    bool present; /* captured (run/communicate) or read at all (partial) */
    struct spf_bytes data;
    uint64_t total_len;
    char sha256[65]; /* lower-case hex */
};

/* The SHA-256 of data as 64 lower-case hex digits and a NUL, as captures
 * carry it. */
void spf_sha256_hex(const void *data, size_t len, char ret[65]);

enum spf_result {
    SPF_RESULT_EXITED = 0,  /* the child ran and was collected */
    SPF_RESULT_SPAWN_ERROR, /* the spawn failed */
    SPF_RESULT_TIMEOUT,     /* the API call's deadline passed */
    SPF_RESULT_HARNESS,     /* the agent could not produce an outcome */
    SPF_RESULT_ERROR,       /* the API call failed after the spawn (CPython
                               raises OSError): errno in .err, the call and
                               its text in .message; the child was killed
                               and collected */
    SPF_RESULT_CHECK,       /* run with check: the child exited non-zero
                               (CPython raises CalledProcessError); the
                               returncode and output are as for exited */
    /* The target cannot express the case (a peer lacks an option): nothing
     * ran, and the reason is in .not_applicable.  The core never gives it. */
    SPF_RESULT_NOT_APPLICABLE,
};

const char *spf_result_name(enum spf_result r);
int spf_result_from_name(const char *name); /* -EINVAL if unknown */

struct spf_outcome {
    enum spf_result result;

    /* SPF_RESULT_SPAWN_ERROR (all), SPF_RESULT_ERROR (err, message) */
    enum spf_stage stage;
    int err;
    struct spf_bytes filename; /* absent: no filename */
    struct spf_bytes err_name; /* record's exception name, if any */
    struct spf_bytes raw;      /* the record bytes */
    struct spf_bytes message;  /* strerror, the record's text, a reason */

    /* The child's returncode once collected (after a kill on timeout). */
    bool has_returncode;
    int returncode;

    /* SPF_RESULT_TIMEOUT: what had been read at the deadline. */
    struct spf_capture partial_out, partial_err;

    /* Final output (after a resumed communicate, everything). */
    struct spf_capture out, err_out;

    /* What the agent's own stdout and stderr received (inherited fds). */
    struct spf_capture inherited_out, inherited_err;

    int64_t elapsed_ns; /* the API path, first iteration */
    unsigned iterations;

    /* Census.  Each entry is a human-readable description. */
    char **leaked_fds;
    size_t n_leaked_fds;
    char **zombies;
    size_t n_zombies;
    char **strays;
    size_t n_strays;
    int watchdog_signal; /* 0, SIGTERM or SIGKILL */
    bool interrupted;    /* the run was interrupted and the case stopped
                            before it ended: nothing else here is whole */

    /* The first SPF_FIRED_KEEP fired faults in full, and every one counted
     * by call and scope index (0 parent, 1 child, 2 exec): the counts stay
     * exact however many fired. */
    struct spf_fault_record *fired;
    size_t n_fired;
    uint64_t fired_total;
    uint64_t fired_counts[SPF_CALL__COUNT][SPF_FAULT_SCOPES];

    char *harness_error; /* SPF_RESULT_HARNESS, or a census failure */

    /* SPF_RESULT_NOT_APPLICABLE: why the target cannot express the case,
     * one line ("CPython 3.10 has no process_group (3.11+)"); NULL
     * otherwise.  The census above still counts. */
    char *not_applicable;
};

#define SPF_FIRED_KEEP 1000

void spf_outcome_clear(struct spf_outcome *o);

/*
 * What executes a case's API path.  The core's own agent is the default;
 * the peers run the same case through an adapter script on their
 * interpreter, which reads the case and writes the outcome in the same
 * format, so every scenario, fault and census applies to them alike.
 */
enum spf_target_kind {
    SPF_TARGET_CORE = 0, /* spawnfault-agent: our core */
    SPF_TARGET_CPYTHON,  /* CPython's subprocess (harness/targets/cpython.py) */
    SPF_TARGET_NODE,     /* node's child_process, i.e. libuv
                            (harness/targets/node.js) */
};

struct spf_target {
    enum spf_target_kind kind;
    char name[32];          /* as reports show it: "core", "cpython:3.13" */
    char program[PATH_MAX]; /* the interpreter; "" for the core */
    char script[PATH_MAX];  /* the adapter; "" for the core */
};

#define SPF_TARGET_MAX 8 /* a --compare list holds at most this many */
/* The CPython versions a target may name: cpython:3.10 to cpython:3.13. */
#define SPF_TARGET_CPYTHON_MINOR_MIN 10
#define SPF_TARGET_CPYTHON_MINOR_MAX 13

/*
 * Resolve a target name: "core", "cpython" (the newest CPython found),
 * "cpython:3.N", "node".  Interpreters are looked for as pyenv installs
 * them ($PYENV_ROOT or ~/.pyenv, versions/3.N.*) and then in /usr/local/bin
 * and /usr/bin, never through a shim (a shim would run a shell, which the
 * fault preload would see).  Returns 0, -EINVAL for an unknown name or
 * -ENOENT when the interpreter or the adapter is missing, with a
 * sentence in err either way.
 */
int spf_target_resolve(const char *spec, struct spf_target *ret, char *err,
                       size_t errlen);

/* The CPython versions found on this machine, newest first, as target
 * names ("cpython:3.13"...).  Returns how many were stored (at most max). */
size_t spf_target_cpythons(struct spf_target *ret, size_t max);

/* Where the agent and the preload live, and run-wide settings. */
struct spf_harness_config {
    const struct spf_target *target; /* NULL: the core */
    const char *agent_path;   /* NULL: found next to the running program */
    const char *preload_path; /* NULL: likewise */
    const char *helper_path;  /* NULL: likewise; replaces "{helper}" */
    const char *tmp_root;     /* NULL: $TMPDIR or /tmp */
    uint64_t seed;
};

/* Fill paths left NULL.  Returns 0, or -ENOENT naming nothing found. */
int spf_harness_locate(struct spf_harness_config *cfg);

/* The preload alone, found as spf_harness_locate finds it (SPF_PRELOAD,
 * then beside the running program in a build tree, then where meson
 * installed it): a path that lives as long as the process, or NULL. */
const char *spf_harness_locate_preload(void);

struct spf_harness_job;

/*
 * Start a case in its own supervisor process.  Returns 0 and a job whose
 * spf_harness_job_fd() becomes readable when the outcome is ready, or
 * -errno.  The caller must not have SIGCHLD ignored.
 */
int spf_harness_start(const struct spf_case *c,
                      const struct spf_harness_config *cfg,
                      struct spf_harness_job **ret_job);

int spf_harness_job_fd(const struct spf_harness_job *job);

/* Collect the outcome (blocking until the supervisor ends) and free the
 * job.  Returns 0 or -errno; a failed case is still 0. */
int spf_harness_finish(struct spf_harness_job *job,
                       struct spf_outcome *ret_outcome);

/* Stop every running job's whole process tree (for SIGINT in the runner):
 * async-signal-safe. */
void spf_harness_abort_all(void);

/* Kill and reap every process below the caller (call it when no job
 * runs: then each is a stray).  Returns how many were found. */
size_t spf_harness_sweep(void);

/* Run one case and wait for it. */
int spf_harness_run(const struct spf_case *c,
                    const struct spf_harness_config *cfg,
                    struct spf_outcome *ret_outcome);

#ifdef __cplusplus
}
#endif

#endif
