/*
 * JUnit XML through libxml2's text writer, valid against junit-10.xsd (the
 * schema Jenkins' xUnit plugin checks).  The mapping is in docs/reports.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlwriter.h>

#include "escape.h"
#include "format.h"
#include "lines.h"
#include "origin.h"
#include "output.h"

/* The text writer with a sticky error: after the first failure every call
 * does nothing, and the caller looks at err once at the end. */
struct xw {
    xmlTextWriterPtr w;
    int err;
};

/* The writer writes to memory, so its only failure at run time is running
 * out of it. */
static void xw_check(struct xw *x, int rc)
{
    if (rc < 0 && x->err == 0)
        x->err = -ENOMEM;
}

static void xw_start(struct xw *x, const char *element)
{
    if (x->err == 0)
        xw_check(x, xmlTextWriterStartElement(x->w, BAD_CAST element));
}

static void xw_end(struct xw *x)
{
    if (x->err == 0)
        xw_check(x, xmlTextWriterEndElement(x->w));
}

/* Every name and text reaches libxml2 through here: the sanitiser makes it
 * valid UTF-8 made of XML characters, libxml2 escapes <&>" and keeps TAB,
 * LF and CR in attributes as character references. */
static char *xw_escape(struct xw *x, const char *p, size_t len, unsigned flags)
{
    char *s = x->err == 0 ? spf__escape(p, len, flags) : NULL;

    if (!s && x->err == 0)
        x->err = -ENOMEM;
    return s;
}

static void xw_attr(struct xw *x, const char *name, const char *p, size_t len,
                    unsigned flags)
{
    char *value = xw_escape(x, p, len, flags);

    if (value)
        xw_check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST name,
                                                BAD_CAST value));
    free(value);
}

static void xw_attr_str(struct xw *x, const char *name, const char *s)
{
    s = spf__or_empty(s);
    xw_attr(x, name, s, strlen(s), SPF__ESC_XML);
}

static void xw_attr_u64(struct xw *x, const char *name, uint64_t n)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%" PRIu64, n);
    xw_attr_str(x, name, buf);
}

static void xw_attr_time(struct xw *x, const char *name, int64_t ns)
{
    char buf[SPF__SECONDS_MAX];

    spf__format_seconds(ns, buf);
    xw_attr_str(x, name, buf);
}

/* Text content.  Never CDATA: a "]]>" in a name could not survive it. */
static void xw_text(struct xw *x, const char *p, size_t len)
{
    char *text = xw_escape(x, p, len, SPF__ESC_XML);

    if (text)
        xw_check(x, xmlTextWriterWriteString(x->w, BAD_CAST text));
    free(text);
}

/* Lines joined into one text; the first is kept apart for a message. */
struct gather {
    FILE *f;
    char *text;
    size_t len;
    char *first;
    size_t first_len;
};

static int gather_line(void *ctx, const char *line, size_t len)
{
    struct gather *g = ctx;

    if (!g->first) {
        g->first = malloc(len + 1);
        if (!g->first)
            return -ENOMEM;
        memcpy(g->first, line, len);
        g->first[len] = '\0';
        g->first_len = len;
    }
    fwrite(line, 1, len, g->f);
    fputc('\n', g->f);
    return 0;
}

static int gather_open(struct gather *g)
{
    memset(g, 0, sizeof(*g));
    g->f = open_memstream(&g->text, &g->len);
    return g->f ? 0 : -ENOMEM;
}

/* End the text (without its last newline) for reading.  Returns 0 or
 * -ENOMEM when a line could not be stored. */
static int gather_close(struct gather *g)
{
    int r = ferror(g->f) ? -ENOMEM : 0;

    if (fclose(g->f) != 0)
        r = -ENOMEM;
    g->f = NULL;
    if (g->len > 0)
        g->len--;
    return r;
}

static void gather_free(struct gather *g)
{
    if (g->f)
        fclose(g->f);
    free(g->text);
    free(g->first);
}

static void xw_fail(struct xw *x, int r)
{
    if (r < 0 && x->err == 0)
        x->err = r;
}

/* A harness error is the one failure JUnit calls an error: the scenario
 * could not be judged at all. */
static bool is_error(const struct spf_verdict *v)
{
    return spf_verdict_failed(v) && v->outcome.result == SPF_RESULT_HARNESS;
}

/* What kind of failure: what JUnit tools group failures by. */
static const char *failure_type(const struct spf_verdict *v)
{
    if (is_error(v))
        return "harness_error";
    return v->n_mismatches > 0 ? "mismatch" : "census";
}

