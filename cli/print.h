/*
 * The command-line program's messages: one line each on stderr, as
 * "spawnfault: error: ..." or "spawnfault: warning: ...", with control
 * bytes and invalid UTF-8 escaped, since they quote paths, specs and
 * file contents.
 */
#ifndef SPAWNFAULT_CLI_PRINT_H
#define SPAWNFAULT_CLI_PRINT_H

#include <stdarg.h>

void spf__cli_verror(const char *kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void spf__cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void spf__cli_warning(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
