/* Captured output: the first SPF_CAPTURE_KEEP bytes, the total length and
 * the SHA-256 of everything (nettle). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "capture.h"
#include "fdio.h"

void spf_sha256_hex(const void *data, size_t len, char ret[65])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];

    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof(digest), digest);
    for (size_t i = 0; i < sizeof(digest); i++) {
        ret[2 * i] = "0123456789abcdef"[digest[i] >> 4];
        ret[2 * i + 1] = "0123456789abcdef"[digest[i] & 0xf];
    }
    ret[64] = '\0';
}

int spf__capture_set(struct spf_capture *c, const char *data, size_t len)
{
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
    spf_sha256_hex(data, len, c->sha256);
    return 0;
}

int spf__capture_fd(struct spf_capture *c, int fd)
{
    char *data;
    size_t len;
    int r = spf__read_all(fd, &data, &len);

    if (r < 0)
        return r;
    r = spf__capture_set(c, data, len);
    free(data);
    return r;
}
