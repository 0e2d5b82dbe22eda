/*
 * The preload's one-time set-up: the constructor resolves the real
 * functions, reads the environment, parses the plan, opens the log and
 * prepares the environment of the programs the agent will exec.
 *
 * This runs before main, in one thread, so unlike wrappers.c it may
 * allocate and use stdio (for snprintf only: the preload never prints).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <spawnfault/faults.h>

#if SPF_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include "preload.h"

/* Names for dlsym, beside the pointer each one fills. */
static const struct {
    const char *name;
    void **slot;
} real_table[] = {
    {"execve", (void **)&spf__real.execve},
    {"execv", (void **)&spf__real.execv},
    {"execvp", (void **)&spf__real.execvp},
    {"execvpe", (void **)&spf__real.execvpe},
    {"fexecve", (void **)&spf__real.fexecve},
    {"fork", (void **)&spf__real.fork},
    {"vfork", &spf__real_vfork},
    {"clone", (void **)&spf__real.clone},
    {"pipe", (void **)&spf__real.pipe},
    {"pipe2", (void **)&spf__real.pipe2},
    {"dup2", (void **)&spf__real.dup2},
    {"dup3", (void **)&spf__real.dup3},
    {"chdir", (void **)&spf__real.chdir},
    {"fchdir", (void **)&spf__real.fchdir},
    {"read", (void **)&spf__real.read},
    {"__read_chk", (void **)&spf__real.read_chk},
    {"write", (void **)&spf__real.write},
    {"poll", (void **)&spf__real.poll},
    {"__poll_chk", (void **)&spf__real.poll_chk},
    {"ppoll", (void **)&spf__real.ppoll},
    {"__ppoll_chk", (void **)&spf__real.ppoll_chk},
    {"waitpid", (void **)&spf__real.waitpid},
    {"wait4", (void **)&spf__real.wait4},
    {"wait", (void **)&spf__real.wait},
    {"_Fork", (void **)&spf__real._Fork},
    {"dup", (void **)&spf__real.dup},
    {"close", (void **)&spf__real.close},
    {"kill", (void **)&spf__real.kill},
    {"setsid", (void **)&spf__real.setsid},
    {"setpgid", (void **)&spf__real.setpgid},
    {"sigprocmask", (void **)&spf__real.sigprocmask},
    {"pthread_sigmask", (void **)&spf__real.pthread_sigmask},
    {"posix_spawn", (void **)&spf__real.posix_spawn},
    {"posix_spawnp", (void **)&spf__real.posix_spawnp},
};

void spf__resolve_real(void)
{
    for (size_t i = 0; i < sizeof(real_table) / sizeof(real_table[0]); i++)
        if (*real_table[i].slot == NULL)
            *real_table[i].slot = dlsym(RTLD_NEXT, real_table[i].name);
}

/*
 * The environment, read and changed on environ itself.  A program may
 * define getenv, setenv and unsetenv of its own (bash does, for its
 * variable table), and in a preload's constructor, before the program's
 * main, those would be the ones called: bash's setenv would not reach
 * environ, which is what bash reads its variables from at start, and the
 * children would never see SPF_FAULT_ROOT.  So the preload never calls
 * them.  The constructor runs alone, before main: no lock is needed.
 */
extern char **environ;

