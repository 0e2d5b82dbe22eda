/* Deadlines on CLOCK_MONOTONIC, in nanoseconds. */
#ifndef SPF_CORE_DEADLINE_H
#define SPF_CORE_DEADLINE_H

#include <stdint.h>

/* Now, on the monotonic clock. */
int64_t spf__now_ns(void);

/* now + timeout, saturating: SPF_FOREVER stays SPF_FOREVER, and a negative
 * timeout gives a deadline already passed. */
int64_t spf__deadline_after(int64_t timeout_ns);

/* Nanoseconds left before the deadline (negative once it has passed);
 * SPF_FOREVER for no deadline. */
int64_t spf__remaining_ns(int64_t deadline);

/* A poll(2) timeout for the time left: -1 for no deadline, 0 once passed,
 * else the milliseconds left rounded up (so a poll never wakes before the
 * deadline and spins), capped at INT_MAX. */
int spf__remaining_poll_ms(int64_t deadline);

#endif
