/* JUnit XML: golden output, schema validity, and hostile names as text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "escape.h"
#include "fixture.h"
#include "origin.h"

static const struct spf__origin golden = {FIXTURE_HOSTNAME, FIXTURE_VERSION};

TestSuite(junit, .init = fixture_begin);

/* Write the report (with this machine's origin, or the golden one) into
 * a new folder; returns the file's path. */
static char *write_report(const struct spf_run_summary *s, char **ret_dir,
                          bool local_origin)
{
    char *dir = fixture_tmpdir(), *path = fixture_path(dir, "junit.xml");
    int r = local_origin ? spf_report_junit(s, path)
                         : spf__report_junit_from(s, path, &golden);

    cr_assert_eq(r, 0, "spf_report_junit: %s", strerror(-r));
    *ret_dir = dir;
    return path;
}

static void remove_report(char *dir, char *path)
{
    fixture_rmtree(dir);
    free(path);
    free(dir);
}

/* The hostile run's report, parsed: it must be well-formed. */
static xmlDocPtr load(bool local_origin)
{
    struct spf_run_summary *s = fixture_hostile();
    char *dir, *path = write_report(s, &dir, local_origin);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);

    cr_assert_not_null(doc, "%s is not well-formed XML", path);
    remove_report(dir, path);
    fixture_free(s);
    return doc;
}

/* The report of a run validated with xmllint. */
static void expect_schema_valid(struct spf_run_summary *s)
{
    char *dir, *path = write_report(s, &dir, true);

    cr_expect_eq(fixture_xmllint(path), 0, "xmllint rejects %s", path);
    remove_report(dir, path);
    fixture_free(s);
}

Test(junit, hostile_run_matches_golden)
{
    struct spf_run_summary *s = fixture_hostile();
    char *dir, *path = write_report(s, &dir, false), *data;
    size_t len;

    data = fixture_read(path, &len);
    fixture_expect_golden("hostile.xml", data, len);
    free(data);
    remove_report(dir, path);
    fixture_free(s);
    fixture_end();
}

Test(junit, hostile_run_is_schema_valid)
{
    expect_schema_valid(fixture_hostile());
    fixture_end();
}

Test(junit, empty_run_is_schema_valid)
{
    expect_schema_valid(fixture_empty());
    fixture_end();
}

/* The n-th element child named name (0-based), or NULL. */
static xmlNodePtr child(xmlNodePtr parent, const char *name, int n)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE &&
            strcmp((const char *)c->name, name) == 0 && n-- == 0)
            return c;
    return NULL;
}

/* Compare an attribute with a value. */
static void expect_attr(xmlNodePtr node, const char *name, const char *want)
{
    xmlChar *got;

    cr_assert_not_null(node);
    got = xmlGetProp(node, BAD_CAST name);
    cr_assert_not_null(got, "no attribute %s on <%s>", name, node->name);
    cr_expect_str_eq((const char *)got, want, "attribute %s", name);
    xmlFree(got);
}

Test(junit, hostile_names_survive_as_text)
{
    xmlDocPtr doc = load(false);
    xmlNodePtr suite = child(xmlDocGetRootElement(doc), "testsuite", 1);
    xmlNodePtr kase = suite ? child(suite, "testcase", 0) : NULL;
    char *want = spf__escape_str(fixture_hostile_name, SPF__ESC_XML);

    /* What a JUnit reader sees is the name with only the bytes XML cannot
     * carry made visible: quotes, markup, "]]>" and line breaks intact. */
    expect_attr(suite, "name", "scenarios/hostile <&> ]]>\"");
    expect_attr(kase, "name", want);
    expect_attr(kase, "classname", "scenarios.hostile <&> ]]>\"");
    cr_expect(strstr(want, "]]> nl\nx tab\tx cr\rx bel\\x07") != NULL);
    free(want);
    xmlFreeDoc(doc);
    fixture_end();
}

Test(junit, failure_message_is_the_first_mismatch_on_one_line)
{
    xmlDocPtr doc = load(false);
    xmlNodePtr suite = child(xmlDocGetRootElement(doc), "testsuite", 1);
    xmlNodePtr failure = child(child(suite, "testcase", 0), "failure", 0);
    xmlChar *text;

    expect_attr(failure, "message",
                "spawn_error.errno: expected ENOENT, got EACCES");
    expect_attr(failure, "type", "mismatch");
    text = xmlNodeGetContent(failure);
    cr_assert_not_null(text);
    cr_expect(strstr((char *)text,
                     "out: expected \"ok]]>\\n\", got bytes "
                     "\\x01\\x02\\xff <&> \n second line\n") != NULL);
    cr_expect(strstr((char *)text, "watchdog: sent SIGKILL\n") != NULL);
    cr_expect(strstr((char *)text, "fault fired: io/write@parent#3=short: 1 of "
                                   "4096 bytes (pid 99)\n") != NULL);
    cr_expect(strstr((char *)text, "seed: 16045690984503111693\n") != NULL);
    cr_expect(strstr((char *)text, "replay: spawnfault run --filter") != NULL);
    xmlFree(text);
    xmlFreeDoc(doc);
    fixture_end();
}

Test(junit, harness_error_is_an_error_not_a_failure)
{
    xmlDocPtr doc = load(false);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr basic = child(root, "testsuite", 0);
    xmlNodePtr kase = child(basic, "testcase", 1);

    expect_attr(root, "tests", "5");
    expect_attr(root, "failures", "2");
    expect_attr(root, "errors", "1");
    expect_attr(basic, "name", "scenarios/basic");
    expect_attr(basic, "tests", "2");
    expect_attr(basic, "failures", "0");
    expect_attr(basic, "errors", "1");
    expect_attr(kase, "name", "harness/agent-crash");
    cr_expect_null(child(kase, "failure", 0));
    expect_attr(child(kase, "error", 0), "message",
                "agent died: SIGSEGV <core dumped> & \"more\"\\x0asecond line");
    expect_attr(child(kase, "error", 0), "type", "harness_error");
    xmlFreeDoc(doc);
    fixture_end();
}