static char **env_slot(const char *name)
{
    size_t len = strlen(name);

    for (char **e = environ; e != NULL && *e != NULL; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return e;
    return NULL;
}

static const char *env_get(const char *name)
{
    char **e = env_slot(name);

    return e ? *e + strlen(name) + 1 : NULL;
}

static void env_unset(const char *name)
{
    char **e;

    while ((e = env_slot(name)) != NULL)
        do
            e[0] = e[1];
        while (*++e != NULL);
}

/* A new array when the variable is new: the old one may be the kernel's,
 * on the stack, with no room.  An array of ours grows in place; entries
 * and arrays stay allocated for good, reachable from environ. */
static void env_set(const char *name, const char *value)
{
    static char **ours;
    char *entry = malloc(strlen(name) + strlen(value) + 2);
    char **e = env_slot(name), **grown;
    size_t n = 0;
    bool mine;

    if (entry == NULL)
        return;
    sprintf(entry, "%s=%s", name, value);
    if (e != NULL) {
        *e = entry;
        return;
    }
    while (environ != NULL && environ[n] != NULL)
        n++;
    mine = environ != NULL && environ == ours;
    grown = mine ? realloc(ours, (n + 2) * sizeof(*grown))
                 : malloc((n + 2) * sizeof(*grown));
    if (grown == NULL) {
        free(entry);
        return;
    }
    if (!mine && n > 0)
        memcpy(grown, environ, n * sizeof(*grown));
    grown[n] = entry;
    grown[n + 1] = NULL;
    environ = ours = grown;
}

/* Writes "spf-fault error=MESSAGE\n".  The model quotes every untrusted
 * byte of its messages, so the line is one line whatever the plan held. */
static void log_error(const char *message)
{
    static const char tag[] = "spf-fault error=";
    char line[512];
    size_t len = strlen(message);

    if (len > sizeof(line) - sizeof(tag))
        len = sizeof(line) - sizeof(tag);
    memcpy(line, tag, sizeof(tag) - 1);
    memcpy(line + sizeof(tag) - 1, message, len);
    line[sizeof(tag) - 1 + len] = '\n';
    spf__log_line(line, sizeof(tag) + len);
}

/* "SEED:STREAM", each one to sixteen hexadecimal digits. */
static int parse_seed(const char *s, uint64_t *ret_seed, uint64_t *ret_stream)
{
    uint64_t v[2] = {0, 0};
    size_t digits = 0;
    int part = 0;

    for (; *s != '\0'; s++) {
        int d = *s >= '0' && *s <= '9'   ? *s - '0'
                : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                         : -1;
        if (*s == ':' && part == 0 && digits > 0) {
            part = 1;
            digits = 0;
            continue;
        }
        if (d < 0 || ++digits > 16)
            return -EINVAL;
        v[part] = v[part] << 4 | (uint64_t)d;
    }
    if (part != 1 || digits == 0)
        return -EINVAL;
    *ret_seed = v[0];
    *ret_stream = v[1];
    return 0;
}

/* The lowest call number any rule can fire on, by leaf, so that the
 * wrappers skip the decision before it.  Exact only for rules that name
 * the leaf itself and count per process: a family's number or a thread's
 * or the tree's may run ahead of the leaf's own count, and such a rule
 * leaves 1. */
static void find_first_calls(const struct spf_fault_plan *plan)
{
    for (unsigned leaf = 0; leaf < SPF_CALL__COUNT; leaf++)
        spf__preload.first_call[leaf] = UINT32_MAX;
    for (size_t i = 0; i < plan->n_rules; i++) {
        const struct spf_fault_rule *r = &plan->rules[i];
        uint32_t leaves = spf_fault_point_leaves(r->call), first = UINT32_MAX;

        if (r->backend != SPF_BACKEND_PRELOAD)
            continue;
        if (r->count == SPF_COUNT_THREAD)
            spf__preload.count_thread = true;
        if (r->every || r->count != SPF_COUNT_PROCESS ||
            (unsigned)r->call >= SPF_CALL__COUNT)
            first = 1;
        for (size_t k = 0; first > 1 && k < r->n_ranges; k++)
            if (r->ranges[k].first < first)
                first = r->ranges[k].first;
        for (unsigned leaf = 0; leaf < SPF_CALL__COUNT; leaf++)
            if ((leaves & (1u << leaf)) &&
                first < spf__preload.first_call[leaf])
                spf__preload.first_call[leaf] = first;
    }
}

static void load_plan(void)
{
    const char *text = env_get(SPF_ENV_FAULTS);
    const char *seed = env_get(SPF_ENV_FAULT_SEED);
    struct spf_fault_plan plan;
    char err[256];

    if (text == NULL)
        return;
    if (spf_fault_plan_parse(text, strlen(text), &plan, err, sizeof(err)) < 0) {
        log_error(err);
        return;
    }
    if (seed != NULL && parse_seed(seed, &plan.seed, &plan.stream) < 0) {
        log_error(SPF_ENV_FAULT_SEED ": expected SEED:STREAM, two"
                                     " hexadecimal numbers of 1 to 16 digits");
        return;
    }

    spf__preload.plan = plan;
    spf__preload.call_mask |= spf_fault_plan_leaves(&plan, SPF_BACKEND_PRELOAD);
    spf__preload.count_tree =
        spf_fault_plan_counts_tree(&plan, SPF_BACKEND_PRELOAD);
    for (size_t i = 0; i < plan.n_rules; i++)
        if (plan.rules[i].backend == SPF_BACKEND_PRELOAD &&
            (plan.rules[i].scope & SPF_SCOPE_EXEC))
            spf__preload.exec_rules = true;
    find_first_calls(&plan);
    spf__preload.predicates =
        spf_fault_plan_predicates(&plan, SPF_BACKEND_PRELOAD);
}

/* The program's file name, which exe= predicates match: the basename of
 * what the kernel ran, not argv[0]. */
static void find_exe(void)
{
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    const char *base;

    if (n <= 0)
        return;
    path[n] = '\0';
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strlen(base) < sizeof(spf__preload.exe))
        strcpy(spf__preload.exe, base);
}

