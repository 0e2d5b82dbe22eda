/* Deadlines: all on CLOCK_MONOTONIC, immune to wall-clock changes. */
#include <limits.h>
#include <time.h>

#include "deadline.h"
#include <spawnfault/spawn.h>

int64_t spf__now_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t spf__deadline_after(int64_t timeout_ns)
{
    int64_t now = spf__now_ns();

    if (timeout_ns == SPF_FOREVER || timeout_ns > SPF_FOREVER - now)
        return SPF_FOREVER;
    return now + timeout_ns;
}

int64_t spf__remaining_ns(int64_t deadline)
{
    if (deadline == SPF_FOREVER)
        return SPF_FOREVER;
    return deadline - spf__now_ns();
}

int spf__remaining_poll_ms(int64_t deadline)
{
    int64_t left = spf__remaining_ns(deadline);
    int64_t ms;

    if (left == SPF_FOREVER)
        return -1;
    if (left <= 0)
        return 0;
    ms = (left + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}
