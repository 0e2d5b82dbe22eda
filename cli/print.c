/*
 * The command-line program's error and warning lines (see print.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include <spawnfault/report.h>

#include "print.h"

void spf__cli_verror(const char *kind, const char *fmt, va_list ap)
{
    char *msg = NULL;
    int n = vasprintf(&msg, fmt, ap);

    fprintf(stderr, "spawnfault: %s: ", kind);
    spf_report_put_text(stderr, n < 0 ? "(out of memory)" : msg);
    fputc('\n', stderr);
    free(msg);
}

void spf__cli_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    spf__cli_verror("error", fmt, ap);
    va_end(ap);
}

void spf__cli_warning(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    spf__cli_verror("warning", fmt, ap);
    va_end(ap);
}
