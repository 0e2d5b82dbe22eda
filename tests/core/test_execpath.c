/* Exec candidates: the parent's half of the PATH search (section 1.6). */
#include <stdlib.h>

#include "../../core/execpath.h"
#include "common.h"

static void expect_cands(const char *name, const char *path,
                         const char *const *want)
{
    char **c = spf__exec_candidates(name, path);
    size_t i = 0;

    cr_assert(c);
    for (; want[i]; i++) {
        cr_assert(c[i], "missing candidate %zu (%s)", i, want[i]);
        cr_expect_str_eq(c[i], want[i]);
    }
    cr_expect_null(c[i], "extra candidate %s", c[i]);
    free(c);
}

Test(execpath, one_candidate_per_path_entry)
{
    expect_cands("prog", "/a:/b/:/c",
                 (const char *[]){"/a/prog", "/b/prog", "/c/prog", NULL});
}

Test(execpath, empty_entries_give_the_bare_name)
{
    expect_cands("prog",
                 ":/a:", (const char *[]){"prog", "/a/prog", "prog", NULL});
    expect_cands("prog", "", (const char *[]){"prog", NULL});
}

Test(execpath, unset_path_uses_the_default)
{
    expect_cands("prog", NULL,
                 (const char *[]){"/bin/prog", "/usr/bin/prog", NULL});
}

Test(execpath, a_slash_disables_the_search)
{
    expect_cands("./prog", "/a:/b", (const char *[]){"./prog", NULL});
    expect_cands("/x/prog", "/a", (const char *[]){"/x/prog", NULL});
    expect_cands("d/prog", NULL, (const char *[]){"d/prog", NULL});
}
