/* Captured output: the first SPF_CAPTURE_KEEP bytes, the total length and
 * the SHA-256 of everything (nettle). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "capture.h"

int spf__capture_set(struct spf_capture *c, const char *data, size_t len)
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    size_t keep = len < SPF_CAPTURE_KEEP ? len : SPF_CAPTURE_KEEP;

    memset(c, 0, sizeof(*c));
    c->present = true;
    c->total_len = len;
    c->data.data = malloc(keep + 1);
    if (!c->data.data)
        return -ENOMEM;
    if (keep)
        memcpy(c->data.data, data, keep);
    c->data.data[keep] = '\0';
    c->data.len = keep;
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)data);
    sha256_digest(&ctx, sizeof(digest), digest);
    for (size_t i = 0; i < sizeof(digest); i++) {
        c->sha256[2 * i] = "0123456789abcdef"[digest[i] >> 4];
        c->sha256[2 * i + 1] = "0123456789abcdef"[digest[i] & 0xf];
    }
    c->sha256[64] = '\0';
    return 0;
}

int spf__capture_fd(struct spf_capture *c, int fd)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int r;

    /* Files are read from the start; pipes from where they are. */
    if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE)
        return -errno;
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);

            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            free(buf);
            return r;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    r = spf__capture_set(c, buf ? buf : "", len);
    free(buf);
    return r;
}
