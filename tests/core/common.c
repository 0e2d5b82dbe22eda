#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static char tmp[256];

const char *helper(void)
{
    const char *h = getenv("SPF_HELPER");

    cr_assert(h, "SPF_HELPER is not set: run the tests through meson");
    return h;
}

static void vset_argv(struct spf_popen_opts *o, struct spf_str *store,
                      const char *first, va_list ap)
{
    size_t n = 0;

    for (const char *s = first; s; s = va_arg(ap, const char *)) {
        cr_assert_lt(n, 32);
        store[n++] = spf_str_c(s);
    }
    o->argv = store;
    o->argc = n;
}

void set_argv(struct spf_popen_opts *o, struct spf_str *store, ...)
{
    va_list ap;

    va_start(ap, store);
    vset_argv(o, store, va_arg(ap, const char *), ap);
    va_end(ap);
}

void helper_opts(struct spf_popen_opts *o, struct spf_str *store, ...)
{
    va_list ap;

    spf_popen_opts_init(o);
    va_start(ap, store);
    vset_argv(o, store + 1, va_arg(ap, const char *), ap);
    va_end(ap);
    store[0] = spf_str_c(helper());
    o->argv = store;
    o->argc++;
    o->std[1].kind = SPF_STDIO_PIPE;
    o->std[2].kind = SPF_STDIO_PIPE;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    return remove(path);
}

/* The temporary folder of make_file() goes before the leak check. */
static void remove_tmp(void)
{
    if (tmp[0]) {
        nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        tmp[0] = '\0';
    }
}

struct spf_proc *start(const struct spf_popen_opts *o)
{
    struct spf_proc *p = NULL;
    struct spf_spawn_error e = {0};

    cr_assert_eq(spf_popen(o, &p, &e), 0, "spawn: %s",
                 e.message ? e.message : "(no message)");
    return p;
}

void finish(struct spf_proc *p, int want_code)
{
    int code = INT32_MIN;

    cr_expect_eq(spf_proc_wait(p, 10 * SEC, &code), 0);
    cr_expect_eq(code, want_code);
    spf_proc_free(p);
}

double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *tmp_dir(void)
{
    if (!tmp[0]) {
        snprintf(tmp, sizeof(tmp), "/tmp/spf-test-XXXXXX");
        cr_assert(mkdtemp(tmp));
        leak_cleanup = remove_tmp;
    }
    return tmp;
}

void make_file(char *ret_path, size_t len, const char *name,
               const char *content, unsigned mode)
{
    int fd;

    snprintf(ret_path, len, "%s/%s", tmp_dir(), name);
    fd = open(ret_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
}