Test(junit, suites_follow_the_folders_in_order)
{
    xmlDocPtr doc = load(false);
    xmlNodePtr root = xmlDocGetRootElement(doc);

    expect_attr(child(root, "testsuite", 0), "name", "scenarios/basic");
    expect_attr(child(root, "testsuite", 1), "name",
                "scenarios/hostile <&> ]]>\"");
    expect_attr(child(root, "testsuite", 2), "name", "");
    expect_attr(child(root, "testsuite", 3), "name", "./scenarios//basic/");
    expect_attr(child(child(root, "testsuite", 3), "testcase", 0), "classname",
                "scenarios.basic");
    expect_attr(child(root, "testsuite", 0), "timestamp",
                "2023-11-14T22:13:20Z");
    expect_attr(child(root, "testsuite", 0), "time", "0.012");
    expect_attr(root, "time", "2.500");
    cr_expect_null(child(root, "testsuite", 4));
    xmlFreeDoc(doc);
    fixture_end();
}

Test(junit, names_this_host_and_version)
{
    xmlDocPtr doc = load(true);
    xmlNodePtr suite = child(xmlDocGetRootElement(doc), "testsuite", 0);
    xmlNodePtr props = child(suite, "properties", 0);
    char host[256] = "";

    cr_assert_eq(gethostname(host, sizeof(host) - 1), 0);
    expect_attr(suite, "hostname", host);
    expect_attr(child(props, "property", 0), "value", "16045690984503111693");
    expect_attr(child(props, "property", 1), "name", "spawnfault.version");
    expect_attr(child(props, "property", 1), "value", SPF_VERSION);
    xmlFreeDoc(doc);
    fixture_end();
}

Test(junit, unwritable_path_leaves_nothing)
{
    fixture_expect_path_enoent(spf_report_junit);
    fixture_end();
}

Test(junit, an_interrupted_case_is_skipped)
{
    struct spf_run_summary *s = fixture_interrupted();
    char *dir, *path = write_report(s, &dir, false);
    size_t len;
    char *xml = fixture_read(path, &len);

    cr_expect_eq(fixture_xmllint(path), 0, "xmllint rejects %s", path);
    cr_expect(strstr(xml, "<skipped message=\"interrupted: the run was "
                          "stopped while this case ran\"/>") != NULL);
    cr_expect(strstr(xml, "failures=\"0\" errors=\"0\" skipped=\"1\"") != NULL);
    cr_expect(strstr(xml, "<failure") == NULL);
    free(xml);
    remove_report(dir, path);
    fixture_free(s);
    fixture_end();
}

Test(junit, not_applicable_run_matches_golden)
{
    struct spf_run_summary *s = fixture_not_applicable();
    char *dir, *path = write_report(s, &dir, false), *data;
    size_t len;

    data = fixture_read(path, &len);
    fixture_expect_golden("not-applicable.xml", data, len);
    free(data);
    remove_report(dir, path);
    fixture_free(s);
    fixture_end();
}

/* A case not applicable is skipped, with the target and the reason; one
 * whose census failed it is a failure that says it was not applicable. */
Test(junit, a_case_not_applicable_is_skipped)
{
    struct spf_run_summary *s = fixture_not_applicable();
    char *dir, *path = write_report(s, &dir, false);
    size_t len;
    char *xml = fixture_read(path, &len);

    cr_expect_eq(fixture_xmllint(path), 0, "xmllint rejects %s", path);
    cr_expect(strstr(xml,
                     "<skipped message=\"not applicable on node: node "
                     "has no umask &lt;&amp;&gt; &quot;q&quot; ]]&gt; "
                     "# SKIP\\x0asecond line\\x1b[2J bad\\xff\"/>") != NULL,
              "%s", xml);
    cr_expect(strstr(xml, "failures=\"1\" errors=\"0\" skipped=\"1\"") != NULL);
    cr_expect(strstr(xml, "<failure message=\"census.strays: expected none, "
                          "got &quot;pid 78 (sleep) state S&quot;\" "
                          "type=\"mismatch\">") != NULL,
              "%s", xml);
    cr_expect(strstr(xml,
                     "not applicable on node: node has no "
                     "process_group (child_process has no setpgid)\n") != NULL);
    free(xml);
    remove_report(dir, path);
    fixture_free(s);
    fixture_end();
}

/* A passing case's excused mismatches are in its system-out: JUnit has no
 * other place for them. */
Test(junit, excused_mismatches_are_in_system_out)
{
    struct spf_run_summary *s = fixture_interrupted();
    struct spf_verdict *v = &s->verdicts[0];
    char *dir, *path, text[8192];
    size_t n;
    FILE *f;

    v->excused = calloc(1, sizeof(*v->excused));
    cr_assert_not_null(v->excused);
    v->excused[0] =
        (struct spf_mismatch){strdup("returncode"), strdup("0"), strdup("1")};
    v->n_excused = 1;
    path = write_report(s, &dir, true);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    cr_expect_not_null(strstr(text, "<system-out>documented difference: "
                                    "returncode: expected 0, got 1\n"),
                       "%s", text);
    cr_expect_eq(fixture_xmllint(path), 0);
    remove_report(dir, path);
    fixture_free(s);
    fixture_end();
}