/* Count mode: every leaf is counted wherever the preload runs, exec'd
 * programs included, so the reach counts cover the whole tree.  It needs
 * the shared log, where the counts live. */
static void load_count_mode(void)
{
    const char *v = env_get(SPF_ENV_FAULT_COUNT);

    if (v == NULL || strcmp(v, "1") != 0 || spf__preload.log_map == NULL)
        return;
    spf__preload.count_reached = true;
    spf__preload.call_mask = (1u << SPF_CALL__COUNT) - 1;
    spf__preload.exec_rules = true;
}

/* Identifies the open file behind fd, so an exec'd program can tell its
 * inherited log fd from an unrelated file that reuses the number. */
static int log_fd_id(int fd, char *buf, size_t len)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -errno;
    snprintf(buf, len, "%llx:%llx", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    return 0;
}

static int parse_fd(const char *s)
{
    long v = 0;

    if (*s == '\0')
        return -EINVAL;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > INT_MAX / 10)
            return -EINVAL;
        v = v * 10 + (*s - '0');
    }
    return v <= INT_MAX ? (int)v : -EINVAL;
}

/* The shared log behind fd, mapped for good, or NULL when fd is not one
 * (then records are written to it instead). */
static struct spf_fault_log_header *map_log(int fd)
{
    struct spf_fault_log_header h;
    struct stat st;
    void *map;

    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size < sizeof(h) ||
        pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h.magic, SPF_FAULT_LOG_MAGIC, sizeof(h.magic)) != 0 ||
        h.capacity > (uint64_t)st.st_size - sizeof(h))
        return NULL;
    map = mmap(NULL, sizeof(h) + h.capacity, PROT_READ | PROT_WRITE, MAP_SHARED,
               fd, 0);
    return map == MAP_FAILED ? NULL : map;
}

/*
 * Returns false when SPF_FAULT_LOG_FD is set but unusable: not a number,
 * not open, or (in an exec'd program) not the root's log.  Faults are then
 * disabled, since a fault nobody can see only makes a verdict wrong.
 * Without the variable, faults fire unlogged, for manual runs.
 */
static bool load_log_fd(bool exec_scope)
{
    const char *value = env_get(SPF_ENV_FAULT_LOG_FD);
    const char *want = env_get(SPF_ENV_FAULT_LOG_ID);
    char id[64];
    int fd, flags;

    if (value == NULL)
        return true;
    fd = parse_fd(value);
    if (fd < 0 || (flags = fcntl(fd, F_GETFD)) < 0)
        return false;
    if (exec_scope &&
        (want == NULL || log_fd_id(fd, id, sizeof(id)) < 0 || strcmp(id, want)))
        return false;

    /* 0, 1 and 2 are the children's too: closing them on exec would take
     * a manual run's terminal away from every program it starts. */
    if (fd > STDERR_FILENO)
        fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    spf__preload.log_fd = fd;
    spf__preload.log_map = map_log(fd);
    return true;
}

/* The part of a path after its last '/'. */
static void base_name(const char *s, size_t n, const char **ret, size_t *ret_n)
{
    size_t i = n;

    while (i > 0 && s[i - 1] != '/')
        i--;
    *ret = s + i;
    *ret_n = n - i;
}

/* Whether an LD_PRELOAD entry names this library.  Entries are matched by
 * file name, since LD_PRELOAD may hold a relative path or a bare name. */
static bool is_self(const char *entry, size_t n, const char *self)
{
    const char *a, *b;
    size_t an, bn;

    base_name(entry, n, &a, &an);
    base_name(self, strlen(self), &b, &bn);
    return an == bn && memcmp(a, b, an) == 0;
}

