/* Jobs: one supervisor process per running case. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "census.h"
#include "supervisor.h"
#include "text.h"
#include "wire.h"

/* Supervisors that may need stopping; slots are written by the runner
 * thread and read by spf_harness_abort_all() from a signal handler. */
#define MAX_RUNNING 1024
static volatile pid_t running[MAX_RUNNING];

struct spf_harness_job {
    pid_t pid;
    int fd;
    int slot;
    char dir[PATH_MAX]; /* the case folder, made here for the supervisor */
};

static int track(pid_t pid)
{
    for (int i = 0; i < MAX_RUNNING; i++)
        if (running[i] == 0) {
            running[i] = pid;
            return i;
        }
    return -1;
}

void spf_harness_abort_all(void)
{
    for (int i = 0; i < MAX_RUNNING; i++)
        if (running[i] > 0)
            kill(running[i], SIGTERM);
}

/* The case's fault stream: FNV-1a of its id, so every case draws its own
 * sequence from the run's seed. */
static uint64_t stream_of(const char *id)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (const char *p = id ? id : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    return h;
}

int spf_harness_start(const struct spf_case *c,
                      const struct spf_harness_config *cfg,
                      struct spf_harness_job **ret_job)
{
    struct spf_harness_job *job = calloc(1, sizeof(*job));
    int p[2], r;

    if (!job)
        return -ENOMEM;
    if ((r = spf__case_dir_make(cfg, job->dir, sizeof(job->dir))) < 0) {
        free(job);
        return r;
    }
    if (pipe2(p, O_CLOEXEC) < 0) {
        r = -errno;
        spf__case_dir_remove(job->dir);
        free(job);
        return r;
    }
    job->pid = fork();
    if (job->pid == 0) {
        /* The supervisor works on its own copy of the runner's memory, so
         * it may fill in the case (seed, expanded tokens) in place. */
        struct spf_case *mine = (struct spf_case *)c;

        close(p[0]);
        mine->faults.seed = cfg->seed;
        mine->faults.stream = stream_of(c->id);
        _exit(spf__supervise(mine, cfg, job->dir, p[1]));
    }
    close(p[1]);
    if (job->pid < 0) {
        r = -errno;
        close(p[0]);
        spf__case_dir_remove(job->dir);
        free(job);
        return r;
    }
    job->fd = p[0];
    job->slot = track(job->pid);
    *ret_job = job;
    return 0;
}

int spf_harness_job_fd(const struct spf_harness_job *job)
{
    return job->fd;
}

static void note_orphan(pid_t pid, void *ctx)
{
    struct spf_outcome *o = ctx;
    char *d = spf__proc_describe(pid);

    if (d)
        spf__strv_addf(&o->strays, &o->n_strays, "%s", d);
    free(d);
}

/*
 * A supervisor that died without an outcome (killed outright, or crashed)
 * cleaned nothing up.  Its agent dies with it; the case's processes come to
 * us, the runner, as subreaper: kill them (and nothing below the
 * supervisors still running), and remove the folder it was given.
 */
static void clean_after(struct spf_harness_job *job, struct spf_outcome *o)
{
    pid_t keep[MAX_RUNNING];
    size_t n = 0;

    for (int i = 0; i < MAX_RUNNING; i++)
        if (running[i] > 0)
            keep[n++] = running[i];
    spf__kill_descendants_except(keep, n, note_orphan, o);
    spf__case_dir_remove(job->dir);
}

int spf_harness_finish(struct spf_harness_job *job,
                       struct spf_outcome *ret_outcome)
{
    struct spf_outcome o = {0};
    char err[256], *raw = NULL;
    size_t len = 0;
    int status = 0, r;

    r = spf__read_all(job->fd, &raw, &len);
    close(job->fd);
    while (waitpid(job->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (job->slot >= 0)
        running[job->slot] = 0;
    if (r < 0 || !len ||
        spf__outcome_from_json(raw, len, &o, err, sizeof(err)) < 0) {
        o.result = SPF_RESULT_HARNESS;
        o.harness_error = spf__strf("the supervisor ended (%s %d) without "
                                    "an outcome; what it left was killed "
                                    "and its folder removed",
                                    WIFSIGNALED(status) ? "signal" : "status",
                                    WIFSIGNALED(status) ? WTERMSIG(status)
                                                        : WEXITSTATUS(status));
        clean_after(job, &o);
    }
    free(raw);
    free(job);
    *ret_outcome = o;
    return 0;
}

int spf_harness_run(const struct spf_case *c,
                    const struct spf_harness_config *cfg,
                    struct spf_outcome *ret_outcome)
{
    struct spf_harness_job *job;
    int r = spf_harness_start(c, cfg, &job);

    return r < 0 ? r : spf_harness_finish(job, ret_outcome);
}

size_t spf_harness_sweep(void)
{
    return spf__kill_descendants(NULL, NULL);
}
