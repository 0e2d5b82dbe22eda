/* Shared by the tests of every layer: the leak check each test ends with. */
#ifndef SPF_TESTS_COMMON_LEAKCHECK_H
#define SPF_TESTS_COMMON_LEAKCHECK_H

#include <criterion/criterion.h>

/*
 * Note the open fds at the start of a test; at its end, check that the
 * same fds are open, that no child is left, and that no memory block is
 * definitely lost and memcheck saw no error (under valgrind, or
 * LeakSanitizer for leaks; elsewhere that part checks nothing).  The memory
 * check runs inside the test because Criterion ignores what valgrind or
 * LeakSanitizer say when a test process exits.
 */
void leak_begin(void);
void leak_end(void);

/* Called by leak_end() before it looks, when set: a test's own clean-up
 * (e.g. removing its temporary folder). */
extern void (*leak_cleanup)(void);

/* A test that ends with the leak check.  (Criterion does not fail a test
 * for assertions in its .fini fixture, so the check runs in the body.) */
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
