/* The text report: failures in full, then the counts and the seed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fixture.h"

TestSuite(text, .init = fixture_begin);

Test(text, hostile_run_matches_golden)
{
    fixture_expect_stream_golden(spf_report_text, "hostile.txt");
    fixture_end();
}

Test(text, nothing_reaches_the_terminal_raw)
{
    fixture_expect_stream_printable(spf_report_text);
    fixture_end();
}

Test(text, failures_in_full_then_counts)
{
    size_t len;
    char *data = fixture_render_hostile(spf_report_text, &len);
    const char *last = strrchr(data, '\n');

    cr_assert_not_null(last);
    while (last > data && last[-1] != '\n')
        last--;
    cr_expect_str_eq(last, "5 scenarios: 2 passed, 3 failed in 2.500 s; "
                           "seed 16045690984503111693\n");
    cr_expect(strstr(data,
                     "FAIL harness/agent-crash "
                     "(scenarios/basic/crash.yaml:10) [HARN-01]\n") != NULL);
    cr_expect(strstr(data, "  fault fired: io/read@exec#2=short: failed, 512 "
                           "bytes asked (pid 99)\n") != NULL);
    cr_expect(strstr(data, "  replay: spawnfault run --filter "
                           "harness/agent-crash scenarios\n") != NULL);
    cr_expect_null(strstr(data, "exits-zero"), "a pass is not detailed");
    free(data);
    fixture_end();
}

Test(text, passing_run_is_one_line)
{
    struct spf_run_summary *s = fixture_hostile();
    struct spf_run_summary pass = *s;
    size_t len;
    char *data;

    pass.n = 1;
    pass.passed = 1;
    pass.failed = 0;
    data = fixture_render(spf_report_text, &pass, &len);
    cr_expect_str_eq(data, "1 scenario: 1 passed, 0 failed in 2.500 s; "
                           "seed 16045690984503111693\n");
    free(data);
    fixture_free(s);
    fixture_end();
}

Test(text, write_error_is_returned)
{
    fixture_expect_stream_enospc(spf_report_text);
    fixture_end();
}

Test(text, an_interrupted_case_is_no_failure)
{
    struct spf_run_summary *s = fixture_interrupted();
    size_t len;
    char *data = fixture_render(spf_report_text, s, &len);

    cr_expect_str_eq(data, "2 scenarios: 1 passed, 0 failed, 1 interrupted, "
                           "3 not run in 1.500 s; seed 16045690984503111693\n");
    free(data);
    fixture_free(s);
    fixture_end();
}

Test(text, not_applicable_run_matches_golden)
{
    struct spf_run_summary *s = fixture_not_applicable();
    size_t len;
    char *data = fixture_render(spf_report_text, s, &len);

    fixture_expect_golden("not-applicable.txt", data, len);
    fixture_expect_printable(data, len);
    free(data);
    fixture_free(s);
    fixture_end();
}

/* Each case not applicable on one line with its reason, counted apart;
 * the census failure of one is a failure that says it was not
 * applicable. */
Test(text, a_case_not_applicable_is_listed_with_its_reason)
{
    struct spf_run_summary *s = fixture_not_applicable();
    size_t len;
    char *data = fixture_render(spf_report_text, s, &len);
    const char *last = strrchr(data, '\n');

    cr_expect(strstr(data, "N/A umask-applied (scenarios/suite/umask.yaml:7) "
                           "[UMASK-01]: node has no umask <&> \"q\" ]]> # "
                           "SKIP\\x0asecond line\\x1b[2J bad\\xff\n") == data,
              "%s", data);
    cr_expect(strstr(data, "FAIL process-group-zero "
                           "(scenarios/suite/pgroup.yaml:12)\n"
                           "  census.strays: expected none, got \"pid 78 "
                           "(sleep) state S\"\n"
                           "  not applicable on node: node has no "
                           "process_group (child_process has no setpgid)\n"
                           "  stray: pid 78 (sleep) state S\n") != NULL,
              "%s", data);
    cr_expect_null(strstr(data, "FAIL umask-applied"));
    cr_assert_not_null(last);
    while (last > data && last[-1] != '\n')
        last--;
    cr_expect_str_eq(last, "3 scenarios: 1 passed, 1 failed, 1 not "
                           "applicable on node in 0.750 s; seed "
                           "16045690984503111693; target node\n");
    free(data);
    fixture_free(s);
    fixture_end();
}

