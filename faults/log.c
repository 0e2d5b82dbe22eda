/*
 * The launcher's side of the shared fault log: creating it and reading
 * it back.  The preload's side (appending) is in wrappers.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <spawnfault/faults.h>

int spf_fault_log_create(size_t capacity)
{
    struct spf_fault_log_header h = {.capacity = capacity};
    int fd = memfd_create("spf-fault-log", MFD_CLOEXEC);
    int r;

    if (fd < 0)
        return -errno;
    memcpy(h.magic, SPF_FAULT_LOG_MAGIC, sizeof(h.magic));
    /* The file is sparse: only the pages records touch are allocated. */
    if (ftruncate(fd, (off_t)(sizeof(h) + capacity)) < 0 ||
        pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
        r = errno ? -errno : -EIO;
        close(fd);
        return r;
    }
    return fd;
}

/*
 * Keep the complete records of text[0..len); count the torn ones.  A record
 * whose writer died is a written prefix followed by NUL bytes (the memfd
 * starts zeroed), so on a line holding NUL bytes only what follows the
 * last of them is a whole record; a last line without '\n' is torn.
 */
static void keep_whole_lines(char *text, size_t len, uint64_t *torn)
{
    size_t out = 0, start = 0;

    while (start < len) {
        char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) + 1 : len, from = start;

        for (size_t i = start; i < end; i++)
            if (text[i] == '\0')
                from = i + 1;
        if (from > start || !nl)
            (*torn)++;
        if (nl && from < end) {
            memmove(text + out, text + from, end - from);
            out += end - from;
        }
        start = end;
    }
    text[out] = '\0';
}

/* The header, or -EINVAL when fd holds no log (too short, other magic). */
static int read_header(int fd, struct spf_fault_log_header *h)
{
    ssize_t n = pread(fd, h, sizeof(*h), 0);

    if (n < 0)
        return -errno;
    if (n != (ssize_t)sizeof(*h) ||
        memcmp(h->magic, SPF_FAULT_LOG_MAGIC, sizeof(h->magic)) != 0)
        return -EINVAL;
    return 0;
}

int spf_fault_log_read(int fd, char **ret_text, uint64_t *ret_dropped,
                       uint64_t *ret_torn)
{
    struct spf_fault_log_header h;
    uint64_t len, torn = 0;
    char *text;

    int r = read_header(fd, &h);

    if (r < 0)
        return r;
    len = h.used < h.capacity ? h.used : h.capacity;
    text = malloc(len + 1);
    if (!text)
        return -ENOMEM;
    if (len && pread(fd, text, len, sizeof(h)) != (ssize_t)len) {
        free(text);
        return -EIO;
    }
    /* Past the last record that fit, the room no record could fill is
     * still zero: that is no torn record. */
    while (h.used > h.capacity && len > 0 && text[len - 1] == '\0')
        len--;
    keep_whole_lines(text, len, &torn);
    *ret_text = text;
    *ret_dropped = h.dropped;
    *ret_torn = torn;
    return 0;
}

int spf_fault_log_counts(int fd,
                         uint64_t ret[SPF_CALL__COUNT][SPF_FAULT_SCOPES])
{
    struct spf_fault_log_header h;

    int r = read_header(fd, &h);

    if (r < 0)
        return r;
    memcpy(ret, h.counts, sizeof(h.counts));
    return 0;
}

int spf_fault_log_reached(int fd,
                          uint64_t ret[SPF_CALL__COUNT][SPF_FAULT_SCOPES])
{
    struct spf_fault_log_header h;

    int r = read_header(fd, &h);

    if (r < 0)
        return r;
    memcpy(ret, h.reached, sizeof(h.reached));
    return 0;
}

int spf_fault_log_set_plan(int fd, const struct spf_fault_plan *plan)
{
    struct spf_fault_log_header h, *map;
    int r = read_header(fd, &h);

    if (r < 0)
        return r;
    map = mmap(NULL, sizeof(*map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return -errno;
    /* Odd: readers retry until it is even again and unchanged. */
    __atomic_add_fetch(&map->plan_seq, 1, __ATOMIC_ACQ_REL);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    map->plan = *plan;
    for (int b = 0; b < 2; b++) {
        map->plan_leaves[b] =
            spf_fault_plan_leaves(plan, (enum spf_fault_backend)b);
        map->plan_tree[b] =
            spf_fault_plan_counts_tree(plan, (enum spf_fault_backend)b);
    }
    __atomic_store_n(&map->plan_set, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&map->plan_seq, 1, __ATOMIC_RELEASE);
    munmap(map, sizeof(*map));
    return 0;
}