/* Rewrites LD_PRELOAD without this library, keeping the other entries in
 * order; ld.so separates entries with spaces or colons. */
static void remove_self_from_preload(void)
{
    const char *list = env_get("LD_PRELOAD");
    Dl_info info;
    char *kept;
    size_t len = 0;

    if (list == NULL || dladdr((void *)&remove_self_from_preload, &info) == 0 ||
        info.dli_fname == NULL)
        return;
    kept = malloc(strlen(list) + 1);
    if (kept == NULL)
        return;

    for (const char *p = list; *p != '\0';) {
        size_t n = strcspn(p, " :");
        if (n > 0 && !is_self(p, n, info.dli_fname)) {
            if (len > 0)
                kept[len++] = ':';
            memcpy(kept + len, p, n);
            len += n;
        }
        p += n + (p[n] != '\0');
    }
    kept[len] = '\0';
    if (len == 0)
        env_unset("LD_PRELOAD");
    else
        env_set("LD_PRELOAD", kept);
    free(kept);
}

/* SPF_FAULT_INHERIT: "none" takes the preload away from every exec'd
 * program, "libc" from those of the other libc.  Anything else, or unset,
 * is "all". */
static void load_inherit(void)
{
    const char *v = env_get(SPF_ENV_FAULT_INHERIT);

    if (v != NULL && strcmp(v, "none") == 0)
        spf__preload.exec_rules = false;
    else if (v != NULL && strcmp(v, "libc") == 0)
        spf__preload.same_libc_only = true;
}

/*
 * The root decides what the programs its children exec will see.  With no
 * exec-scope rule they must run unfaulted and never learn about us, so the
 * variables and the library go.  Otherwise the variables stay, and two are
 * added: the root's pid, which makes a program exec scope, and the log's
 * identity, which it checks before trusting the inherited log fd.
 */
static void prepare_children_env(void)
{
    char value[64];

    if (!spf__preload.exec_rules) {
        env_unset(SPF_ENV_FAULTS);
        env_unset(SPF_ENV_FAULT_SEED);
        env_unset(SPF_ENV_FAULT_LOG_FD);
        env_unset(SPF_ENV_FAULT_LOG_ID);
        env_unset(SPF_ENV_FAULT_COUNT);
        env_unset(SPF_ENV_FAULT_ID);
        env_unset(SPF_ENV_FAULT_INHERIT);
        remove_self_from_preload();
        return;
    }
    snprintf(value, sizeof(value), "%d", (int)spf__preload.own_pid);
    env_set(SPF_ENV_FAULT_ROOT, value);
    if (spf__preload.log_fd >= 0 &&
        log_fd_id(spf__preload.log_fd, value, sizeof(value)) == 0)
        env_set(SPF_ENV_FAULT_LOG_ID, value);
    else
        env_unset(SPF_ENV_FAULT_LOG_ID);
}

/* Where the build for each libc is: beside this library, by file name.
 * A build that is not there is left empty, and a program of its libc then
 * runs without the preload rather than failing to load it. */
static void find_builds(void)
{
    Dl_info info;
    const char *slash;
    size_t dir;

#ifdef __GLIBC__
    spf__preload.own_libc = SPF_LIBC_GLIBC;
#else
    spf__preload.own_libc = SPF_LIBC_MUSL;
#endif
    if (dladdr((void *)&find_builds, &info) == 0 || info.dli_fname == NULL ||
        (slash = strrchr(info.dli_fname, '/')) == NULL)
        return;
    dir = (size_t)(slash - info.dli_fname) + 1;
    if (dir + sizeof(SPF_PRELOAD_MUSL_NAME) > SPF_PRELOAD_PATH_MAX)
        return;
    memcpy(spf__preload.lib_glibc, info.dli_fname, dir);
    strcpy(spf__preload.lib_glibc + dir, SPF_PRELOAD_GLIBC_NAME);
    memcpy(spf__preload.lib_musl, info.dli_fname, dir);
    strcpy(spf__preload.lib_musl + dir, SPF_PRELOAD_MUSL_NAME);
    if (access(spf__preload.lib_glibc, R_OK) != 0)
        spf__preload.lib_glibc[0] = '\0';
    if (access(spf__preload.lib_musl, R_OK) != 0)
        spf__preload.lib_musl[0] = '\0';
}