/* A comparison counts the pairs not compared because a side could not
 * express the case apart from the interrupted ones, per target; a count
 * of 0 leaves its part out. */
Test(text, comparison_counts_not_applicable_apart)
{
    struct spf_comparison cmp = {.targets = {"core", "cpython:3.10", "node"},
                                 .n_targets = 3,
                                 .compared = 290,
                                 .skipped = 1,
                                 .not_applicable = {0, 3, 47}};
    char *data = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&data, &len);

    cmp.runs[1].passed = 174;
    cmp.runs[1].not_applicable = 3;
    cr_assert_not_null(m);
    cr_assert_eq(spf_report_compare_text(&cmp, m), 0);
    cr_assert_eq(fclose(m), 0);
    cr_expect_str_eq(data, "core: 0 passed, 0 failed\n"
                           "cpython:3.10: 174 passed, 0 failed, 3 not "
                           "applicable\n"
                           "node: 0 passed, 0 failed\n"
                           "compared 290: 0 differ (0 documented field "
                           "differences, 0 undocumented), 1 not compared "
                           "(interrupted), 3 not compared (not applicable "
                           "on cpython:3.10), 47 not compared (not "
                           "applicable on node)\n");
    free(data);
    fixture_end();
}

/* Without --verbose a comparison still names what failed, on which
 * target, and nothing that passed. */
Test(text, comparison_names_the_failures)
{
    struct spf_scenario sc[2] = {
        {.name = "good", .file = "a.yaml", .line = 1},
        {.name = "bad", .file = "a.yaml", .line = 9, .ref = "ERR-01"}};
    struct spf_verdict v[2] = {{.scenario = &sc[0], .passed = true},
                               {.scenario = &sc[1], .passed = false}};
    struct spf_comparison cmp = {
        .targets = {"core", "node"}, .n_targets = 2, .compared = 2};
    char *data = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&data, &len);

    cmp.runs[1] = (struct spf_run_summary){
        .verdicts = v, .n = 2, .passed = 1, .failed = 1};
    cr_assert_not_null(m);
    cr_assert_eq(spf_report_compare_text(&cmp, m), 0);
    cr_assert_eq(fclose(m), 0);
    cr_expect_str_eq(data, "FAIL bad (a.yaml:9) [ERR-01] on node\n"
                           "\n"
                           "core: 0 passed, 0 failed\n"
                           "node: 1 passed, 1 failed\n"
                           "compared 2: 0 differ (0 documented field "
                           "differences, 0 undocumented)\n");
    free(data);
    fixture_end();
}

/* A harness error shows the last line its agent wrote to stderr: why a
 * peer's adapter crashed, without opening the JSON. */
Test(text, a_harness_error_shows_the_agent_s_last_words)
{
    static char err[] = "Traceback (most recent call last):\n"
                        "RuntimeError: adapter broke\n\n";
    struct spf_scenario sc = {.name = "crash", .file = "a.yaml", .line = 1};
    struct spf_verdict v = {.scenario = &sc};
    struct spf_run_summary s = {.verdicts = &v, .n = 1, .failed = 1};
    char *data = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&data, &len);

    v.outcome.result = SPF_RESULT_HARNESS;
    v.outcome.harness_error = "the agent exited with status 1";
    v.outcome.inherited_err.present = true;
    v.outcome.inherited_err.data = (struct spf_bytes){err, sizeof(err) - 1};
    cr_assert_not_null(m);
    cr_assert_eq(spf_report_text(&s, m), 0);
    cr_assert_eq(fclose(m), 0);
    cr_expect_not_null(strstr(data, "  harness error: the agent exited with "
                                    "status 1\n"
                                    "  its stderr ends: RuntimeError: adapter "
                                    "broke\n"),
                       "%s", data);
    free(data);
    fixture_end();
}
