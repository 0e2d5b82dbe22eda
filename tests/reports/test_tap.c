/* TAP 13: one test line per scenario, whatever the names hold. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fixture.h"

TestSuite(tap, .init = fixture_begin);

Test(tap, hostile_run_matches_golden)
{
    fixture_expect_stream_golden(spf_report_tap, "hostile.tap");
    fixture_end();
}

Test(tap, nothing_reaches_the_terminal_raw)
{
    fixture_expect_stream_printable(spf_report_tap);
    fixture_end();
}

/* Read the stream as a TAP consumer would: a line is a test line, a
 * comment, or part of a YAML block, which starts with "  ---" after a test
 * and ends with "  ...". */
struct tap_count {
    size_t plan, tests, not_ok, yaml_lines;
};

static void check_test_line(const char *line, size_t number,
                            struct tap_count *c)
{
    bool ok = strncmp(line, "ok ", 3) == 0;
    const char *rest = line + (ok ? 3 : 7);
    char *end;

    cr_assert(ok || strncmp(line, "not ok ", 7) == 0, "stray line: %s", line);
    cr_expect_eq(strtoul(rest, &end, 10), number, "test numbers in order");
    cr_expect_eq(strncmp(end, " - ", 3), 0);
    cr_expect_null(strchr(end, '#'), "a directive in: %s", line);
    c->tests++;
    c->not_ok += !ok;
}

static struct tap_count read_tap(char *data)
{
    struct tap_count c = {0, 0, 0, 0};
    bool yaml = false;
    char *save, *line = strtok_r(data, "\n", &save);

    cr_assert_str_eq(line, "TAP version 13");
    line = strtok_r(NULL, "\n", &save);
    cr_assert_eq(sscanf(line, "1..%zu", &c.plan), 1, "no plan: %s", line);
    while ((line = strtok_r(NULL, "\n", &save))) {
        if (yaml) {
            cr_assert_eq(strncmp(line, "  ", 2), 0, "YAML unindented");
            yaml = strcmp(line, "  ...") != 0;
            c.yaml_lines++;
        } else if (strcmp(line, "  ---") == 0) {
            yaml = true;
        } else if (line[0] != '#') {
            check_test_line(line, c.tests + 1, &c);
        }
    }
    cr_expect(!yaml, "a YAML block is not closed");
    return c;
}

Test(tap, one_test_line_per_scenario)
{
    size_t len;
    char *data = fixture_render_hostile(spf_report_tap, &len);
    struct tap_count c = read_tap(data);

    cr_expect_eq(c.plan, 5);
    cr_expect_eq(c.tests, 5);
    cr_expect_eq(c.not_ok, 3);
    cr_expect_gt(c.yaml_lines, 3 * 4);
    free(data);
    fixture_end();
}

Test(tap, diagnostics_list_the_mismatches)
{
    size_t len;
    char *data = fixture_render_hostile(spf_report_tap, &len);

    cr_expect(strstr(data, "not ok 3 - harness/agent-crash\n"
                           "  ---\n"
                           "  file: \"scenarios/basic/crash.yaml\"\n"
                           "  line: 10\n"
                           "  mismatches:\n"
                           "    - field: \"result\"\n"
                           "      expected: \"exited\"\n"
                           "      got: \"harness_error\"\n"
                           "  census:\n"
                           "    - \"harness error: agent died: SIGSEGV <core "
                           "dumped> & \\\"more\\\"\\\\x0asecond line\"\n"
                           "  seed: 16045690984503111693\n") != NULL,
              "%s", data);
    free(data);
    fixture_end();
}

Test(tap, empty_run)
{
    struct spf_run_summary *s = fixture_empty();
    size_t len;
    char *data = fixture_render(spf_report_tap, s, &len);

    cr_expect_str_eq(data, "TAP version 13\n1..0\n# 0 passed, 0 failed; "
                           "seed 16045690984503111693\n");
    free(data);
    fixture_free(s);
    fixture_end();
}

Test(tap, write_error_is_returned)
{
    fixture_expect_stream_enospc(spf_report_tap);
    fixture_end();
}

/* prove reads the diagnostics with Perl's TAP::Parser, whose YAML reader
 * is a small subset: every block must parse there without error. */
