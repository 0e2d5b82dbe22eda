/* Hand-built verdicts and golden-file helpers for the report tests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "escape.h"
#include "fixture.h"

/*
 * Everything a name can do to a report: quotes, markup, a CDATA end,
 * line breaks, controls (BEL, ESC, DEL, a C1 CSI), invalid UTF-8 (stray
 * bytes, a truncated sequence, an encoded surrogate, an overlong '/'),
 * the noncharacters XML forbids, a TAP directive, and valid non-ASCII.
 */
const char fixture_hostile_name[] =
    "quote\" apos' <tag> & ]]> nl\nx tab\tx cr\rx bel\x07 esc\x1b[31m "
    "del\x7f c1\xc2\x9b bad\xff\xfe trunc\xe2\x82 sur\xed\xa0\x80 "
    "nonchar\xef\xbf\xbe\xef\xbf\xbf overlong\xc0\xaf # SKIP "
    "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e";

/* The scenarios live beside the summary they belong to. */
struct fixture {
    struct spf_run_summary s;
    struct spf_scenario sc[5];
    struct spf_verdict v[5];
};

static char *xstrdup(const char *s)
{
    char *d = strdup(s);

    cr_assert_not_null(d);
    return d;
}

static struct spf_bytes bytes(const char *p, size_t len)
{
    struct spf_bytes b = {malloc(len + 1), len};

    cr_assert_not_null(b.data);
    memcpy(b.data, p, len);
    b.data[len] = '\0';
    return b;
}

#define BYTES(lit) bytes(lit, sizeof(lit) - 1)

/* A vector of copies of the n strings given. */
static char **strv(size_t n, ...)
{
    char **v = calloc(n + 1, sizeof(*v));
    va_list ap;

    cr_assert_not_null(v);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        v[i] = xstrdup(va_arg(ap, const char *));
    va_end(ap);
    return v;
}

static void capture(struct spf_capture *c, struct spf_bytes data,
                    const char *sha256)
{
    c->present = true;
    c->data = data;
    c->total_len = data.len;
    snprintf(c->sha256, sizeof(c->sha256), "%s", sha256);
}

static struct spf_mismatch *mismatches(size_t n, ...)
{
    struct spf_mismatch *m = calloc(n, sizeof(*m));
    va_list ap;

    cr_assert_not_null(m);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *field = va_arg(ap, const char *);
        const char *expected = va_arg(ap, const char *);
        const char *got = va_arg(ap, const char *);

        m[i].field = field ? xstrdup(field) : NULL;
        m[i].expected = expected ? xstrdup(expected) : NULL;
        m[i].got = got ? xstrdup(got) : NULL;
    }
    va_end(ap);
    return m;
}

static void scenario(struct spf_scenario *sc, const char *name,
                     const char *file, unsigned line, const char *folder)
{
    memset(sc, 0, sizeof(*sc));
    spf_case_init(&sc->kase);
    sc->name = xstrdup(name);
    sc->file = xstrdup(file);
    sc->line = line;
    sc->folder = xstrdup(folder);
}

#define SHA_HELLO                                                              \
    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define SHA_EMPTY                                                              \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* 0: passes. */
static void verdict_pass(struct spf_scenario *sc, struct spf_verdict *v)
{
    scenario(sc, "spawn/exits-zero", "scenarios/basic/exit.yaml", 3,
             "scenarios/basic");
    sc->ref = xstrdup("EXIT-01");
    sc->summary = xstrdup("exit status 0 is success");
    sc->tags = strv(2, "smoke", "exit");
    sc->n_tags = 2;

    v->passed = true;
    v->outcome.result = SPF_RESULT_EXITED;
    v->outcome.has_returncode = true;
    capture(&v->outcome.out, BYTES("hello\n"), SHA_HELLO);
    capture(&v->outcome.err_out, BYTES(""), SHA_EMPTY);
    v->outcome.elapsed_ns = 12345678;
    v->outcome.iterations = 1;
    v->replay =
        xstrdup("spawnfault run --filter spawn/exits-zero scenarios/basic");
}

