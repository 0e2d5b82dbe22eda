/*
 * The runner: replays a set of scenarios through the harness, up to `jobs`
 * at a time, and turns each outcome into a verdict.  The runner is the
 * child subreaper of everything below it, so even a supervisor killed
 * outright cannot leave a process behind: what remains at the end is
 * killed and reaped.
 */
#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <spawnfault/scenario.h>

static volatile sig_atomic_t interrupted;

void spf_runner_interrupt(void)
{
    interrupted = 1;
    spf_harness_abort_all();
}

struct slot {
    struct spf_harness_job *job;
    size_t index; /* into the summary's verdicts */
};

struct run {
    const struct spf_scenario_set *set;
    const struct spf_runner_opts *opts;
    struct spf_harness_config harness; /* opts' with the run's seed */
    const struct spf_scenario **todo;
    size_t n_todo, next, done;
    struct slot *slots;
    struct pollfd *pfd;
    struct spf_run_summary *sum;
};

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool spf_runner_selects(const struct spf_runner_opts *o,
                        const struct spf_scenario *sc)
{
    for (size_t i = 0; i < o->n_skip_tags; i++)
        for (size_t t = 0; t < sc->n_tags; t++)
            if (strcmp(o->skip_tags[i], sc->tags[t]) == 0)
                return false;
    for (size_t i = 0; i < o->n_filters; i++)
        if (fnmatch(o->filters[i], sc->name, 0) == 0)
            return true;
    return o->n_filters == 0;
}

static int select_scenarios(struct run *r)
{
    r->todo = calloc(r->set->n + 1, sizeof(*r->todo));
    if (!r->todo)
        return -ENOMEM;
    for (size_t i = 0; i < r->set->n; i++)
        if (spf_runner_selects(r->opts, &r->set->items[i]))
            r->todo[r->n_todo++] = &r->set->items[i];
    return 0;
}

/* The verdict on the todo[i]'s outcome, on the run's target. */
static void judge(struct run *r, size_t i, struct spf_outcome *o,
                  struct spf_verdict *v)
{
    const struct spf_target *t = r->opts->harness.target;

    spf_verdict_check(r->todo[i], o, r->opts->seed, v);
    if (t && t->kind != SPF_TARGET_CORE)
        spf_verdict_excuse(v, t->name);
    spf_verdict_set_replay(v, r->opts->replay_argv0);
}

static void progress(struct run *r, size_t index, const struct spf_verdict *v)
{
    if (r->opts->progress)
        r->opts->progress(r->opts->progress_ctx, index, r->n_todo,
                          r->todo[index], v);
}

/* Start the next scenario in a free slot.  A case the harness cannot even
 * start becomes a harness-error verdict. */
static void start_next(struct run *r, struct slot *s)
{
    size_t i = r->next++;
    int err;

    progress(r, i, NULL);
    if (r->todo[i]->requires_root && geteuid() != 0) {
        struct spf_outcome o = {.result = SPF_RESULT_NOT_APPLICABLE};
        char why[64];

        snprintf(why, sizeof(why), "requires root, and runs as uid %u",
                 (unsigned)geteuid());
        o.not_applicable = strdup(why);
        if (!o.not_applicable) {
            o.result = SPF_RESULT_HARNESS;
            o.harness_error = strdup(strerror(ENOMEM));
        }
        s->job = NULL;
        judge(r, i, &o, &r->sum->verdicts[i]);
        r->done++;
        progress(r, i, &r->sum->verdicts[i]);
        return;
    }
    err = spf_harness_start(&r->todo[i]->kase, &r->harness, &s->job);
    s->index = i;
    if (err == 0)
        return;
    s->job = NULL;
    {
        struct spf_outcome o = {.result = SPF_RESULT_HARNESS};

        o.harness_error = strdup(strerror(-err));
        judge(r, i, &o, &r->sum->verdicts[i]);
        r->done++;
        progress(r, i, &r->sum->verdicts[i]);
    }
}

static void finish(struct run *r, struct slot *s)
{
    struct spf_outcome o;
    struct spf_verdict *v = &r->sum->verdicts[s->index];

    spf_harness_finish(s->job, &o);
    s->job = NULL;
    judge(r, s->index, &o, v);
    r->done++;
    progress(r, s->index, v);
}

