/* The listing of scenarios that `spawnfault list` shows. */
#include <stdio.h>
#include <stdlib.h>

#include <spawnfault/report.h>

#include "escape.h"
#include "output.h"

struct listing {
    const struct spf_scenario *const *items;
    size_t n;
};

/* Name, place, reference and tags on one line; the summary indented on
 * the next.  Every text goes through the sanitiser: a summary may hold
 * any byte but a line break. */
static void write_one(FILE *f, const struct spf_scenario *sc)
{
    char *name = spf__escape_str(sc->name, SPF__ESC_ONE_LINE);

    fprintf(f, "%-40s ", name ? name : "?");
    free(name);
    spf__escape_puts(f, sc->file, SPF__ESC_ONE_LINE);
    fprintf(f, ":%u", sc->line);
    if (sc->ref) {
        fputs("  [", f);
        spf__escape_puts(f, sc->ref, SPF__ESC_ONE_LINE);
        fputc(']', f);
    }
    for (size_t i = 0; i < sc->n_tags; i++) {
        fputs(i ? "," : "  ", f);
        spf__escape_puts(f, sc->tags[i], SPF__ESC_ONE_LINE);
    }
    if (sc->summary) {
        fputs("\n    ", f);
        spf__escape_puts(f, sc->summary, SPF__ESC_ONE_LINE);
    }
    fputc('\n', f);
}

static int render(const void *ctx, FILE *f)
{
    const struct listing *l = ctx;

    for (size_t i = 0; i < l->n; i++)
        write_one(f, l->items[i]);
    fprintf(f, "%zu scenario%s\n", l->n, l->n == 1 ? "" : "s");
    return 0;
}

int spf_report_list(const struct spf_scenario *const *items, size_t n, FILE *f)
{
    struct listing l = {items, n};

    return spf__output_stream(f, render, &l);
}
