/* The shared fault log: created, appended to through a mapping from
 * several processes, read back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <spawnfault/faults.h>

static struct spf_fault_log_header *map(int fd, size_t cap)
{
    void *m = mmap(NULL, sizeof(struct spf_fault_log_header) + cap,
                   PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    cr_assert_neq(m, MAP_FAILED);
    return m;
}

static void append(struct spf_fault_log_header *h, const char *line)
{
    size_t len = strlen(line);
    uint64_t at = __atomic_fetch_add(&h->used, len, __ATOMIC_RELAXED);

    if (at + len > h->capacity)
        __atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED);
    else
        memcpy((char *)(h + 1) + at, line, len);
}

static const char rec[] = "spf-fault pid=1 scope=child call=execve n=1 "
                          "action=errno errno=ENOENT\n";

Test(log, records_from_several_processes)
{
    int fd = spf_fault_log_create(4096);
    struct spf_fault_log_header *h;
    uint64_t dropped, torn;
    char *text;

    cr_assert_geq(fd, 0);
    h = map(fd, 4096);
    for (int i = 0; i < 4; i++) {
        if (fork() == 0) {
            append(h, rec);
            _exit(0);
        }
    }
    while (wait(NULL) > 0)
        ;
    cr_assert_eq(spf_fault_log_read(fd, &text, &dropped, &torn), 0);
    cr_expect_eq(dropped, 0);
    cr_expect_eq(torn, 0);
    cr_expect_eq(strlen(text), 4 * strlen(rec), "%s", text);
    free(text);
    close(fd);
}

Test(log, full_log_counts_drops)
{
    int fd = spf_fault_log_create(100);
    struct spf_fault_log_header *h = map(fd, 100);
    uint64_t dropped, torn;
    char *text;

    append(h, "0123456789012345678901234567890123456789\n");
    append(h, "0123456789012345678901234567890123456789\n");
    append(h, "0123456789012345678901234567890123456789\n");
    cr_assert_eq(spf_fault_log_read(fd, &text, &dropped, &torn), 0);
    cr_expect_eq(dropped, 1);
    cr_expect_eq(strlen(text), 82);
    free(text);
    close(fd);
}

/* A record reserved but never written (its writer died) is left out. */
Test(log, torn_records_are_left_out)
{
    int fd = spf_fault_log_create(4096);
    struct spf_fault_log_header *h = map(fd, 4096);
    uint64_t dropped, torn;
    char *text;

    append(h, "first\n");
    __atomic_fetch_add(&h->used, 10, __ATOMIC_RELAXED);
    append(h, "third\n");
    cr_assert_eq(spf_fault_log_read(fd, &text, &dropped, &torn), 0);
    cr_expect_str_eq(text, "first\nthird\n");
    cr_expect_eq(torn, 1);
    free(text);
    close(fd);
}

Test(log, not_a_log)
{
    int fd = memfd_create("x", MFD_CLOEXEC);
    uint64_t dropped, torn;
    char *text;

    cr_assert_eq(write(fd, "hello, this is not a log at all.", 32), 32);
    cr_expect_eq(spf_fault_log_read(fd, &text, &dropped, &torn), -EINVAL);
    close(fd);
}

/* The counts stay exact when records find no room. */
Test(log, counts_survive_a_full_log)
{
    /* Room for one record and a bit: the bit stays zero, and is no torn
     * record. */
    size_t cap = sizeof(rec) - 1 + 10;
    int fd = spf_fault_log_create(cap);
    struct spf_fault_log_header *h;
    uint64_t counts[SPF_CALL__COUNT][SPF_FAULT_SCOPES], dropped, torn;
    char *text;

    cr_assert_geq(fd, 0);
    h = map(fd, cap);
    for (int i = 0; i < 5; i++) {
        __atomic_fetch_add(&h->counts[SPF_CALL_EXECVE][1], 1, __ATOMIC_RELAXED);
        append(h, rec);
    }
    cr_assert_eq(spf_fault_log_read(fd, &text, &dropped, &torn), 0);
    cr_expect_str_eq(text, rec);
    cr_expect_eq(dropped, 4);
    cr_expect_eq(torn, 0);
    cr_assert_eq(spf_fault_log_counts(fd, counts), 0);
    cr_expect_eq(counts[SPF_CALL_EXECVE][1], 5);
    cr_expect_eq(counts[SPF_CALL_EXECVE][0], 0);
    free(text);
    munmap(h, sizeof(*h) + cap);
    close(fd);
}