/* Wait until a running job is ready, and finish it. */
static int step(struct run *r, unsigned jobs)
{
    struct pollfd *pfd = r->pfd;
    int n;

    for (unsigned i = 0; i < jobs; i++)
        pfd[i] = (struct pollfd){
            .fd = r->slots[i].job ? spf_harness_job_fd(r->slots[i].job) : -1,
            .events = POLLIN};
    n = poll(pfd, jobs, -1);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (unsigned i = 0; i < jobs; i++)
        if (pfd[i].revents && r->slots[i].job)
            finish(r, &r->slots[i]);
    return 0;
}

static unsigned busy(const struct run *r, unsigned jobs)
{
    unsigned n = 0;

    for (unsigned i = 0; i < jobs; i++)
        n += r->slots[i].job != NULL;
    return n;
}

static int schedule(struct run *r)
{
    unsigned jobs = r->opts->jobs ? r->opts->jobs : 1;
    int err = 0;

    r->slots = calloc(jobs, sizeof(*r->slots));
    r->pfd = calloc(jobs, sizeof(*r->pfd));
    if (!r->slots || !r->pfd) {
        free(r->slots);
        free(r->pfd);
        return -ENOMEM;
    }
    for (;;) {
        /* A scenario judged without running (not applicable here, or
         * the harness could not start it) leaves its slot free: fill it
         * again, or a run with nothing else busy would stop early. */
        for (unsigned i = 0; i < jobs && !interrupted; i++)
            while (!r->slots[i].job && r->next < r->n_todo && !interrupted)
                start_next(r, &r->slots[i]);
        if (!busy(r, jobs))
            break;
        if ((err = step(r, jobs)) < 0)
            break;
    }
    /* On an error, stop what still runs and collect it. */
    if (err < 0)
        spf_harness_abort_all();
    while (busy(r, jobs))
        if (step(r, jobs) < 0)
            break;
    free(r->slots);
    free(r->pfd);
    return err;
}

void spf_run_summary_count(struct spf_run_summary *s)
{
    s->passed = s->failed = s->interrupted = s->not_applicable = 0;
    s->excused = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct spf_verdict *v = &s->verdicts[i];

        if (!v->scenario)
            continue;
        if (v->interrupted)
            s->interrupted++;
        else if (v->not_applicable)
            s->not_applicable++;
        else if (v->passed)
            s->passed++, s->excused += v->n_excused != 0;
        else
            s->failed++;
    }
}

int spf_runner_run(const struct spf_scenario_set *set,
                   const struct spf_runner_opts *opts,
                   struct spf_run_summary *ret)
{
    struct spf_run_summary sum = {0};
    struct run r = {.set = set, .opts = opts, .sum = &sum};

    /* The seed every report prints and every replay passes is the one
     * the fault plans draw from. */
    r.harness = opts->harness;
    r.harness.seed = opts->seed;
    int64_t t0 = now_ns();
    int err;

    interrupted = 0;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if ((err = select_scenarios(&r)) < 0)
        return err;
    sum.verdicts = calloc(r.n_todo + 1, sizeof(*sum.verdicts));
    if (!sum.verdicts) {
        free(r.todo);
        return -ENOMEM;
    }
    sum.n = r.n_todo;
    sum.seed = opts->seed;
    sum.started_unix = (int64_t)time(NULL);
    snprintf(sum.target, sizeof(sum.target), "%s",
             opts->harness.target ? opts->harness.target->name : "core");
    err = schedule(&r);
    /* A supervisor killed outright leaves its tree to us. */
    spf_harness_sweep();
    /* Scenarios never started (interrupted) keep an empty verdict; the
     * summary holds only those that ran. */
    sum.n = 0;
    for (size_t i = 0; i < r.n_todo; i++)
        if (sum.verdicts[i].scenario)
            sum.verdicts[sum.n++] = sum.verdicts[i];
    sum.not_run = r.n_todo - sum.n;
    spf_run_summary_count(&sum);
    sum.elapsed_ns = now_ns() - t0;
    free(r.todo);
    *ret = sum;
    if (err == 0 && interrupted)
        err = -EINTR;
    return err;
}

void spf_run_summary_clear(struct spf_run_summary *s)
{
    for (size_t i = 0; i < s->n; i++)
        spf_verdict_clear(&s->verdicts[i]);
    free(s->verdicts);
    memset(s, 0, sizeof(*s));
}