static struct spf_fault_record *hostile_faults(size_t *ret_n)
{
    static const struct spf_fault_record fired[] = {
        {.pid = 100,
         .scope = SPF_SCOPE_CHILD,
         .call = SPF_CALL_EXECVE,
         .n = 1,
         .action = SPF_ACTION_ERRNO,
         .err = EACCES},
        {.pid = 99,
         .scope = SPF_SCOPE_PARENT,
         .call = SPF_CALL_WRITE,
         .n = 3,
         .action = SPF_ACTION_SHORT,
         .want = 4096,
         .got = 1},
        {.pid = 99,
         .scope = SPF_SCOPE_EXEC,
         .call = SPF_CALL_READ,
         .n = 2,
         .action = SPF_ACTION_SHORT,
         .want = 512,
         .got = UINT64_MAX},
        {.pid = 101,
         .scope = SPF_SCOPE_PARENT,
         .call = SPF_CALL_PIPE2,
         .n = 1,
         .action = SPF_ACTION_ERRNO,
         .err = 4242},
        {.pid = 5,
         .scope = 0x30,
         .call = (enum spf_fault_call)77,
         .n = 9,
         .action = SPF_ACTION_ERRNO,
         .err = SPF_EBADRECORD},
    };
    struct spf_fault_record *f = malloc(sizeof(fired));

    cr_assert_not_null(f);
    memcpy(f, fired, sizeof(fired));
    *ret_n = sizeof(fired) / sizeof(fired[0]);
    return f;
}

/* 1: fails, and every string in it is hostile. */
static void verdict_hostile(struct spf_scenario *sc, struct spf_verdict *v)
{
    struct spf_outcome *o = &v->outcome;

    scenario(sc, fixture_hostile_name, "scenarios/hostile/\x01odd \"f\".yaml",
             42, "scenarios/hostile <&> ]]>\"");
    sc->summary = xstrdup("bad \x1b[2J bytes");
    sc->tags = strv(3, "hostile", "tag\twith\ttabs", "\xff");
    sc->n_tags = 3;

    o->result = SPF_RESULT_SPAWN_ERROR;
    o->stage = SPF_STAGE_EXEC;
    o->err = EACCES;
    o->filename = BYTES("/bin/\xff"
                        "bad\0nul");
    o->err_name = BYTES("OSError");
    o->raw = BYTES("OSError:13:noexec\xff\n");
    capture(&o->inherited_err, BYTES("warn\x1b[0m\n"), SHA_EMPTY);
    o->elapsed_ns = 1500000;
    o->iterations = 1;
    o->leaked_fds = strv(2, "fd 5 -> pipe:[1234]", "fd 7 -> /tmp/\xfe\x01");
    o->n_leaked_fds = 2;
    o->zombies = strv(1, "pid 77 (sh) <defunct>");
    o->n_zombies = 1;
    o->strays = strv(1, "pid 78 (sleep) \x1b]0;pwned\x07");
    o->n_strays = 1;
    o->watchdog_signal = SIGKILL;
    o->fired = hostile_faults(&o->n_fired);

    v->mismatches = mismatches(
        3, "spawn_error.errno", "ENOENT", "EACCES", "spawn_error.filename",
        "\"/bin/true\"", "\"/bin/\\xffbad\\x00nul\"", "out", "\"ok]]>\\n\"",
        "bytes \x01\x02\xff <&> \n second line");
    v->n_mismatches = 3;
    cr_assert(asprintf(&v->replay, "spawnfault run --filter '%s' scenarios",
                       fixture_hostile_name) > 0);
}

/* 2: the harness could not judge the scenario. */
static void verdict_harness(struct spf_scenario *sc, struct spf_verdict *v)
{
    scenario(sc, "harness/agent-crash", "scenarios/basic/crash.yaml", 10,
             "scenarios/basic");
    sc->ref = xstrdup("HARN-01");
    v->outcome.result = SPF_RESULT_HARNESS;
    v->outcome.harness_error =
        xstrdup("agent died: SIGSEGV <core dumped> & \"more\"\nsecond line");
    v->mismatches = mismatches(1, "result", "exited", "harness_error");
    v->n_mismatches = 1;
    v->replay =
        xstrdup("spawnfault run --filter harness/agent-crash scenarios");
}

/* 3: empty names everywhere, and a timeout whose output holds a NUL. */
static void verdict_empty(struct spf_scenario *sc, struct spf_verdict *v)
{
    scenario(sc, "", "", 0, "");
    sc->ref = xstrdup("");
    v->outcome.result = SPF_RESULT_TIMEOUT;
    capture(&v->outcome.partial_out, BYTES("ab\0cd"), SHA_EMPTY);
    v->outcome.partial_err.present = true;
    v->outcome.has_returncode = true;
    v->outcome.returncode = -SIGKILL;
    v->outcome.elapsed_ns = 2000000000;
    v->outcome.iterations = 1;
    v->mismatches = mismatches(1, "", NULL, "");
    v->n_mismatches = 1;
}

