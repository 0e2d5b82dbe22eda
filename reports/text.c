/* The report for people: each case not applicable with its reason, each
 * failure in full, then one line of counts. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <spawnfault/report.h>

#include "escape.h"
#include "format.h"
#include "lines.h"
#include "output.h"

/* Everything a verdict holds goes through the sanitiser, one line each,
 * so no name can move the cursor, clear the screen or fake a line. */
static int text_line(void *ctx, const char *line, size_t len)
{
    FILE *f = ctx;

    fputs("  ", f);
    spf__escape_put(f, line, len, SPF__ESC_ONE_LINE);
    fputc('\n', f);
    return 0;
}

/* "LABEL name (file:line) [ref]", without the end of the line. */
static void put_heading(FILE *f, const char *label,
                        const struct spf_scenario *sc)
{
    fputs(label, f);
    fputc(' ', f);
    spf__escape_puts(f, sc->name, SPF__ESC_ONE_LINE);
    fputs(" (", f);
    spf__escape_puts(f, sc->file, SPF__ESC_ONE_LINE);
    fprintf(f, ":%u)", sc->line);
    if (sc->ref && sc->ref[0] != '\0') {
        fputs(" [", f);
        spf__escape_puts(f, sc->ref, SPF__ESC_ONE_LINE);
        fputc(']', f);
    }
}

static int write_failure(FILE *f, const struct spf_verdict *v)
{
    int r;

    put_heading(f, "FAIL", v->scenario);
    fputc('\n', f);

    r = spf__problem_lines(v, text_line, f);
    if (v->replay) {
        fputs("  replay: ", f);
        spf__escape_puts(f, v->replay, SPF__ESC_ONE_LINE);
        fputc('\n', f);
    }
    fputc('\n', f);
    return r;
}

/* One line each, with the reason, before the failures: not run, so
 * there is nothing more to say of them. */
static void write_not_applicable(FILE *f, const struct spf_run_summary *s)
{
    bool any = false;

    for (size_t i = 0; i < s->n; i++) {
        const struct spf_verdict *v = &s->verdicts[i];

        if (!v->not_applicable)
            continue;
        put_heading(f, "N/A", v->scenario);
        fputs(": ", f);
        spf__escape_puts(f, v->not_applicable, SPF__ESC_ONE_LINE);
        fputc('\n', f);
        any = true;
    }
    if (any)
        fputc('\n', f);
}

static const char *target_of(const struct spf_run_summary *s)
{
    return s->target[0] ? s->target : "core";
}

static int render(const void *ctx, FILE *f)
{
    const struct spf_run_summary *s = ctx;
    char secs[SPF__SECONDS_MAX];
    int r = 0;

    write_not_applicable(f, s);
    for (size_t i = 0; r == 0 && i < s->n; i++)
        if (spf_verdict_failed(&s->verdicts[i]))
            r = write_failure(f, &s->verdicts[i]);

    spf__format_seconds(s->elapsed_ns, secs);
    fprintf(f, "%zu scenario%s: %zu passed, %zu failed", s->n,
            s->n == 1 ? "" : "s", s->passed, s->failed);
    if (s->interrupted || s->not_run)
        fprintf(f, ", %zu interrupted, %zu not run", s->interrupted,
                s->not_run);
    if (s->excused)
        fprintf(f, " (%zu with documented differences)", s->excused);
    /* Last, so that the lines of runs without any stay as they were. */
    if (s->not_applicable) {
        fprintf(f, ", %zu not applicable on ", s->not_applicable);
        spf__escape_puts(f, target_of(s), SPF__ESC_ONE_LINE);
    }
    fprintf(f, " in %s s; seed %" PRIu64, secs, s->seed);
    if (s->target[0] && strcmp(s->target, "core") != 0) {
        fputs("; target ", f);
        spf__escape_puts(f, s->target, SPF__ESC_ONE_LINE);
    }
    fputc('\n', f);
    return r;
}

int spf_report_text(const struct spf_run_summary *s, FILE *f)
{
    return spf__output_stream(f, render, s);
}

