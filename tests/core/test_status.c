/* Wait status decoding (section 3.1). */
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

#ifndef W_EXITCODE
#define W_EXITCODE(ret, sig) ((ret) << 8 | (sig))
#endif
#ifndef W_STOPCODE
#define W_STOPCODE(sig) ((sig) << 8 | 0x7f)
#endif

Test(status, exit_codes)
{
    cr_expect_eq(spf_status_decode(W_EXITCODE(0, 0)), 0);
    cr_expect_eq(spf_status_decode(W_EXITCODE(47, 0)), 47);
    cr_expect_eq(spf_status_decode(W_EXITCODE(255, 0)), 255);
}

Test(status, signals_are_negative)
{
    cr_expect_eq(spf_status_decode(W_EXITCODE(0, SIGKILL)), -9);
    cr_expect_eq(spf_status_decode(W_EXITCODE(0, SIGABRT) | 0x80), -6,
                 "the core-dump flag is irrelevant");
    cr_expect_eq(spf_status_decode(W_EXITCODE(0, SIGTERM)), -15);
}

Test(status, stopped_is_negative_stopsig)
{
    cr_expect_eq(spf_status_decode(W_STOPCODE(3)), -3);
}