/* 4: passes, with a name of 4003 bytes, in a folder spelled loosely. */
static void verdict_long(struct spf_scenario *sc, struct spf_verdict *v)
{
    char name[4004];

    for (size_t i = 0; i < 4000; i += 5)
        memcpy(name + i, "long-", 5);
    memcpy(name + 4000, "end", 4);
    scenario(sc, name, "scenarios/basic/long.yaml", 1, "./scenarios//basic/");
    v->passed = true;
    v->outcome.result = SPF_RESULT_EXITED;
    v->outcome.has_returncode = true;
    v->outcome.elapsed_ns = 999999999;
    v->outcome.iterations = 3;
}

static struct fixture *fixture_new(void)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    cr_assert_not_null(fx);
    fx->s.verdicts = fx->v;
    fx->s.seed = FIXTURE_SEED;
    fx->s.started_unix = FIXTURE_STARTED;
    return fx;
}

struct spf_run_summary *fixture_hostile(void)
{
    struct fixture *fx = fixture_new();

    verdict_pass(&fx->sc[0], &fx->v[0]);
    verdict_hostile(&fx->sc[1], &fx->v[1]);
    verdict_harness(&fx->sc[2], &fx->v[2]);
    verdict_empty(&fx->sc[3], &fx->v[3]);
    verdict_long(&fx->sc[4], &fx->v[4]);
    for (size_t i = 0; i < 5; i++) {
        fx->v[i].scenario = &fx->sc[i];
        fx->v[i].seed = FIXTURE_SEED;
    }
    fx->s.n = 5;
    fx->s.passed = 2;
    fx->s.failed = 3;
    fx->s.elapsed_ns = 2500000000;
    return &fx->s;
}

struct spf_run_summary *fixture_interrupted(void)
{
    struct fixture *fx = fixture_new();

    verdict_pass(&fx->sc[0], &fx->v[0]);
    scenario(&fx->sc[1], "slow", "scenarios/basic/slow.yaml", 9,
             "scenarios/basic");
    fx->v[1].interrupted = true;
    fx->v[1].outcome.result = SPF_RESULT_HARNESS;
    fx->v[1].outcome.interrupted = true;
    fx->v[1].outcome.elapsed_ns = 1000;
    for (size_t i = 0; i < 2; i++) {
        fx->v[i].scenario = &fx->sc[i];
        fx->v[i].seed = FIXTURE_SEED;
    }
    fx->s.n = 2;
    fx->s.passed = 1;
    fx->s.interrupted = 1;
    fx->s.not_run = 3;
    fx->s.elapsed_ns = 1500000000;
    return &fx->s;
}

/* The reason a target gives, hostile as a name can be: it comes from an
 * adapter, and goes into every format. */
const char fixture_not_applicable_reason[] =
    "node has no umask <&> \"q\" ]]> # SKIP\nsecond line\x1b[2J bad\xff";

/* A case its target cannot express, cleanly. */
static void verdict_not_applicable(struct spf_scenario *sc,
                                   struct spf_verdict *v)
{
    scenario(sc, "umask-applied", "scenarios/suite/umask.yaml", 7,
             "scenarios/suite");
    sc->ref = xstrdup("UMASK-01");
    v->outcome.result = SPF_RESULT_NOT_APPLICABLE;
    v->outcome.not_applicable = xstrdup(fixture_not_applicable_reason);
    v->not_applicable = v->outcome.not_applicable;
    v->target = "node";
    v->replay = xstrdup("spawnfault run --target node --filter "
                        "umask-applied scenarios/suite");
}

/* A case its target cannot express, which left a stray: a failure. */
static void verdict_not_applicable_stray(struct spf_scenario *sc,
                                         struct spf_verdict *v)
{
    struct spf_outcome *o = &v->outcome;

    scenario(sc, "process-group-zero", "scenarios/suite/pgroup.yaml", 12,
             "scenarios/suite");
    o->result = SPF_RESULT_NOT_APPLICABLE;
    o->not_applicable =
        xstrdup("node has no process_group (child_process has no setpgid)");
    o->strays = strv(1, "pid 78 (sleep) state S");
    o->n_strays = 1;
    v->mismatches =
        mismatches(1, "census.strays", "none", "\"pid 78 (sleep) state S\"");
    v->n_mismatches = 1;
    v->target = "node";
    v->replay = xstrdup("spawnfault run --target node --filter "
                        "process-group-zero scenarios/suite");
}

