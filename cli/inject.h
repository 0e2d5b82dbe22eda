/*
 * spawnfault inject: run one program under fault rules (see inject.c and
 * docs/inject.md).
 */
#ifndef SPAWNFAULT_CLI_INJECT_H
#define SPAWNFAULT_CLI_INJECT_H

/* argv[0] is "inject".  Returns the program's exit code, 2 for bad input
 * or set-up, 126 or 127 when the program cannot be run; when the program
 * was killed by a signal, kills the caller with the same signal (128+N is
 * returned only if that signal does not end the caller). */
int spf__cli_inject(int argc, char **argv);

#endif
