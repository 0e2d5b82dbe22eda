/*
 * TAP version 13, so that a test harness (meson's among them) counts the
 * scenarios one by one.  A failing scenario gets a YAML diagnostic block.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spawnfault/report.h>

#include "escape.h"
#include "lines.h"
#include "output.h"

/*
 * A YAML double-quoted scalar.  The sanitiser first makes the bytes one
 * line of visible text; quoting its backslashes then keeps that text as it
 * is, so a reader sees the same \xHH escapes as in the other reports.
 *
 * In a list item, a colon in the first word is written \x3a (the same
 * character to any YAML reader): Perl's TAP::Parser, behind prove, takes
 * `- "word: text"` for a mapping and gives up on the whole block.
 */
static int yaml_put(FILE *f, const char *p, size_t len, bool item)
{
    char *s = spf__escape(p, len, SPF__ESC_ONE_LINE);
    bool first_word = item;

    if (!s)
        return -ENOMEM;
    fputc('"', f);
    for (const char *c = s; *c != '\0'; c++) {
        first_word = first_word && *c != ' ';
        if (first_word && *c == ':') {
            fputs("\\x3a", f);
            continue;
        }
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        fputc(*c, f);
    }
    fputc('"', f);
    free(s);
    return 0;
}

static int yaml_field(FILE *f, const char *indent, const char *key,
                      const char *value)
{
    int r;

    fprintf(f, "%s%s: ", indent, key);
    r = yaml_put(f, value, value ? strlen(value) : 0, false);
    fputc('\n', f);
    return r;
}

/* A list whose heading is written with its first item, so that an empty
 * list leaves no trace. */
struct yaml_list {
    FILE *f;
    const char *heading;
    bool started;
};

static int yaml_item(void *ctx, const char *line, size_t len)
{
    struct yaml_list *l = ctx;
    int r;

    if (!l->started)
        fprintf(l->f, "  %s:\n", l->heading);
    l->started = true;
    fputs("    - ", l->f);
    r = yaml_put(l->f, line, len, true);
    fputc('\n', l->f);
    return r;
}

static int write_mismatch_list(FILE *f, const char *heading,
                               const struct spf_mismatch *list, size_t n)
{
    int r = 0;

    if (n > 0)
        fprintf(f, "  %s:\n", heading);
    for (size_t i = 0; r == 0 && i < n; i++) {
        const struct spf_mismatch *m = &list[i];

        r = yaml_field(f, "    - ", "field", m->field);
        if (r == 0)
            r = yaml_field(f, "      ", "expected", m->expected);
        if (r == 0)
            r = yaml_field(f, "      ", "got", m->got);
    }
    return r;
}

static int write_diagnostics(FILE *f, const struct spf_verdict *v)
{
    const struct spf_scenario *sc = v->scenario;
    struct yaml_list census = {f, "census", false};
    struct yaml_list faults = {f, "faults", false};
    int r;

    fputs("  ---\n", f);
    r = yaml_field(f, "  ", "file", sc->file);
    fprintf(f, "  line: %u\n", sc->line);
    if (r == 0)
        r = write_mismatch_list(f, "mismatches", v->mismatches,
                                v->n_mismatches);
    /* Mismatches the scenario documents for this target: shown, never
     * failed (docs/targets.md). */
    if (r == 0)
        r = write_mismatch_list(f, "excused", v->excused, v->n_excused);
    /* Its target could not express the case: the census failed it. */
    if (r == 0 && v->outcome.not_applicable)
        r = yaml_field(f, "  ", "not_applicable", v->outcome.not_applicable);
    if (r == 0)
        r = spf__census_lines(&v->outcome, yaml_item, &census);
    if (r == 0)
        r = spf__fault_lines(&v->outcome, yaml_item, &faults);
    fprintf(f, "  seed: %" PRIu64 "\n", v->seed);
    if (r == 0 && v->replay)
        r = yaml_field(f, "  ", "replay", v->replay);
    fputs("  ...\n", f);
    return r;
}

/* Neither passed nor failed: stopped half-way, or a case the target
 * cannot express. */
static void put_skip(FILE *f, const struct spf_verdict *v)
{
    if (v->interrupted) {
        fputs(" # SKIP interrupted", f);
    } else if (v->not_applicable) {
        fputs(" # SKIP not applicable: ", f);
        spf__escape_puts(f, v->not_applicable,
                         SPF__ESC_ONE_LINE | SPF__ESC_HASH);
    }
}

static int render(const void *ctx, FILE *f)
{
    const struct spf_run_summary *s = ctx;
    int r = 0;

    fprintf(f, "TAP version 13\n1..%zu\n", s->n);
    for (size_t i = 0; r == 0 && i < s->n; i++) {
        const struct spf_verdict *v = &s->verdicts[i];
        bool failed = spf_verdict_failed(v);

        /* A '#' would start a directive ("# SKIP"), a newline a new line
         * of TAP: the name and the reason carry neither. */
        fprintf(f, "%s %zu - ", failed ? "not ok" : "ok", i + 1);
        spf__escape_puts(f, v->scenario->name,
                         SPF__ESC_ONE_LINE | SPF__ESC_HASH);
        put_skip(f, v);
        fputc('\n', f);
        if (failed || (v->passed && v->n_excused > 0))
            r = write_diagnostics(f, v);
    }
    fprintf(f, "# %zu passed, %zu failed", s->passed, s->failed);
    if (s->interrupted || s->not_run)
        fprintf(f, ", %zu interrupted, %zu not run", s->interrupted,
                s->not_run);
    /* Last, as in the text report. */
    if (s->not_applicable) {
        fprintf(f, ", %zu not applicable on ", s->not_applicable);
        spf__escape_puts(f, s->target[0] ? s->target : "core",
                         SPF__ESC_ONE_LINE);
    }
    fprintf(f, "; seed %" PRIu64 "\n", s->seed);
    return r;
}

int spf_report_tap(const struct spf_run_summary *s, FILE *f)
{
    return spf__output_stream(f, render, s);
}
