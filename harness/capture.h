#ifndef SPF_HARNESS_CAPTURE_H
#define SPF_HARNESS_CAPTURE_H

#include <unistd.h>

#include <spawnfault/harness.h>

/* Fill c (present) from len bytes.  Returns 0 or -ENOMEM. */
int spf__capture_set(struct spf_capture *c, const char *data, size_t len);

/* Fill c from everything in fd (read from offset 0).  Returns 0 or
 * -errno. */
int spf__capture_fd(struct spf_capture *c, int fd);

#endif
