/* The listing: each scenario on a line (its summary on the next), every
 * text escaped, then the count. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fixture.h"

TestSuite(list, .init = fixture_begin);

/* The hostile run's scenarios, listed. */
static int list_hostile(const struct spf_run_summary *s, FILE *f)
{
    const struct spf_scenario *items[16];
    size_t n = 0;

    for (; n < s->n && n < 16; n++)
        items[n] = s->verdicts[n].scenario;
    return spf_report_list(items, n, f);
}

Test(list, nothing_reaches_the_terminal_raw)
{
    fixture_expect_stream_printable(list_hostile);
    fixture_end();
}

/* The listing of items, as a new string. */
static char *list(const struct spf_scenario *const *items, size_t n)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);

    cr_assert_not_null(f);
    cr_assert_eq(spf_report_list(items, n, f), 0);
    cr_assert_eq(fclose(f), 0);
    return data;
}

Test(list, a_summary_with_controls_stays_on_its_line)
{
    struct spf_scenario sc = {.name = "ctl",
                              .file = "a\nb.yaml",
                              .line = 3,
                              .summary = "red \x1b[31mALERT\x1b[0m\tx\r"};
    const struct spf_scenario *items[] = {&sc};
    char *data = list(items, 1);

    cr_expect_str_eq(data, "ctl                                      "
                           "a\\x0ab.yaml:3\n"
                           "    red \\x1b[31mALERT\\x1b[0m\\x09x\\x0d\n"
                           "1 scenario\n");
    free(data);
    fixture_end();
}

Test(list, nothing_to_list)
{
    char *data = list(NULL, 0);

    cr_expect_str_eq(data, "0 scenarios\n");
    free(data);
    fixture_end();
}