/* Everything that went wrong, then the seed and the replay command. */
static int failure_text(const struct spf_verdict *v, struct gather *g)
{
    int r = gather_open(g);

    if (r == 0)
        r = spf__problem_lines(v, gather_line, g);
    if (r == 0)
        fprintf(g->f, "seed: %" PRIu64 "\n", v->seed);
    if (r == 0 && v->replay)
        fprintf(g->f, "replay: %s\n", v->replay);
    if (r == 0)
        r = gather_close(g);
    return r;
}

static void write_failure(struct xw *x, const struct spf_verdict *v)
{
    const char *harness = v->outcome.harness_error;
    bool error = is_error(v);
    struct gather g;

    xw_fail(x, failure_text(v, &g));
    xw_start(x, error ? "error" : "failure");
    if (error && harness)
        xw_attr(x, "message", harness, strlen(harness), SPF__ESC_LINE);
    else if (g.first)
        xw_attr(x, "message", g.first, g.first_len, SPF__ESC_LINE);
    xw_attr_str(x, "type", failure_type(v));
    xw_text(x, g.text, g.len);
    xw_end(x);
    gather_free(&g);
}

/* The outcome in short, after the mismatches the target's documented
 * differences excused (a passing case's only trace of them). */
static void write_system_out(struct xw *x, const struct spf_verdict *v)
{
    struct gather g;
    int r = gather_open(&g);

    if (r == 0)
        r = spf__excused_lines(v, gather_line, &g);
    if (r == 0)
        r = spf__outcome_lines(&v->outcome, gather_line, &g);
    if (r == 0)
        r = gather_close(&g);
    xw_fail(x, r);
    xw_start(x, "system-out");
    xw_text(x, g.text, g.len);
    xw_end(x);
    gather_free(&g);
}

/* The folder with dots for slashes, without empty or "." parts:
 * "./scenarios//errors/" gives "scenarios.errors". */
