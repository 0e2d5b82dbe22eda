/* Monotonic deadlines. */
#include <limits.h>

#include "../../core/deadline.h"
#include "common.h"

Test(deadline, forever_stays_forever)
{
    int64_t d = spf__deadline_after(SPF_FOREVER);

    cr_expect_eq(d, SPF_FOREVER);
    cr_expect_eq(spf__remaining_ns(d), SPF_FOREVER);
    cr_expect_eq(spf__remaining_poll_ms(d), -1);
}

Test(deadline, huge_timeouts_saturate)
{
    cr_expect_eq(spf__deadline_after(SPF_FOREVER - 1), SPF_FOREVER);
}

Test(deadline, negative_timeouts_have_passed)
{
    int64_t d = spf__deadline_after(-5 * SEC);

    cr_expect_lt(spf__remaining_ns(d), 0);
    cr_expect_eq(spf__remaining_poll_ms(d), 0);
}

Test(deadline, poll_timeout_rounds_up)
{
    int64_t now = spf__now_ns();

    /* 1 ns or 1.5 ms left must not give a 0 ms poll that spins. */
    cr_expect_geq(spf__remaining_poll_ms(now + 2 * MSEC + 500000), 1);
    cr_expect_leq(spf__remaining_poll_ms(now + 2 * MSEC + 500000), 3);
    /* Time passes between now and the call (much of it under valgrind):
     * never more than the deadline, never 10 ms short of it. */
    cr_expect_leq(spf__remaining_poll_ms(now + 100 * SEC), 100000);
    cr_expect_geq(spf__remaining_poll_ms(now + 100 * SEC), 99990);
    cr_expect_eq(spf__remaining_poll_ms(now + 3000000 * SEC), INT_MAX);
}

Test(deadline, time_moves_forward)
{
    int64_t a = spf__now_ns(), b = spf__now_ns();

    cr_expect_geq(b, a);
}