struct spf_run_summary *fixture_not_applicable(void)
{
    struct fixture *fx = fixture_new();

    verdict_pass(&fx->sc[0], &fx->v[0]);
    verdict_not_applicable(&fx->sc[1], &fx->v[1]);
    verdict_not_applicable_stray(&fx->sc[2], &fx->v[2]);
    for (size_t i = 0; i < 3; i++) {
        fx->v[i].scenario = &fx->sc[i];
        fx->v[i].seed = FIXTURE_SEED;
    }
    fx->s.n = 3;
    fx->s.passed = 1;
    fx->s.failed = 1;
    fx->s.not_applicable = 1;
    fx->s.elapsed_ns = 750000000;
    snprintf(fx->s.target, sizeof(fx->s.target), "node");
    return &fx->s;
}

struct spf_run_summary *fixture_empty(void)
{
    return &fixture_new()->s;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void scenario_free(struct spf_scenario *sc)
{
    free(sc->name);
    free(sc->file);
    free(sc->folder);
    free(sc->ref);
    free(sc->summary);
    strv_free(sc->tags, sc->n_tags);
    spf_case_clear(&sc->kase);
}

void fixture_free(struct spf_run_summary *s)
{
    struct fixture *fx = (struct fixture *)s; /* s is its first member */

    for (size_t i = 0; i < s->n; i++) {
        spf_verdict_clear(&fx->v[i]);
        scenario_free(&fx->sc[i]);
    }
    free(fx);
}

char *fixture_tmpdir(void)
{
    const char *root = getenv("TMPDIR");
    char *dir;

    cr_assert(asprintf(&dir, "%s/spf-reports-XXXXXX", root ? root : "/tmp") >
              0);
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    return dir;
}

char *fixture_path(const char *dir, const char *name)
{
    char *path;

    cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    return path;
}

size_t fixture_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    cr_assert_not_null(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

void fixture_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    cr_assert_not_null(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            cr_assert_eq(unlinkat(dirfd(d), e->d_name, 0), 0);
    closedir(d);
    cr_assert_eq(rmdir(dir), 0);
}

char *fixture_read(const char *path, size_t *ret_len)
{
    FILE *f = fopen(path, "rbe");
    char *data = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&data, &len);
    char buf[4096];
    size_t n;

    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_not_null(m);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, m);
    cr_assert(!ferror(f));
    fclose(f);
    cr_assert_eq(fclose(m), 0);
    *ret_len = len;
    return data;
}

char *fixture_render(int (*writer)(const struct spf_run_summary *, FILE *),
                     const struct spf_run_summary *s, size_t *ret_len)
{
    char *data = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&data, &len);
    int r;

    cr_assert_not_null(m);
    r = writer(s, m);
    cr_assert_eq(r, 0, "writer: %s", strerror(-r));
    cr_assert_eq(fclose(m), 0);
    *ret_len = len;
    return data;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wbe");

    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* Where two texts part, as "line L, byte B". */
static void first_difference(const char *a, size_t a_len, const char *b,
                             size_t b_len, size_t *ret_line, size_t *ret_off)
{
    size_t i = 0, line = 1;

    for (; i < a_len && i < b_len && a[i] == b[i]; i++)
        line += a[i] == '\n';
    *ret_line = line;
    *ret_off = i;
}

void fixture_expect_golden(const char *name, const char *data, size_t len)
{
    char *path = fixture_path(GOLDEN_DIR, name);
    const char *update = getenv("SPF_GOLDEN_UPDATE");
    size_t golden_len, line, off;
    char *golden;

    if (update && strcmp(update, "1") == 0) {
        write_file(path, data, len);
        fprintf(stderr, "rewrote %s: review it before committing\n", path);
        free(path);
        return;
    }
    golden = fixture_read(path, &golden_len);
    first_difference(golden, golden_len, data, len, &line, &off);
    if (golden_len != len || memcmp(golden, data, len) != 0) {
        char *actual = fixture_path(".", name);

        write_file(actual, data, len); /* for diff(1) */
        cr_assert_fail(
            "%s differs from the golden file at line %zu (byte %zu); "
            "output left in %s",
            name, line, off, actual);
    }
    free(golden);
    free(path);
}

void fixture_expect_printable(const char *data, size_t len)
{
    const unsigned char *u = (const unsigned char *)data;

    for (size_t i = 0, n; i < len; i += n) {
        uint32_t cp;

        n = spf__utf8_decode(u + i, len - i, &cp);
        cr_assert_neq(n, 0, "invalid UTF-8 at byte %zu", i);
        cr_assert(cp == '\n' ||
                      (cp >= 0x20 && cp != 0x7f && (cp < 0x80 || cp > 0x9f)),
                  "control character U+%04X at byte %zu", cp, i);
    }
}

