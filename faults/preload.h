/*
 * Private to the preload: what its one-time set-up (preload.c), its
 * wrappers (wrappers.c) and the x86-64 vfork trampoline (vfork-x86_64.S)
 * share.  Every symbol here is hidden: nothing outside the library sees
 * it, and the trampoline reaches it without a PLT or GOT.
 */
#ifndef SPAWNFAULT_FAULTS_PRELOAD_H
#define SPAWNFAULT_FAULTS_PRELOAD_H

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include <spawnfault/faults.h>

#define SPF_HIDDEN __attribute__((visibility("hidden")))
#define SPF_EXPORT __attribute__((visibility("default")))

/*
 * For the functions that exec: in a vfork child, a frame that never
 * returns (the exec succeeded) leaves AddressSanitizer's poison on the
 * stack the parent goes on with, and the parent's next frame there then
 * trips over it.  The stack room of these functions is left unpoisoned.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SPF_EXEC_FRAME __attribute__((no_sanitize("address")))
#else
#define SPF_EXEC_FRAME
#endif

/* Variables private to the preload, beside the public ones of faults.h:
 * the root sets them for the programs its children exec. */
#define SPF_ENV_FAULT_ROOT "SPF_FAULT_ROOT"
#define SPF_ENV_FAULT_LOG_ID "SPF_FAULT_LOG_ID"

/* Set to "1" by a launcher whose program knows nothing of arming (spawnfault
 * inject): the root arms itself at load.  The root removes it from its
 * environment whatever its value, so no process below sees it. */
#define SPF_ENV_FAULT_ARM "SPF_FAULT_ARM"

/* The real functions.  The constructor resolves them; see SPF_REAL. */
struct spf__real_fns {
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execv)(const char *, char *const[]);
    int (*execvp)(const char *, char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    int (*fexecve)(int, char *const[], char *const[]);
    pid_t (*fork)(void);
    int (*clone)(int (*)(void *), void *, int, void *, ...);
    int (*pipe)(int[2]);
    int (*pipe2)(int[2], int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*chdir)(const char *);
    int (*fchdir)(int);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*read_chk)(int, void *, size_t, size_t);
    ssize_t (*write)(int, const void *, size_t);
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*poll_chk)(struct pollfd *, nfds_t, int, size_t);
    int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
                 const sigset_t *);
    int (*ppoll_chk)(struct pollfd *, nfds_t, const struct timespec *,
                     const sigset_t *, size_t);
    pid_t (*waitpid)(pid_t, int *, int);
    pid_t (*wait4)(pid_t, int *, int, struct rusage *);
    pid_t (*wait)(int *);
    pid_t (*_Fork)(void);
    int (*dup)(int);
    int (*close)(int);
    int (*kill)(pid_t, int);
    pid_t (*setsid)(void);
    int (*setpgid)(pid_t, pid_t);
    int (*sigprocmask)(int, const sigset_t *, sigset_t *);
    int (*pthread_sigmask)(int, const sigset_t *, sigset_t *);
    int (*posix_spawn)(pid_t *, const char *,
                       const posix_spawn_file_actions_t *,
                       const posix_spawnattr_t *, char *const[], char *const[]);
    int (*posix_spawnp)(pid_t *, const char *,
                        const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[],
                        char *const[]);
};

extern struct spf__real_fns spf__real SPF_HIDDEN;

/* The real vfork, jumped to by the trampoline when no fault fires. */
extern void *spf__real_vfork SPF_HIDDEN;

/*
 * Fills every missing pointer of spf__real and spf__real_vfork with
 * dlsym(RTLD_NEXT).  The constructor calls it; so does SPF_REAL when a
 * wrapper runs before the constructor, which only another library's
 * constructor can make happen: before main, single-threaded, disarmed.
 * Not async-signal-safe, and never reached once the constructor has run.
 */
void spf__resolve_real(void) SPF_HIDDEN;

#define SPF_REAL(fn)                                                           \
    (spf__real.fn != NULL ? spf__real.fn : (spf__resolve_real(), spf__real.fn))

/* The file names of the two builds, and the room for their paths. */
#define SPF_PRELOAD_GLIBC_NAME "libspawnfault-preload.so"
#define SPF_PRELOAD_MUSL_NAME "libspawnfault-preload-musl.so"
#define SPF_PRELOAD_PATH_MAX 512

/* One page of its own, zeroed by the kernel in every child that gets a
 * copy of the memory (MADV_WIPEONFORK): see current_pid in wrappers.c. */
struct spf__pid_page {
    pid_t pid; /* the process whose memory this is; 0: not known yet */
};

/* What the constructor sets up; read-only afterwards, except the armed
 * flag and the counters, which change through __atomic builtins. */
struct spf__preload {
    struct spf_fault_plan plan;
    unsigned call_mask;     /* bit per call that some rule names */
    bool exec_rules;        /* exec'd programs carry the preload */
    bool same_libc_only;    /* SPF_FAULT_INHERIT=libc */
    bool count_tree;        /* some rule counts the tree's calls */
    bool count_thread;      /* some rule counts a thread's calls */
    unsigned predicates;    /* SPF_PRED_* that some rule has */
    uint64_t proc_id;       /* own_pid's spf_fault_site.proc */
    uint64_t children_made; /* by this process, __atomic */
    char exe[256];          /* the program's file name, for exe= */
    /* By leaf: no rule can fire before the process's call of this number
     * (1 when a rule counts otherwise, or names a family). */
    uint32_t first_call[SPF_CALL__COUNT];
    bool count_reached; /* count mode: every call reached is counted */
    unsigned own_scope; /* of own_pid: PARENT in the root, else EXEC */
    pid_t own_pid;      /* the process that ran the constructor */
    pid_t root_pid;     /* the root's, which holds the log fd throughout */
    int log_fd;         /* -1: faults are not logged */
    struct spf_fault_log_header *log_map; /* the shared log, or NULL */
    int armed;                            /* __atomic */
    struct spf__pid_page *pid_page;       /* NULL: ask the kernel */
    int shared_vm; /* a clone(CLONE_VM) child may run beside us; __atomic */
    uint32_t counts[SPF_CALL__COUNT]; /* own_pid's calls, __atomic */
    /* The preload built for each libc, side by side in one folder, so an
     * exec'd program gets the one its loader can load ("" when absent). */
    enum spf_libc own_libc;
    char lib_glibc[SPF_PRELOAD_PATH_MAX];
    char lib_musl[SPF_PRELOAD_PATH_MAX];
};

extern struct spf__preload spf__preload SPF_HIDDEN;

/* Writes one line to the log fd, if any, with one write(2), retrying on
 * EINTR; errno survives.  Async-signal-safe. */
void spf__log_line(const char *line, size_t len) SPF_HIDDEN;

/*
 * Called by the trampoline in the parent, before the real vfork: counts
 * the call and decides.  Returns 0 to go on, or -1 with errno set, which
 * the trampoline returns as vfork's result.  Async-signal-safe.
 */
int spf__vfork_gate(void) SPF_HIDDEN;

/* The two exported switches, typed by the public header. */
spf_fault_switch_fn spf_fault_arm SPF_EXPORT;
spf_fault_switch_fn spf_fault_disarm SPF_EXPORT;

/*
 * glibc's _FORTIFY_SOURCE entry points.  A fortified agent calls these
 * instead of read, poll and ppoll, so the preload wraps them too.  glibc
 * declares them only when fortification is on, and it is off here because
 * it would turn our own definitions of read and poll into inline wrappers.
 */
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                const sigset_t *ss, size_t fdslen);

#endif