Test(tap, perl_tap_parser_reads_every_diagnostic)
{
    size_t len;
    char *data = fixture_render_hostile(spf_report_tap, &len);
    char *dir = fixture_tmpdir(), *path = fixture_path(dir, "hostile.tap");
    char cmd[1024];
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    if (system("perl -MTAP::Parser -e 1 2>/dev/null") != 0)
        cr_skip_test("Perl's TAP::Parser is not installed");
    snprintf(cmd, sizeof(cmd),
             "perl -MTAP::Parser -e '"
             "my $p = TAP::Parser->new({source => $ARGV[0]});"
             "my $yaml = 0;"
             "while (my $r = $p->next) { $yaml++ if $r->is_yaml }"
             "print STDERR join(\"\\n\", $p->parse_errors), \"\\n\";"
             "exit(($p->parse_errors || $yaml != 3) ? 1 : 0)' '%s'",
             path);
    cr_expect_eq(system(cmd), 0, "TAP::Parser failed on %s", path);
    fixture_rmtree(dir);
    free(path);
    free(dir);
    free(data);
    fixture_end();
}

Test(tap, an_interrupted_case_is_skipped)
{
    struct spf_run_summary *s = fixture_interrupted();
    size_t len;
    char *data = fixture_render(spf_report_tap, s, &len);

    cr_expect_str_eq(data, "TAP version 13\n1..2\n"
                           "ok 1 - spawn/exits-zero\n"
                           "ok 2 - slow # SKIP interrupted\n"
                           "# 1 passed, 0 failed, 1 interrupted, 3 not run; "
                           "seed 16045690984503111693\n");
    free(data);
    fixture_free(s);
    fixture_end();
}

Test(tap, not_applicable_run_matches_golden)
{
    struct spf_run_summary *s = fixture_not_applicable();
    size_t len;
    char *data = fixture_render(spf_report_tap, s, &len);

    fixture_expect_golden("not-applicable.tap", data, len);
    fixture_expect_printable(data, len);
    free(data);
    fixture_free(s);
    fixture_end();
}

/* A case not applicable is a skip with its reason, which can neither end
 * the line nor start a second directive; one whose census failed it is
 * not ok, and its diagnostics say why nothing else was checked. */
Test(tap, a_case_not_applicable_is_skipped)
{
    struct spf_run_summary *s = fixture_not_applicable();
    size_t len;
    char *data = fixture_render(spf_report_tap, s, &len);

    cr_expect(strstr(data, "ok 2 - umask-applied # SKIP not applicable: "
                           "node has no umask <&> \"q\" ]]> \\x23 SKIP"
                           "\\x0asecond line\\x1b[2J bad\\xff\n"
                           "not ok 3 - process-group-zero\n"
                           "  ---\n") != NULL,
              "%s", data);
    cr_expect(strstr(data,
                     "  not_applicable: \"node has no process_group "
                     "(child_process has no setpgid)\"\n"
                     "  census:\n"
                     "    - \"stray\\x3a pid 78 (sleep) state S\"\n") != NULL,
              "%s", data);
    cr_expect(strstr(data, "# 1 passed, 1 failed, 1 not applicable on node; "
                           "seed 16045690984503111693\n") != NULL,
              "%s", data);
    free(data);
    fixture_free(s);
    fixture_end();
}

/* A mismatch the target's documented differences excuse: the case passes,
 * and its diagnostics still show it. */
Test(tap, excused_mismatches_are_shown_on_a_pass)
{
    struct spf_run_summary *s = fixture_interrupted();
    struct spf_verdict *v = &s->verdicts[0];
    size_t len;
    char *data;

    v->excused = calloc(1, sizeof(*v->excused));
    cr_assert_not_null(v->excused);
    v->excused[0] =
        (struct spf_mismatch){strdup("returncode"), strdup("0"), strdup("1")};
    v->n_excused = 1;
    data = fixture_render(spf_report_tap, s, &len);
    cr_expect_not_null(strstr(data, "ok 1 - spawn/exits-zero\n  ---\n"), "%s",
                       data);
    cr_expect_not_null(strstr(data, "  excused:\n"
                                    "    - field: \"returncode\"\n"
                                    "      expected: \"0\"\n"
                                    "      got: \"1\"\n"),
                       "%s", data);
    free(data);
    fixture_free(s);
    fixture_end();
}
