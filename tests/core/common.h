/* Shared by the core's tests: option builders and the leak check every
 * spawning test ends with. */
#ifndef SPF_TESTS_CORE_COMMON_H
#define SPF_TESTS_CORE_COMMON_H

#include <criterion/criterion.h>

#include "../common/leakcheck.h"
#include <spawnfault/spawn.h>

#define SEC 1000000000LL
#define MSEC 1000000LL

/* Path of spawnfault-helper, from the environment meson sets. */
const char *helper(void);

/* Fill o->argv from a NULL-terminated list; store holds 32 entries. */
void set_argv(struct spf_popen_opts *o, struct spf_str *store, ...);

/* Options for running the helper with the given commands, stdout and
 * stderr piped. */
void helper_opts(struct spf_popen_opts *o, struct spf_str *store, ...);

/* Spawn, asserting that it worked. */
struct spf_proc *start(const struct spf_popen_opts *o);

/* Wait (at most 10 s), expect the returncode want_code, release. */
void finish(struct spf_proc *p, int want_code);

/* Monotonic milliseconds. */
double now_ms(void);

/* Write a file with the given mode into a fresh temporary folder, whose
 * path is returned in dir (removed by leak_end). */
void make_file(char *ret_path, size_t len, const char *name,
               const char *content, unsigned mode);
const char *tmp_dir(void);

#endif
