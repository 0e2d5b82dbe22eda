/* Whole-file reads and writes on fds, retrying on EINTR. */
#ifndef SPF_HARNESS_FDIO_H
#define SPF_HARNESS_FDIO_H

#include <stddef.h>

/* Everything readable from fd: from offset 0 for a file, from where it is
 * for a pipe.  Returns 0 and a malloc'd buffer with a NUL after the data,
 * or -errno. */
int spf__read_all(int fd, char **ret_data, size_t *ret_len);

/* Write all of p.  Returns 0 or -errno (-EIO for a zero-byte write). */
int spf__write_all(int fd, const char *p, size_t len);

#endif