char *fixture_render_hostile(fixture_stream_writer *writer, size_t *ret_len)
{
    struct spf_run_summary *s = fixture_hostile();
    char *data = fixture_render(writer, s, ret_len);

    fixture_free(s);
    return data;
}

void fixture_expect_stream_golden(fixture_stream_writer *writer,
                                  const char *name)
{
    size_t len;
    char *data = fixture_render_hostile(writer, &len);

    fixture_expect_golden(name, data, len);
    free(data);
}

void fixture_expect_stream_printable(fixture_stream_writer *writer)
{
    size_t len;
    char *data = fixture_render_hostile(writer, &len);

    fixture_expect_printable(data, len);
    free(data);
}

void fixture_expect_stream_enospc(fixture_stream_writer *writer)
{
    FILE *full = fopen("/dev/full", "we");
    struct spf_run_summary *s;

    if (!full)
        cr_skip_test("/dev/full is not available: %s", strerror(errno));
    s = fixture_hostile();
    cr_expect_eq(writer(s, full), -ENOSPC);
    fclose(full);
    fixture_free(s);
}

void fixture_expect_path_enoent(fixture_path_writer *writer)
{
    struct spf_run_summary *s = fixture_hostile();
    char *dir = fixture_tmpdir(), *path = fixture_path(dir, "no/report");

    cr_expect_eq(writer(s, path), -ENOENT);
    cr_expect_eq(fixture_count_entries(dir), 0);
    fixture_rmtree(dir);
    free(path);
    free(dir);
    fixture_free(s);
}

int fixture_xmllint(const char *path)
{
    const char *xmllint = getenv("SPF_XMLLINT");
    const char *xsd = getenv("SPF_JUNIT_XSD");
    posix_spawn_file_actions_t fa;
    char *argv[] = {(char *)"xmllint", (char *)"--noout", (char *)"--schema",
                    (char *)xsd,       (char *)path,      NULL};
    pid_t pid;
    int status;

    if (!xsd || access(xsd, R_OK) != 0)
        cr_skip_test("the JUnit schema is missing (SPF_JUNIT_XSD=%s): "
                     "../shared/data/junit-10.xsd must sit beside the "
                     "source tree",
                     xsd ? xsd : "unset");
    if (!xmllint || xmllint[0] == '\0')
        cr_skip_test("xmllint was not found when the build was set up");

    /* xmllint's stdout would interleave with the TAP stream. */
    cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
    cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, 2, 1), 0);
    cr_assert_eq(posix_spawn(&pid, xmllint, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "xmllint died: status %#x", status);
    return WEXITSTATUS(status);
}

static int fds_at_start = -1;

static int count_fds(void)
{
    return (int)fixture_count_entries("/proc/self/fd") - 1; /* the DIR's */
}

void fixture_begin(void)
{
    fds_at_start = count_fds();
}

/*
 * Criterion runs each test in a worker process whose valgrind report it
 * swallows, and whose exit status it ignores once the test has passed: so
 * under valgrind, the test asks memcheck itself.
 */
static void expect_memcheck_clean(void)
{
#ifdef HAVE_MEMCHECK
    unsigned long leaked = 0, dubious = 0, reachable = 0, suppressed = 0;

    if (!RUNNING_ON_VALGRIND)
        return;
    cr_assert_eq(VALGRIND_COUNT_ERRORS, 0,
                 "memcheck found errors: rerun this test alone under "
                 "valgrind --trace-children=yes --log-file=vg.%%p");
    VALGRIND_DO_LEAK_CHECK;
    VALGRIND_COUNT_LEAKS(leaked, dubious, reachable, suppressed);
    (void)dubious, (void)reachable, (void)suppressed;
    cr_assert_eq(leaked, 0, "%lu bytes definitely lost", leaked);
#endif
}

/* LeakSanitizer would report at the worker's exit, likewise too late. */
static void expect_lsan_clean(void)
{
#if defined(__SANITIZE_ADDRESS__)
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0,
                 "LeakSanitizer found a leak (its report is on stderr)");
#endif
}

void fixture_end(void)
{
    cr_assert_eq(count_fds(), fds_at_start, "a test leaked a file descriptor");
    cr_assert(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
              "a test left a child unreaped");
    expect_memcheck_clean();
    expect_lsan_clean();
}
