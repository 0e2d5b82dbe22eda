/*
 * spawnfault: the command-line program, and the only part of the project
 * that prints.
 *
 *   spawnfault run [PATH...] [--junit FILE] [--json FILE] [--tap]
 *                  [--jobs N] [--filter GLOB]... [--skip-tag TAG]...
 *                  [--seed N] [--verbose]
 *                  [--target TARGET | --compare TARGET,TARGET...]
 *   spawnfault list [PATH...] [--filter GLOB]... [--skip-tag TAG]...
 *   spawnfault inject [--fault SPEC]... [--seed N] [--log FILE] [--count]
 *                     [--inherit all|libc|none] [--max-procs N]
 *                     [--max-fds N] [--close-stdout-after BYTES]
 *                     [--] CMD [ARG...]          (inject.c)
 *
 * Options and paths may come in any order; after "--" everything is a
 * path.  Several --filter options select what any of them matches.
 *
 * Exit status: 0 none failed (each passed, or was not applicable on the
 * target), 1 some failed, 2 bad input or set-up, 130 interrupted.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spawnfault/report.h>
#include <spawnfault/scenario.h>

#include "inject.h"
#include "print.h"

#define EXIT_FAILED 1
#define EXIT_BAD_INPUT 2
#define EXIT_INTERRUPTED 130

struct args {
    const char *junit, *json;
    const char **filters, **skip_tags;
    size_t n_filters, n_skip_tags;
    const char *target, *compare;
    bool tap, verbose;
    unsigned jobs;
    uint64_t seed;
    bool seed_given;
    char **paths;
    int n_paths;
};

static void usage(FILE *f)
{
    fputs("usage: spawnfault run [PATH...] [--junit FILE] [--json FILE] "
          "[--tap]\n"
          "                      [--jobs N] [--filter GLOB]... "
          "[--skip-tag TAG]...\n"
          "                      [--seed N] [--verbose]\n"
          "                      [--target TARGET | --compare "
          "TARGET,TARGET...]\n"
          "       spawnfault list [PATH...] [--filter GLOB]... "
          "[--skip-tag TAG]...\n"
          "       spawnfault inject [--fault SPEC]... [--seed N] "
          "[--log FILE] [--count]\n"
          "                         [--inherit all|libc|none] "
          "[--max-procs N] [--max-fds N]\n"
          "                         [--close-stdout-after BYTES] "
          "[--] CMD [ARG...]\n"
          "\n"
          "PATH is a scenario file or a folder of them (*.yaml, "
          "recursively);\n"
          "without one, the bundled suite runs.  Options may follow the "
          "paths;\n"
          "after \"--\" every argument is a path.  See docs/scenarios.md.\n"
          "\n"
          "TARGET runs the cases: core (the default), cpython (the newest "
          "found),\n"
          "cpython:3.N, node.  --compare runs every target and reports "
          "each field\n"
          "that differs from the first target's.  See docs/targets.md.\n"
          "\n"
          "inject runs CMD under the fault rules and exits as CMD did.  See\n"
          "docs/inject.md.\n",
          f);
}

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Messages quote paths and file contents: escaped, so that no name can
 * move the terminal's cursor or fake a line (print.c). */
static void error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    spf__cli_verror("error", fmt, ap);
    va_end(ap);
}

/* Decimal digits only, as reports print seeds: strtoull alone would also
 * take blanks, a sign (" -1" wraps), octal ("010" is 8) and hex. */
static bool parse_u64(const char *s, uint64_t *ret)
{
    char *end;
    unsigned long long v;

    if (*s < '0' || *s > '9' || s[strspn(s, "0123456789")] != '\0')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return false;
    *ret = v;
    return true;
}

