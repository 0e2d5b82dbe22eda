/* Reports are published whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fixture.h"
#include "output.h"

TestSuite(output, .init = fixture_begin);

/* Renders the text ctx points to. */
static int render_text(const void *ctx, FILE *f)
{
    fputs(ctx, f);
    return 0;
}

/* Renders part of a report, then fails as a writer running out of memory
 * would. */
static int render_half(const void *ctx, FILE *f)
{
    fputs("half a rep", f);
    return -ENOMEM;
}

static void write_file(const char *path, const char *text)
{
    int r = spf__output_path(path, render_text, text);

    cr_assert_eq(r, 0, "%s: %s", path, strerror(-r));
}

static void expect_file(const char *path, const char *text)
{
    size_t len;
    char *data = fixture_read(path, &len);

    cr_expect_eq(len, strlen(text));
    cr_expect_str_eq(data, text);
    free(data);
}

/* A new folder for the test, and the path of a file in it. */
struct place {
    char *dir, *path;
};

static struct place place_new(const char *name)
{
    char *dir = fixture_tmpdir();

    return (struct place){dir, fixture_path(dir, name)};
}

static void place_free(struct place *p)
{
    fixture_rmtree(p->dir);
    free(p->path);
    free(p->dir);
}

Test(output, path_is_published_on_success)
{
    struct place p = place_new("r.xml");

    write_file(p.path, "report\n");
    expect_file(p.path, "report\n");
    cr_expect_eq(fixture_count_entries(p.dir), 1, "a temporary file is left");
    place_free(&p);
    fixture_end();
}

Test(output, previous_report_is_replaced)
{
    struct place p = place_new("r.xml");

    write_file(p.path, "old, and longer than the new one\n");
    write_file(p.path, "new\n");
    expect_file(p.path, "new\n");
    cr_expect_eq(fixture_count_entries(p.dir), 1);
    place_free(&p);
    fixture_end();
}

Test(output, failure_leaves_previous_report_and_no_trace)
{
    struct place p = place_new("r.xml");

    write_file(p.path, "old\n");
    cr_expect_eq(spf__output_path(p.path, render_half, NULL), -ENOMEM);
    expect_file(p.path, "old\n");
    cr_expect_eq(fixture_count_entries(p.dir), 1, "a temporary file is left");
    place_free(&p);
    fixture_end();
}

Test(output, missing_folder_is_an_error)
{
    struct place p = place_new("no/r.xml");

    cr_expect_eq(spf__output_path(p.path, render_text, "x"), -ENOENT);
    cr_expect_eq(fixture_count_entries(p.dir), 0);
    place_free(&p);
    fixture_end();
}

Test(output, folder_in_the_way_is_an_error)
{
    struct place p = place_new("r.xml");

    cr_assert_eq(mkdir(p.path, 0700), 0);
    cr_expect_eq(spf__output_path(p.path, render_text, "x"), -EISDIR);
    cr_expect_eq(fixture_count_entries(p.dir), 1, "a temporary file is left");
    cr_assert_eq(rmdir(p.path), 0);
    place_free(&p);
    fixture_end();
}

/* A link to a report: the report it points to is replaced, the link
 * stays a link. */
Test(output, a_link_is_followed_not_replaced)
{
    struct place p = place_new("target.json");
    char *link = fixture_path(p.dir, "link.json");
    struct stat st;

    write_file(p.path, "old\n");
    cr_assert_eq(symlink("target.json", link), 0);
    write_file(link, "new\n");
    cr_assert_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "the link was replaced");
    expect_file(p.path, "new\n");
    cr_expect_eq(fixture_count_entries(p.dir), 2, "a temporary file is left");
    free(link);
    place_free(&p);
    fixture_end();
}

/* --junit /dev/null must not replace /dev/null (as root it could). */
Test(output, a_device_is_written_through)
{
    struct stat st;

    if (access("/dev/null", W_OK) != 0)
        cr_skip_test("/dev/null is not writable here");
    write_file("/dev/null", "report\n");
    cr_assert_eq(stat("/dev/null", &st), 0);
    cr_expect(S_ISCHR(st.st_mode), "/dev/null is no longer a device");
    fixture_end();
}

/* A FIFO gets the report, and keeps its name.  The reader is opened
 * first, without blocking, so the writer finds it there. */
Test(output, a_fifo_is_written_through)
{
    struct place p = place_new("fifo");
    char buf[64] = {0};
    struct stat st;
    int fd;

    cr_assert_eq(mkfifo(p.path, 0600), 0);
    fd = open(p.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    write_file(p.path, "through\n");
    cr_expect_eq(read(fd, buf, sizeof(buf) - 1), 8);
    close(fd);
    cr_expect_str_eq(buf, "through\n");
    cr_assert_eq(lstat(p.path, &st), 0);
    cr_expect(S_ISFIFO(st.st_mode), "the FIFO was replaced");
    place_free(&p);
    fixture_end();
}

Test(output, bare_file_name_lands_in_current_folder)
{
    struct place p = place_new("bare.txt");
    char *cwd = getcwd(NULL, 0);

    cr_assert_eq(chdir(p.dir), 0);
    write_file("bare.txt", "here\n");
    expect_file("bare.txt", "here\n");
    cr_expect_eq(fixture_count_entries("."), 1);
    cr_assert_eq(chdir(cwd), 0);
    free(cwd);
    place_free(&p);
    fixture_end();
}

Test(output, new_report_honours_the_umask)
{
    struct place p = place_new("r.xml");
    mode_t old = umask(027);
    struct stat st;

    write_file(p.path, "x");
    umask(old);
    cr_assert_eq(stat(p.path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
    place_free(&p);
    fixture_end();
}

Test(output, longest_file_name_still_works)
{
    char name[256];
    struct place p;

    /* NAME_MAX bytes: the temporary name must not be longer. */
    memset(name, 'n', 255);
    name[255] = '\0';
    p = place_new(name);
    write_file(p.path, "long\n");
    expect_file(p.path, "long\n");
    place_free(&p);
    fixture_end();
}

/* What a stream receives from spf__output_stream(), and its result. */
static char *to_stream(spf__render_fn *render, const void *ctx, int *ret_r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    cr_assert_not_null(m);
    *ret_r = spf__output_stream(m, render, ctx);
    cr_assert_eq(fclose(m), 0);
    return buf;
}

Test(output, stream_gets_the_whole_report)
{
    int r;
    char *got = to_stream(render_text, "all of it\n", &r);

    cr_expect_eq(r, 0);
    cr_expect_str_eq(got, "all of it\n");
    free(got);
    fixture_end();
}

Test(output, stream_gets_nothing_on_failure)
{
    int r;
    char *got = to_stream(render_half, NULL, &r);

    cr_expect_eq(r, -ENOMEM);
    cr_expect_str_eq(got, "");
    free(got);
    fixture_end();
}

Test(output, stream_write_error_is_returned)
{
    FILE *full = fopen("/dev/full", "we");

    if (!full)
        cr_skip_test("/dev/full is not available: %s", strerror(errno));
    cr_expect_eq(spf__output_stream(full, render_text, "no room\n"), -ENOSPC);
    fclose(full);
    fixture_end();
}