/* The pid page of current_pid (wrappers.c).  Without MADV_WIPEONFORK
 * (Linux 4.14), there is none, and every counted call asks the kernel. */
static void map_pid_page(void)
{
    void *p;

#if SPF_HAVE_VALGRIND_H
    /* Whether valgrind honours the advice is not ours to find out. */
    if (RUNNING_ON_VALGRIND)
        return;
#endif
    p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    if (madvise(p, (size_t)sysconf(_SC_PAGESIZE), MADV_WIPEONFORK) < 0) {
        munmap(p, (size_t)sysconf(_SC_PAGESIZE));
        return;
    }
    spf__preload.pid_page = p;
    spf__preload.pid_page->pid = spf__preload.own_pid;
}

/*
 * When valgrind traces a child, the child first execs valgrind's launcher,
 * an ordinary dynamic program that loads us, and the launcher execs the
 * tool that runs the real program.  Taken for the root, the launcher would
 * scrub the environment before the program under test ever saw it (and log
 * a bad plan twice), so the preload stays inert there.  The launcher runs
 * natively with valgrind's variables set; the program runs under valgrind.
 */
static bool is_valgrind_launcher(void)
{
#if SPF_HAVE_VALGRIND_H
    char exe[256];
    ssize_t n;
    const char *base;

    if (RUNNING_ON_VALGRIND || (env_get("VALGRIND_LIB") == NULL &&
                                env_get("VALGRIND_LAUNCHER") == NULL))
        return false;
    /* Those variables stay in the environment of every program valgrind
     * lets run natively (--trace-children-skip): only the launcher itself
     * is to be left alone. */
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return true;
    exe[n] = '\0';
    base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    return strncmp(base, "valgrind", 8) == 0;
#else
    return false;
#endif
}

/*
 * A launcher that runs an unmodified program cannot call spf_fault_arm in
 * it, so it asks with SPF_ENV_FAULT_ARM=1 and the root arms here, before
 * main.  The variable goes before anything can pass it on: a child the
 * root spawns is counted as the child scope by this very root, and an
 * exec'd program must follow the exec scope's own rule.
 */
static void arm_if_asked(void)
{
    const char *v = env_get(SPF_ENV_FAULT_ARM);
    bool asked = v != NULL && strcmp(v, "1") == 0;

    /* Armed even with no rule yet: the plan may arrive later, through
     * the shared log. */
    if (v != NULL)
        env_unset(SPF_ENV_FAULT_ARM);
    if (asked)
        spf_fault_arm();
}

/*
 * A process without SPF_ENV_FAULT_ROOT is the root: scope parent, disarmed
 * until spf_fault_arm, or armed at load when asked (arm_if_asked).  With
 * it, the process is a program exec'd below a root: scope exec, armed from
 * the start.
 */
__attribute__((constructor)) static void preload_init(void)
{
    bool exec_scope = env_get(SPF_ENV_FAULT_ROOT) != NULL;

    spf__resolve_real();
    if (is_valgrind_launcher())
        return;
    find_builds();
    find_exe();
    spf__preload.own_pid = getpid();
    map_pid_page();
    spf__preload.root_pid = exec_scope ? parse_fd(env_get(SPF_ENV_FAULT_ROOT))
                                       : spf__preload.own_pid;
    spf__preload.own_scope = exec_scope ? SPF_SCOPE_EXEC : SPF_SCOPE_PARENT;
    /* An exec'd program goes on as the process that exec'd it; the root
     * is 0, whatever a caller left in its environment. */
    if (exec_scope && env_get(SPF_ENV_FAULT_ID) != NULL)
        spf__preload.proc_id = strtoull(env_get(SPF_ENV_FAULT_ID), NULL, 16);
    if (load_log_fd(exec_scope)) {
        load_plan();
        load_count_mode();
        /* A plan in the shared log may gain exec-scope rules at any time:
         * exec'd programs must carry the preload from the start. */
        if (spf__preload.log_map != NULL &&
            __atomic_load_n(&spf__preload.log_map->plan_set, __ATOMIC_ACQUIRE))
            spf__preload.exec_rules = true;
    }
    load_inherit();
    if (!exec_scope) {
        prepare_children_env();
        arm_if_asked();
    } else if (spf__preload.plan.n_rules > 0 || spf__preload.count_reached ||
               (spf__preload.log_map != NULL &&
                spf__preload.log_map->plan_set)) {
        spf_fault_arm();
    }
}