static int push(const char ***v, size_t *n, const char *s)
{
    const char **grown = realloc(*v, (*n + 1) * sizeof(*grown));

    if (!grown) {
        error("out of memory");
        return -1;
    }
    grown[(*n)++] = s;
    *v = grown;
    return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longs[] = {
        {"junit", required_argument, NULL, 'J'},
        {"json", required_argument, NULL, 'j'},
        {"tap", no_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'n'},
        {"filter", required_argument, NULL, 'f'},
        {"skip-tag", required_argument, NULL, 'T'},
        {"seed", required_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'v'},
        {"target", required_argument, NULL, 'R'},
        {"compare", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;

    /* Permuting, as GNU tools do: "run suite --verbose" means what it
     * says, and "--" ends the options. */
    while ((c = getopt_long(argc, argv, "n:f:s:vh", longs, NULL)) != -1) {
        switch (c) {
        case 'J':
            a->junit = optarg;
            break;
        case 'j':
            a->json = optarg;
            break;
        case 't':
            a->tap = true;
            break;
        case 'f':
            if (push(&a->filters, &a->n_filters, optarg) < 0)
                return -1;
            break;
        case 'T':
            if (push(&a->skip_tags, &a->n_skip_tags, optarg) < 0)
                return -1;
            break;
        case 'v':
            a->verbose = true;
            break;
        case 'R':
            a->target = optarg;
            break;
        case 'C':
            a->compare = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'n':
            if (!parse_u64(optarg, &v) || v < 1 || v > 256) {
                error("--jobs: expected a number from 1 to 256, got \"%s\"",
                      optarg);
                return -1;
            }
            a->jobs = (unsigned)v;
            break;
        case 's':
            if (!parse_u64(optarg, &a->seed)) {
                error("--seed: expected a decimal integer from 0 to "
                      "18446744073709551615, got \"%s\"",
                      optarg);
                return -1;
            }
            a->seed_given = true;
            break;
        default:
            usage(stderr);
            return -1;
        }
    }
    a->paths = argv + optind;
    a->n_paths = argc - optind;
    return 0;
}

/* The bundled suite: the source tree's when running from the build tree,
 * else the installed one; SPF_SUITE overrides both. */
static const char *bundled_suite(void)
{
    static char path[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    const char *env = getenv("SPF_SUITE");

    if (env && *env)
        return env;
    if (n > 0) {
        exe[n] = '\0';
        snprintf(path, sizeof(path), "%s/harness/spawnfault-agent",
                 dirname(exe));
        if (access(path, X_OK) == 0)
            return SPF_SUITE_SOURCE;
    }
    return SPF_SUITE_INSTALLED;
}

/* Whether a and b name one file: the same inode when both exist, the
 * same spelling when neither does yet. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;

    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return !ea && !eb && strcmp(a, b) == 0;
}

/* A report never overwrites a scenario it reports on, nor another
 * report of the same run. */
static int check_report_paths(const struct args *a,
                              const struct spf_scenario_set *set)
{
    const char *reports[] = {a->junit, a->json};
    const char *opt[] = {"--junit", "--json"};

    if (a->junit && a->json && same_file(a->junit, a->json)) {
        error("--junit and --json name the same file %s", a->json);
        return -1;
    }
    for (int r = 0; r < 2; r++)
        for (size_t i = 0; reports[r] && i < set->n; i++) {
            const char *file = set->items[i].file;

            if ((i == 0 || strcmp(file, set->items[i - 1].file)) &&
                same_file(reports[r], file)) {
                error("%s %s would overwrite the scenario file %s", opt[r],
                      reports[r], file);
                return -1;
            }
        }
    return 0;
}

/* Load every path given, or the bundled suite when none is; on any
 * failure the set is left empty. */
static int load(const struct args *a, struct spf_scenario_set *set)
{
    const char *suite = bundled_suite();
    int n = a->n_paths ? a->n_paths : 1;

    for (int i = 0; i < n; i++) {
        const char *path = a->n_paths ? a->paths[i] : suite;
        struct spf_diag d = {0};

        if (spf_scenario_load(path, set, &d) == 0)
            continue;
        if (d.line)
            error("%s:%u:%u: %s%s%s", d.file, d.line, d.column, d.field,
                  d.field[0] ? ": " : "", d.message);
        else
            error("%s: %s%s%s", d.file[0] ? d.file : path, d.field,
                  d.field[0] ? ": " : "", d.message);
        spf_scenario_set_clear(set);
        return -1;
    }
    if (check_report_paths(a, set) < 0) {
        spf_scenario_set_clear(set);
        return -1;
    }
    return 0;
}

/* Which scenarios the arguments select, the same for list and run. */
static struct spf_runner_opts selection(const struct args *a)
{
    return (struct spf_runner_opts){.filters = a->filters,
                                    .n_filters = a->n_filters,
                                    .skip_tags = a->skip_tags,
                                    .n_skip_tags = a->n_skip_tags};
}

/* An option of run given to list: it would be silently ignored. */
static const char *run_only_option(const struct args *a)
{
    return a->junit        ? "--junit"
           : a->json       ? "--json"
           : a->tap        ? "--tap"
           : a->target     ? "--target"
           : a->compare    ? "--compare"
           : a->jobs       ? "--jobs"
           : a->seed_given ? "--seed"
                           : NULL;
}

static int cmd_list(const struct args *a)
{
    struct spf_scenario_set set = {0};
    struct spf_runner_opts o = selection(a);
    const struct spf_scenario **shown;
    const char *only_run = run_only_option(a);
    size_t n = 0;
    int r;

    if (only_run) {
        error("%s is an option of run, not of list", only_run);
        return EXIT_BAD_INPUT;
    }
    if (load(a, &set) < 0)
        return EXIT_BAD_INPUT;
    shown = calloc(set.n + 1, sizeof(*shown));
    if (!shown) {
        error("out of memory");
        spf_scenario_set_clear(&set);
        return EXIT_BAD_INPUT;
    }
    for (size_t i = 0; i < set.n; i++)
        if (spf_runner_selects(&o, &set.items[i]))
            shown[n++] = &set.items[i];
    r = spf_report_list(shown, n, stdout);
    if (r < 0)
        error("cannot write the list: %s", strerror(-r));
    free(shown);
    spf_scenario_set_clear(&set);
    return r < 0 ? EXIT_BAD_INPUT : 0;
}

struct progress {
    bool show;
};

static void on_progress(void *ctx, size_t index, size_t total,
                        const struct spf_scenario *sc,
                        const struct spf_verdict *v)
{
    struct progress *p = ctx;

    if (!v || !p->show)
        return;
    fprintf(stderr, "[%*zu/%zu] %s %s (%.2f s)\n", total >= 100 ? 3 : 2,
            index + 1, total,
            v->interrupted      ? "STOP"
            : v->not_applicable ? "N/A"
            : v->passed         ? "PASS"
                                : "FAIL",
            sc->name, (double)v->outcome.elapsed_ns / 1e9);
}

static void on_signal(int sig)
{
    spf_runner_interrupt();
}

static void catch_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};

    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static uint64_t default_seed(void)
{
    uint32_t s = 0;

    if (getrandom(&s, sizeof(s), 0) != sizeof(s))
        s = (uint32_t)getpid();
    return s;
}

static int write_reports(const struct args *a,
                         const struct spf_run_summary *sum)
{
    int r, bad = 0;

    if (a->junit && (r = spf_report_junit(sum, a->junit)) < 0) {
        error("cannot write %s: %s", a->junit, strerror(-r));
        bad = 1;
    }
    if (a->json && (r = spf_report_json(sum, a->json)) < 0) {
        error("cannot write %s: %s", a->json, strerror(-r));
        bad = 1;
    }
    /* A report lost on a full disk or a closed pipe must not look like
     * a clean run. */
    if (a->tap && (r = spf_report_tap(sum, stdout)) < 0) {
        error("cannot write the TAP report: %s", strerror(-r));
        bad = 1;
    }
    if ((r = spf_report_text(sum, a->tap ? stderr : stdout)) < 0 && !a->tap) {
        error("cannot write the report: %s", strerror(-r));
        bad = 1;
    }
    return bad;
}

/* Split "core,cpython" into resolved targets. */
static int compare_targets(const char *list, struct spf_target *ret,
                           size_t *ret_n)
{
    char *copy = strdup(list), *save = NULL, *tok;
    char why[PATH_MAX + 128];
    size_t n = 0;
    int r = 0;

    if (!copy) {
        error("out of memory");
        return -1;
    }
    save = copy;
    while (r == 0 && (tok = strsep(&save, ",")) != NULL) {
        if (*tok == '\0') {
            error("--compare: an empty target name in \"%s\"", list);
            r = -1;
        } else if (n == SPF_TARGET_MAX) {
            error("--compare: at most %d targets", SPF_TARGET_MAX);
            r = -1;
        } else if (spf_target_resolve(tok, &ret[n], why, sizeof(why)) < 0) {
            error("--compare: %s", why);
            r = -1;
        } else {
            for (size_t i = 0; i < n; i++)
                if (strcmp(ret[i].name, ret[n].name) == 0) {
                    error("--compare: %s is named twice", ret[n].name);
                    r = -1;
                }
            n++;
        }
    }
    free(copy);
    if (r == 0 && n < 2) {
        error("--compare: name at least two targets, separated by commas "
              "(core,cpython)");
        r = -1;
    }
    *ret_n = n;
    return r;
}

/* Every case gets a folder under $TMPDIR: one clear error before the run
 * instead of a harness error per case.  A relative one would be resolved
 * in each case's own folder. */
static int check_tmpdir(void)
{
    const char *tmp = getenv("TMPDIR");
    struct stat st;

    if (!tmp || !*tmp)
        return 0;
    if (tmp[0] != '/') {
        error("TMPDIR=%s: cases need an absolute path", tmp);
        return -1;
    }
    if (stat(tmp, &st) < 0) {
        error("TMPDIR=%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        error("TMPDIR=%s: not a folder", tmp);
        return -1;
    }
    return 0;
}

static bool selects_any(const struct spf_scenario_set *set,
                        const struct spf_runner_opts *o)
{
    for (size_t i = 0; i < set->n; i++)
        if (spf_runner_selects(o, &set->items[i]))
            return true;
    return false;
}

static void no_match(const struct args *a)
{
    error("no scenario matches%s%s%s", a->n_filters ? " " : "",
          a->n_filters ? a->filters[0] : "",
          a->n_filters > 1 ? " or the other filters" : "");
}

/* --compare: the same scenarios on every target, one after the other,
 * then every difference from the first target. */
static int cmd_compare(struct args *a, struct spf_scenario_set *set,
                       struct spf_runner_opts *o)
{
    struct spf_target targets[SPF_TARGET_MAX];
    struct spf_comparison cmp = {0};
    size_t n;
    int r = 0, failed = 0;

    if (a->junit || a->tap || a->target) {
        error("--compare writes --json and text reports only (not with "
              "--junit, --tap or --target)");
        return EXIT_BAD_INPUT;
    }
    if (compare_targets(a->compare, targets, &n) < 0)
        return EXIT_BAD_INPUT;
    catch_signals();
    for (size_t t = 0; t < n && r != -EINTR; t++) {
        o->harness.target = &targets[t];
        cmp.targets[t] = targets[t].name;
        r = spf_runner_run(set, o, &cmp.runs[t]);
        cmp.n_targets = t + 1;
        if (r < 0 && r != -EINTR) {
            error("the run on %s failed: %s", targets[t].name, strerror(-r));
            spf_comparison_clear(&cmp);
            return EXIT_BAD_INPUT;
        }
        failed |= cmp.runs[t].failed != 0;
    }
    if (spf_compare_runs(&cmp) < 0) {
        error("out of memory");
        spf_comparison_clear(&cmp);
        return EXIT_BAD_INPUT;
    }
    int bad = 0, w;
    if (a->json && (w = spf_report_compare_json(&cmp, a->json)) < 0) {
        error("cannot write %s: %s", a->json, strerror(-w));
        bad = 1;
    }
    for (size_t t = 0; t < cmp.n_targets && a->verbose; t++)
        if (spf_report_text(&cmp.runs[t], stdout) < 0)
            bad = 1;
    if ((w = spf_report_compare_text(&cmp, stdout)) < 0) {
        error("cannot write the report: %s", strerror(-w));
        bad = 1;
    }
    if (r == -EINTR)
        fprintf(stderr, "spawnfault: interrupted; every started case was "
                        "cleaned up\n");
    r = r == -EINTR                    ? EXIT_INTERRUPTED
        : bad                          ? EXIT_BAD_INPUT
        : (failed || cmp.undocumented) ? EXIT_FAILED
                                       : 0;
    spf_comparison_clear(&cmp);
    return r;
}

static int cmd_run(struct args *a, const char *argv0)
{
    struct spf_scenario_set set = {0};
    struct spf_run_summary sum = {0};
    struct progress prog = {isatty(2) || a->verbose};
    struct spf_runner_opts o = selection(a);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct spf_target target;
    int r, bad;

    if (load(a, &set) < 0)
        return EXIT_BAD_INPUT;
    o.jobs = a->jobs ? a->jobs : (unsigned)(cpus > 0 ? cpus : 1);
    o.seed = a->seed_given ? a->seed : default_seed();
    o.replay_argv0 = argv0;
    o.progress = on_progress;
    o.progress_ctx = &prog;
    if (spf_harness_locate(&o.harness) < 0) {
        error("cannot find spawnfault-agent, the preload or the helper "
              "(set SPF_AGENT, SPF_PRELOAD, SPF_HELPER)");
        spf_scenario_set_clear(&set);
        return EXIT_BAD_INPUT;
    }
    if (check_tmpdir() < 0) {
        spf_scenario_set_clear(&set);
        return EXIT_BAD_INPUT;
    }
    if (!selects_any(&set, &o)) {
        no_match(a);
        spf_scenario_set_clear(&set);
        return EXIT_BAD_INPUT;
    }
    if (a->compare) {
        r = cmd_compare(a, &set, &o);
        spf_scenario_set_clear(&set);
        return r;
    }
    if (a->target) {
        char why[PATH_MAX + 128];

        if (spf_target_resolve(a->target, &target, why, sizeof(why)) < 0) {
            error("--target: %s", why);
            spf_scenario_set_clear(&set);
            return EXIT_BAD_INPUT;
        }
        o.harness.target = &target;
    }
    catch_signals();
    r = spf_runner_run(&set, &o, &sum);
    if (r < 0 && r != -EINTR) {
        error("the run failed: %s", strerror(-r));
        spf_scenario_set_clear(&set);
        return EXIT_BAD_INPUT;
    }
    if (sum.n == 0 && r != -EINTR) {
        no_match(a);
        spf_run_summary_clear(&sum);
        spf_scenario_set_clear(&set);
        return EXIT_BAD_INPUT;
    }
    bad = write_reports(a, &sum);
    if (r == -EINTR)
        fprintf(stderr,
                "spawnfault: interrupted: %zu scenario%s stopped, %zu "
                "not run; every started case was cleaned up\n",
                sum.interrupted, sum.interrupted == 1 ? "" : "s", sum.not_run);
    r = r == -EINTR  ? EXIT_INTERRUPTED
        : bad        ? EXIT_BAD_INPUT
        : sum.failed ? EXIT_FAILED
                     : 0;
    spf_run_summary_clear(&sum);
    spf_scenario_set_clear(&set);
    return r;
}

int main(int argc, char **argv)
{
    struct args a = {0};
    const char *cmd = argc > 1 ? argv[1] : NULL;
    int r;

    if (!cmd || !strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
        !strcmp(cmd, "-h")) {
        usage(cmd ? stdout : stderr);
        return cmd ? 0 : EXIT_BAD_INPUT;
    }
    if (!strcmp(cmd, "--version")) {
        printf("spawnfault %s\n", SPF_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "inject"))
        return spf__cli_inject(argc - 1, argv + 1);
    if (strcmp(cmd, "run") && strcmp(cmd, "list")) {
        error("unknown command \"%s\"", cmd);
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (parse_args(argc - 1, argv + 1, &a) < 0) {
        free(a.filters);
        free(a.skip_tags);
        return EXIT_BAD_INPUT;
    }
    r = cmd[0] == 'r' ? cmd_run(&a, argv[0]) : cmd_list(&a);
    free(a.filters);
    free(a.skip_tags);
    return r;
}
