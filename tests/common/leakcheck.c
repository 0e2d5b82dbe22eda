/* The leak check every test ends with (leakcheck.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "leakcheck.h"

/* gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPF_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SPF_ASAN 1
#endif

#if defined(SPF_ASAN)
#include <sanitizer/lsan_interface.h>
#define LEAKED() (__lsan_do_recoverable_leak_check() ? 1ul : 0ul)
#define LEAK_UNIT "time(s), see LeakSanitizer's report"
#elif defined(HAVE_VALGRIND)
#include <valgrind/memcheck.h>
static unsigned long valgrind_leaked(void)
{
    unsigned long leaked = 0, dubious = 0, reachable = 0, suppressed = 0;
    VALGRIND_DO_QUICK_LEAK_CHECK;
    VALGRIND_COUNT_LEAKS(leaked, dubious, reachable, suppressed);
    (void)dubious, (void)reachable, (void)suppressed;
    return leaked;
}
#define LEAKED() valgrind_leaked()
#define LEAK_UNIT "bytes definitely lost"
#define MEMORY_ERRORS() ((unsigned long)VALGRIND_COUNT_ERRORS)
#else
#define LEAKED() 0ul
#define LEAK_UNIT ""
#endif

/* Invalid reads, writes and uses of undefined values seen by memcheck. */
#ifndef MEMORY_ERRORS
#define MEMORY_ERRORS() 0ul
#endif

static char fds_before[4096];

void (*leak_cleanup)(void);

/* The open fds as "0 1 2 ...", without the one that lists them. */
static void list_fds(char *buf, size_t len)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    size_t used = 0;
    cr_assert_not_null(d, "cannot list fds: %s", strerror(errno));
    buf[0] = '\0';
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        int n = snprintf(buf + used, len - used, "%s ", e->d_name);
        cr_assert(n > 0 && (size_t)n < len - used, "too many fds");
        used += (size_t)n;
    }
    closedir(d);
}

void leak_begin(void)
{
    list_fds(fds_before, sizeof(fds_before));
}

void leak_end(void)
{
    char after[4096];
    pid_t r;

    if (leak_cleanup)
        leak_cleanup();
    r = waitpid(-1, NULL, WNOHANG);
    int err = errno;
    unsigned long leaked = LEAKED(), errors = MEMORY_ERRORS();

    list_fds(after, sizeof(after));
    cr_expect_str_eq(after, fds_before, "fds leaked: before [%s] after [%s]",
                     fds_before, after);
    cr_expect(r < 0 && err == ECHILD,
              "a child was left behind (waitpid -1 gave %d)", (int)r);
    cr_expect_eq(leaked, 0, "memory leaked (%lu %s)", leaked, LEAK_UNIT);
    cr_expect_eq(errors, 0, "%lu memory errors (see the valgrind log)", errors);
}