void spf_report_put_text(FILE *f, const char *s)
{
    spf__escape_puts(f, s, SPF__ESC_ONE_LINE);
}

/* A comparison. */

static void put_row(FILE *f, const struct spf_comparison *cmp,
                    const struct spf_comparison_row *row)
{
    const char *a = cmp->targets[0], *b = cmp->targets[row->target];

    put_heading(f, row->undocumented ? "DIFF" : "diff", row->scenario);
    fputc('\n', f);
    for (size_t i = 0; i < row->n_diffs; i++) {
        const struct spf_field_diff *d = &row->diffs[i];

        fputs("  ", f);
        spf__escape_puts(f, d->field, SPF__ESC_ONE_LINE);
        fputs(": ", f);
        spf__escape_puts(f, a, SPF__ESC_ONE_LINE);
        fputc(' ', f);
        spf__escape_puts(f, d->a, SPF__ESC_ONE_LINE);
        fputs(", ", f);
        spf__escape_puts(f, b, SPF__ESC_ONE_LINE);
        fputc(' ', f);
        spf__escape_puts(f, d->b, SPF__ESC_ONE_LINE);
        fputs(d->why ? " (documented: " : " (undocumented)", f);
        if (d->why) {
            spf__escape_puts(f, d->why, SPF__ESC_ONE_LINE);
            fputc(')', f);
        }
        fputc('\n', f);
    }
}

/* The scenarios that failed on each target, named (their reasons are in
 * that target's own report: --verbose or --json). */
static bool put_failures(FILE *f, const struct spf_comparison *cmp)
{
    bool any = false;

    for (size_t t = 0; t < cmp->n_targets; t++)
        for (size_t i = 0; i < cmp->runs[t].n; i++) {
            const struct spf_verdict *v = &cmp->runs[t].verdicts[i];

            if (!spf_verdict_failed(v))
                continue;
            put_heading(f, "FAIL", v->scenario);
            fputs(" on ", f);
            spf__escape_puts(f, cmp->targets[t], SPF__ESC_ONE_LINE);
            fputc('\n', f);
            any = true;
        }
    return any;
}

static int render_comparison(const void *ctx, FILE *f)
{
    const struct spf_comparison *cmp = ctx;

    for (size_t i = 0; i < cmp->n_rows; i++)
        put_row(f, cmp, &cmp->rows[i]);
    if (cmp->n_rows)
        fputc('\n', f);
    if (put_failures(f, cmp))
        fputc('\n', f);
    for (size_t t = 0; t < cmp->n_targets; t++) {
        const struct spf_run_summary *s = &cmp->runs[t];

        spf__escape_puts(f, cmp->targets[t], SPF__ESC_ONE_LINE);
        fprintf(f, ": %zu passed, %zu failed", s->passed, s->failed);
        if (s->excused)
            fprintf(f, " (%zu with documented differences)", s->excused);
        if (s->interrupted || s->not_run)
            fprintf(f, ", %zu interrupted, %zu not run", s->interrupted,
                    s->not_run);
        if (s->not_applicable)
            fprintf(f, ", %zu not applicable", s->not_applicable);
        fputc('\n', f);
    }
    fprintf(f,
            "compared %zu: %zu differ (%zu documented field differences, "
            "%zu undocumented)",
            cmp->compared, cmp->n_rows, cmp->documented, cmp->undocumented);
    if (cmp->skipped)
        fprintf(f, ", %zu not compared (interrupted)", cmp->skipped);
    for (size_t t = 0; t < cmp->n_targets; t++) {
        if (!cmp->not_applicable[t])
            continue;
        fprintf(f, ", %zu not compared (not applicable on ",
                cmp->not_applicable[t]);
        spf__escape_puts(f, cmp->targets[t], SPF__ESC_ONE_LINE);
        fputc(')', f);
    }
    fputc('\n', f);
    return 0;
}

int spf_report_compare_text(const struct spf_comparison *cmp, FILE *f)
{
    return spf__output_stream(f, render_comparison, cmp);
}
