/* Shared by the core's tests: option builders and the leak check every
 * spawning test ends with. */
#ifndef SPF_TESTS_CORE_COMMON_H
#define SPF_TESTS_CORE_COMMON_H

#include <criterion/criterion.h>
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

/* Snapshot the open fds at the start of a test, and check at its end
 * that the same fds are open and that no child is left (reaped or not). */
void leak_begin(void);
void leak_end(void);

/* Monotonic milliseconds. */
double now_ms(void);

/* Write a file with the given mode into a fresh temporary folder, whose
 * path is returned in dir (removed by leak_end). */
void make_file(char *ret_path, size_t len, const char *name,
               const char *content, unsigned mode);
const char *tmp_dir(void);

/* A test that ends with the leak check.  (Criterion does not fail a test
 * for assertions made in its .fini fixture, so the check runs in the
 * test body itself.) */
#define TEST(suite, name, ...)                                                 \
    static void suite##_##name##_body(void);                                   \
    Test(suite, name, ##__VA_ARGS__)                                           \
    {                                                                          \
        leak_begin();                                                          \
        suite##_##name##_body();                                               \
        leak_end();                                                            \
    }                                                                          \
    static void suite##_##name##_body(void)

#endif