static char *classname(const char *folder)
{
    char *cls = malloc(strlen(folder) + 1), *o = cls;

    if (!cls)
        return NULL;
    for (const char *p = folder; *p != '\0'; p += *p == '/') {
        size_t n = strcspn(p, "/");

        if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (o != cls)
                *o++ = '.';
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    *o = '\0';
    return cls;
}

/* A case the target cannot express: skipped, with the target and the
 * reason, one line. */
static void write_not_applicable(struct xw *x, const struct spf_verdict *v,
                                 const char *target)
{
    char *message;

    if (asprintf(&message, "not applicable on %s: %s", target,
                 v->not_applicable) < 0) {
        xw_fail(x, -ENOMEM);
        return;
    }
    xw_start(x, "skipped");
    xw_attr(x, "message", message, strlen(message), SPF__ESC_LINE);
    xw_end(x);
    free(message);
}

static void write_testcase(struct xw *x, const struct spf_verdict *v,
                           const char *target)
{
    const struct spf_scenario *sc = v->scenario;
    char *cls = classname(spf__or_empty(sc->folder));

    if (!cls)
        xw_fail(x, -ENOMEM);
    xw_start(x, "testcase");
    xw_attr_str(x, "name", sc->name);
    xw_attr_str(x, "classname", cls);
    xw_attr_time(x, "time", v->outcome.elapsed_ns);
    if (v->interrupted) {
        xw_start(x, "skipped");
        xw_attr_str(x, "message",
                    "interrupted: the run was stopped while "
                    "this case ran");
        xw_end(x);
    } else if (v->not_applicable) {
        write_not_applicable(x, v, target);
    } else if (!v->passed) {
        write_failure(x, v);
    }
    write_system_out(x, v);
    xw_end(x);
    free(cls);
}

/* One <testsuite>: the scenarios of one folder. */
struct suite {
    const char *folder;
    uint64_t tests, failures, errors, skipped;
    int64_t elapsed_ns;
};

struct junit {
    const struct spf_run_summary *s;
    const struct spf__origin *origin;
    char timestamp[SPF__ISO8601_MAX];
    struct suite *suites; /* in the order their folders first appear */
    size_t n_suites;
    size_t *suite_of; /* verdict i is in suites[suite_of[i]] */
};

static void count_verdict(struct suite *suite, const struct spf_verdict *v)
{
    suite->tests++;
    if (v->interrupted || v->not_applicable)
        suite->skipped++;
    else if (is_error(v))
        suite->errors++;
    else if (!v->passed)
        suite->failures++;
    if (v->outcome.elapsed_ns > 0)
        suite->elapsed_ns += v->outcome.elapsed_ns;
}

static int group_suites(struct junit *j)
{
    const struct spf_run_summary *s = j->s;

    j->suites = calloc(s->n + 1, sizeof(*j->suites));
    j->suite_of = calloc(s->n + 1, sizeof(*j->suite_of));
    if (!j->suites || !j->suite_of)
        return -ENOMEM;

    for (size_t i = 0; i < s->n; i++) {
        const struct spf_verdict *v = &s->verdicts[i];
        const char *folder = spf__or_empty(v->scenario->folder);
        size_t k = 0;

        while (k < j->n_suites && strcmp(j->suites[k].folder, folder) != 0)
            k++;
        if (k == j->n_suites)
            j->suites[j->n_suites++].folder = folder;
        j->suite_of[i] = k;
        count_verdict(&j->suites[k], v);
    }
    return 0;
}

static void write_property(struct xw *x, const char *name, const char *value)
{
    xw_start(x, "property");
    xw_attr_str(x, "name", name);
    xw_attr_str(x, "value", value);
    xw_end(x);
}

static void write_properties(struct xw *x, const struct junit *j)
{
    char seed[24];

    snprintf(seed, sizeof(seed), "%" PRIu64, j->s->seed);
    xw_start(x, "properties");
    write_property(x, "seed", seed);
    write_property(x, "spawnfault.version", j->origin->version);
    write_property(x, "spawnfault.target",
                   j->s->target[0] ? j->s->target : "core");
    xw_end(x);
}

static void write_testsuite(struct xw *x, const struct junit *j, size_t k)
{
    const struct suite *suite = &j->suites[k];

    xw_start(x, "testsuite");
    xw_attr_str(x, "name", suite->folder);
    xw_attr_u64(x, "tests", suite->tests);
    xw_attr_u64(x, "failures", suite->failures);
    xw_attr_u64(x, "errors", suite->errors);
    xw_attr_u64(x, "skipped", suite->skipped);
    xw_attr_time(x, "time", suite->elapsed_ns);
    if (j->timestamp[0] != '\0')
        xw_attr_str(x, "timestamp", j->timestamp);
    xw_attr_str(x, "hostname", j->origin->hostname);
    write_properties(x, j);
    for (size_t i = 0; i < j->s->n; i++)
        if (j->suite_of[i] == k)
            write_testcase(x, &j->s->verdicts[i],
                           j->s->target[0] ? j->s->target : "core");
    xw_end(x);
}

static void write_testsuites(struct xw *x, const struct junit *j)
{
    uint64_t failures = 0, errors = 0;

    for (size_t k = 0; k < j->n_suites; k++) {
        failures += j->suites[k].failures;
        errors += j->suites[k].errors;
    }
    xw_start(x, "testsuites");
    xw_attr_str(x, "name", "spawnfault");
    xw_attr_u64(x, "tests", j->s->n);
    xw_attr_u64(x, "failures", failures);
    xw_attr_u64(x, "errors", errors);
    xw_attr_time(x, "time", j->s->elapsed_ns);
    for (size_t k = 0; k < j->n_suites; k++)
        write_testsuite(x, j, k);
    xw_end(x);
}

/* Render the document into memory, then copy it to f. */
static int render(const void *ctx, FILE *f)
{
    const struct junit *j = ctx;
    xmlBufferPtr buf = xmlBufferCreate();
    struct xw x = {NULL, 0};

    if (!buf)
        return -ENOMEM;
    x.w = xmlNewTextWriterMemory(buf, 0);
    if (!x.w) {
        xmlBufferFree(buf);
        return -ENOMEM;
    }

    xw_check(&x, xmlTextWriterSetIndent(x.w, 1));
    xw_check(&x, xmlTextWriterSetIndentString(x.w, BAD_CAST "  "));
    xw_check(&x, xmlTextWriterStartDocument(x.w, NULL, "UTF-8", NULL));
    write_testsuites(&x, j);
    if (x.err == 0)
        xw_check(&x, xmlTextWriterEndDocument(x.w));
    xmlFreeTextWriter(x.w);

    if (x.err == 0)
        fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf), f);
    xmlBufferFree(buf);
    return x.err;
}

int spf__report_junit_from(const struct spf_run_summary *s, const char *path,
                           const struct spf__origin *origin)
{
    struct junit j = {.s = s, .origin = origin};
    int r;

    /* Initialises libxml2 once; harmless when the program did already. */
    xmlInitParser();
    spf__format_iso8601(s->started_unix, j.timestamp);
    r = group_suites(&j);
    if (r == 0)
        r = spf__output_path(path, render, &j);
    free(j.suites);
    free(j.suite_of);
    return r;
}
