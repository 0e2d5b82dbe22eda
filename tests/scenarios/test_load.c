/* Tests of the scenario loader: every field, every bytes form, every kind
 * of mistake with its place, files, folders and names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spawnfault/scenario.h>

#include "../common/leakcheck.h"

#define FIXTURE(p) SPF_TEST_DIR "/" p

static void load_ok(const char *path, struct spf_scenario_set *set)
{
    struct spf_diag d;
    int r = spf_scenario_load(path, set, &d);
    cr_assert_eq(r, 0, "%s:%u:%u: %s: %s", d.file, d.line, d.column, d.field,
                 d.message);
}

static const struct spf_scenario *find(const struct spf_scenario_set *set,
                                       const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    cr_assert_fail("no scenario named %s", name);
    return NULL;
}

static void assert_bytes(const struct spf_bytes *b, const void *data,
                         size_t len)
{
    cr_assert_not_null(b->data);
    cr_assert_eq(b->len, len, "length %zu, expected %zu", b->len, len);
    cr_assert_eq(memcmp(b->data, data, len), 0);
    cr_assert_eq(b->data[len], '\0', "bytes are NUL-terminated");
}

#define ASSERT_BYTES(b, lit) assert_bytes((b), lit, sizeof(lit) - 1)

/* Loading path into set fails with code, the diagnostic says exactly
 * this, and the set is as it was. */
static void expect_error_into(struct spf_scenario_set *set, const char *path,
                              int code, const char *file, unsigned line,
                              unsigned column, const char *field,
                              const char *message)
{
    struct spf_scenario *items = set->items;
    size_t n = set->n;
    struct spf_diag d;
    memset(&d, 'x', sizeof(d));

    int r = spf_scenario_load(path, set, &d);
    cr_assert_eq(r, code, "returned %d (%s)", r, d.message);
    cr_expect_str_eq(d.file, file);
    cr_expect_eq(d.line, line, "line %u, expected %u", d.line, line);
    cr_expect_eq(d.column, column, "column %u, expected %u", d.column, column);
    cr_expect_str_eq(d.field, field);
    cr_expect_str_eq(d.message, message);
    cr_assert_eq(set->n, n, "nothing is appended on error");
    cr_assert_eq(set->items, items, "the set is untouched");
}

static void expect_error_in(const char *path, int code, const char *file,
                            unsigned line, unsigned column, const char *field,
                            const char *message)
{
    struct spf_scenario_set set = {0};
    expect_error_into(&set, path, code, file, line, column, field, message);
}

static void expect_error(const char *fixture, unsigned line, unsigned column,
                         const char *field, const char *message)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/bad/%s", SPF_TEST_DIR, fixture);
    expect_error_in(path, -EINVAL, path, line, column, field, message);
}

TEST(load, every_field_of_a_run_scenario)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/full.yaml"), &set);
    const struct spf_scenario *sc = find(&set, "full-run");
    const struct spf_case *k = &sc->kase;

    cr_assert_str_eq(sc->file, FIXTURE("good/full.yaml"));
    cr_assert_str_eq(sc->folder, "good");
    cr_assert_eq(sc->line, 3);
    cr_assert_str_eq(sc->ref, "ERR-01");
    cr_assert_str_eq(sc->summary, "every field of a run scenario");
    cr_assert_eq(sc->n_tags, 2);
    cr_assert_str_eq(sc->tags[0], "errpipe");
    cr_assert_str_eq(sc->tags[1], "exec");
    cr_assert(sc->requires_root);
    cr_assert_not(find(&set, "full-communicate")->requires_root);
    cr_assert_str_eq(k->id, "full-run");

    cr_assert_eq(k->n_files, 4);
    cr_assert_str_eq(k->files[0].path, "noshebang");
    ASSERT_BYTES(&k->files[0].content, "echo hi\n");
    cr_assert_eq(k->files[0].mode, 0755);
    cr_assert_not(k->files[0].directory);
    cr_assert_str_eq(k->files[1].path, "adir");
    cr_assert(k->files[1].directory);
    cr_assert_eq(k->files[1].mode, 0755, "directories default to 0755");
    ASSERT_BYTES(&k->files[2].content, "");
    cr_assert_eq(k->files[2].mode, 0600, "quoted octal");
    cr_assert_eq(k->files[3].mode, 0640, "0o octal");

    cr_assert_eq(k->argc, 3);
    ASSERT_BYTES(&k->argv[0], "sh");
    ASSERT_BYTES(&k->argv[1], "-c");
    ASSERT_BYTES(&k->argv[2], "exit 47");
    ASSERT_BYTES(&k->executable, "/bin/sh");
    cr_assert(k->env_replace);
    cr_assert_eq(k->envc, 3);
    ASSERT_BYTES(&k->env_names[0], "PATH");
    ASSERT_BYTES(&k->env_values[0], "/bin");
    ASSERT_BYTES(&k->env_names[1], "FOO");
    ASSERT_BYTES(&k->env_values[1], "bar");
    ASSERT_BYTES(&k->env_names[2], "EMPTY");
    ASSERT_BYTES(&k->env_values[2], "");
    ASSERT_BYTES(&k->cwd, "/tmp");
    cr_assert_eq(k->std[0].kind, SPF_STDIO_PIPE);
    cr_assert_eq(k->std[1].kind, SPF_STDIO_PIPE);
    cr_assert_eq(k->std[2].kind, SPF_STDIO_STDOUT);
    cr_assert_not(k->close_fds);
    cr_assert_eq(k->n_pass_fds, 2);
    cr_assert_eq(k->pass_fds[0], 3);
    cr_assert_eq(k->pass_fds[1], 7);
    cr_assert(k->start_new_session);
    cr_assert_eq(k->process_group, 0);
    cr_assert_eq(k->umask, 027);
    cr_assert_not(k->restore_signals);
    cr_assert_not(k->allow_vfork);
    cr_assert_eq(k->user, 65534);
    cr_assert_eq(k->group, 65534, "nogroup, looked up");
    cr_assert(k->set_extra_groups);
    cr_assert_eq(k->n_extra_groups, 2);
    cr_assert_eq(k->extra_groups[0], 0);
    cr_assert_eq(k->extra_groups[1], 1, "daemon, looked up");

    cr_assert_eq(k->api, SPF_API_RUN);
    ASSERT_BYTES(&k->input, "bytes");
    cr_assert_eq(k->timeout_ns, 100000000);
    cr_assert(k->check);
    cr_assert_not(k->resume);
    cr_assert_eq(k->repeat, 1024);
    cr_assert_eq(k->watchdog_ns, 2500000000);
    spf_scenario_set_clear(&set);
}

TEST(load, fault_actions_and_counting_modes)
{
    struct spf_scenario_set set = {0};
    char text[1024];

    load_ok(FIXTURE("good/fault-actions.yaml"), &set);
    const struct spf_fault_plan *plan =
        &find(&set, "fault-actions")->kase.faults;

    cr_assert_eq(plan->n_rules, 10);
    cr_assert_gt(spf_fault_plan_format(plan, text, sizeof(text)), 0);
    cr_assert_str_eq(text, "spawn/fork#tree:2..=errno:any;io/read#*=short:half;"
                           "io/write#thread:*=short:rand;"
                           "io/poll#*=delay:250ms;proc/wait#*=delay:rand;"
                           "io/read#*=signal:SIGALRM;fd/close#*=succeed;"
                           "proc/chdir@child#*=stop;spawn/exec@exec#*=kill;"
                           "io/write#*=short:7");
    cr_assert_eq(plan->rules[0].count, SPF_COUNT_TREE);
    cr_assert_eq(plan->rules[5].sig, SIGALRM);
    spf_scenario_set_clear(&set);
}

TEST(load, backend_of_each_rule)
{
    struct spf_scenario_set set = {0};
    char text[SPF_FAULT_PLAN_TEXT_MAX];

    load_ok(FIXTURE("good/backend-seccomp.yaml"), &set);
    const struct spf_fault_plan *plan =
        &find(&set, "backend-seccomp")->kase.faults;

    cr_assert_eq(plan->n_rules, 2);
    cr_assert_eq(plan->rules[0].backend, SPF_BACKEND_SECCOMP);
    cr_assert_eq(plan->rules[1].backend, SPF_BACKEND_PRELOAD);
    /* The plan travels as text: the backend must survive the trip. */
    cr_assert_gt(spf_fault_plan_format(plan, text, sizeof(text)), 0);
    cr_assert_str_eq(text, "spawn/exec@child#1!seccomp=ENOENT;"
                           "io/read@parent#*=EINTR");
    cr_assert_eq(spf_fault_plan_leaves(plan, SPF_BACKEND_SECCOMP),
                 1u << SPF_CALL_EXECVE);
    spf_scenario_set_clear(&set);
}

TEST(load, every_fault_field)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/full.yaml"), &set);
    const struct spf_case *k = &find(&set, "full-run")->kase;
    const struct spf_fault_rule *r = k->faults.rules;

    cr_assert_eq(k->faults.n_rules, 3);
    cr_assert_eq(r[0].call, SPF_CALL_EXECVE);
    cr_assert_eq(r[0].scope, SPF_SCOPE_CHILD);
    cr_assert_not(r[0].every);
    cr_assert_eq(r[0].n_ranges, 1);
    cr_assert_eq(r[0].ranges[0].first, 1);
    cr_assert_eq(r[0].ranges[0].last, 1);
    cr_assert_eq(r[0].ranges[0].step, 1);
    cr_assert_eq(r[0].prob_ppm, 500000);
    cr_assert_eq(r[0].action, SPF_ACTION_ERRNO);
    cr_assert_eq(r[0].err, ENOENT);

    cr_assert_eq(r[1].call, SPF_CALL_WRITE);
    cr_assert_eq(r[1].scope, SPF_SCOPE_PARENT | SPF_SCOPE_EXEC);
    cr_assert_eq(r[1].n_ranges, 5);
    const struct spf_fault_range want[] = {{2, 2, 1},
                                           {5, UINT32_MAX, 1},
                                           {7, 9, 1},
                                           {3, UINT32_MAX, 2},
                                           {10, 20, 5}};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(r[1].ranges[i].first, want[i].first, "range %zu", i);
        cr_assert_eq(r[1].ranges[i].last, want[i].last, "range %zu", i);
        cr_assert_eq(r[1].ranges[i].step, want[i].step, "range %zu", i);
    }
    cr_assert_eq(r[1].action, SPF_ACTION_SHORT);
    cr_assert_eq(r[1].short_max, 1);
    cr_assert_eq(r[1].prob_ppm, 1000000);

    cr_assert_eq(r[2].call, SPF_CALL_READ);
    cr_assert_eq(r[2].scope, SPF_SCOPE_DEFAULT);
    cr_assert(r[2].every);
    cr_assert_eq(r[2].err, EINTR, "errno as a number");

    cr_assert_eq(k->n_fiu, 2);
    cr_assert_str_eq(k->fiu[0].name, "spf/errpipe/forge");
    ASSERT_BYTES(&k->fiu[0].data, "OSError:2");
    cr_assert_str_eq(k->fiu[1].name, "spf/errpipe/forge");
    cr_assert_null(k->fiu[1].data.data);
    spf_scenario_set_clear(&set);
}

TEST(load, every_expectation_field)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/full.yaml"), &set);
    const struct spf_expect *e = &find(&set, "full-run")->expect;

    cr_assert(e->has_result);
    cr_assert_eq(e->result, SPF_RESULT_SPAWN_ERROR);
    cr_assert(e->has_stage);
    cr_assert_eq(e->stage, SPF_STAGE_EXEC);
    cr_assert(e->has_errno);
    cr_assert_eq(e->err, ENOENT);
    cr_assert(e->has_filename);
    ASSERT_BYTES(&e->filename, "/x");
    cr_assert(e->has_raw);
    ASSERT_BYTES(&e->raw, "OSError:2:");
    cr_assert(e->has_message);
    ASSERT_BYTES(&e->message, "No such file or directory");
    cr_assert_not(e->has_returncode);
    cr_assert_not(e->has_strays);

    cr_assert(e->out.has_data);
    ASSERT_BYTES(&e->out.data, "exact bytes");
    cr_assert(e->err_out.has_absent);
    cr_assert_not(e->err_out.has_data);
    cr_assert(e->inherited_out.has_len);
    cr_assert_eq(e->inherited_out.len, 3);
    cr_assert(e->inherited_out.has_sha256);
    cr_assert_str_eq(e->inherited_out.sha256, "ba7816bf8f01cfea414140de5dae22"
                                              "23b00361a396177a9cb410ff61f200"
                                              "15ad");
    ASSERT_BYTES(&e->inherited_err.data, "\x00\xff");
    cr_assert_not(e->partial_out.has_data || e->partial_out.has_absent);

    cr_assert(e->has_elapsed_max);
    cr_assert_eq(e->elapsed_max_ns, 1500000000);
    cr_assert(e->has_elapsed_min);
    cr_assert_eq(e->elapsed_min_ns, 200000000);
    cr_assert_eq(e->n_fired, 3);
    cr_assert_str_eq(e->fired[0], "execve");
    cr_assert_str_eq(e->fired[1], "write@parent");
    cr_assert_str_eq(e->fired[2], "read@child");
    spf_scenario_set_clear(&set);
}

TEST(load, every_communicate_field)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/full.yaml"), &set);
    const struct spf_scenario *sc = find(&set, "full-communicate");
    const struct spf_case *k = &sc->kase;

    cr_assert_eq(k->api, SPF_API_COMMUNICATE);
    cr_assert_eq(k->std[0].kind, SPF_STDIO_FD);
    cr_assert_eq(k->std[0].fd, 5);
    cr_assert_eq(k->std[2].kind, SPF_STDIO_PIPE);
    cr_assert_eq(k->timeout_ns, -1000000000);
    cr_assert(k->resume);
    cr_assert_eq(k->resume_timeout_ns, SPF_FOREVER);
    cr_assert_eq(k->watchdog_ns, 3000000000);
    cr_assert_eq(sc->expect.result, SPF_RESULT_TIMEOUT, "implied");
    cr_assert(sc->expect.partial_out.has_absent);
    ASSERT_BYTES(&sc->expect.partial_err.data, "x");
    cr_assert(sc->expect.out.has_len);
    cr_assert_eq(sc->expect.out.len, 0);
    cr_assert(sc->expect.has_returncode);
    cr_assert_eq(sc->expect.returncode, -9, "signal: SIGKILL");
    cr_assert_eq(sc->expect.n_fired, 0);
    cr_assert(sc->expect.has_strays);
    cr_assert_eq(sc->expect.strays, 1);

    sc = find(&set, "resume-seconds");
    cr_assert_eq(sc->kase.timeout_ns, 0);
    cr_assert_eq(sc->kase.resume_timeout_ns, 5000000000);
    cr_assert_eq(sc->expect.returncode, -15, "signal: 15");
    cr_assert_eq(sc->expect.result, SPF_RESULT_EXITED);
    spf_scenario_set_clear(&set);
}

TEST(load, defaults_of_a_minimal_scenario)
{
    struct spf_scenario_set set = {0};
    struct spf_case def;
    load_ok(FIXTURE("good/minimal.yaml"), &set);
    const struct spf_scenario *sc = find(&set, "minimal");
    const struct spf_case *k = &sc->kase;
    spf_case_init(&def);

    cr_assert_null(sc->ref);
    cr_assert_null(sc->summary);
    cr_assert_eq(sc->n_tags, 0);
    cr_assert_eq(k->argc, 1);
    ASSERT_BYTES(&k->argv[0], "true");
    cr_assert_null(k->executable.data);
    cr_assert_not(k->env_replace);
    cr_assert_null(k->cwd.data);
    for (int fd = 0; fd < 3; fd++)
        cr_assert_eq(k->std[fd].kind, SPF_STDIO_INHERIT);
    cr_assert_eq(k->close_fds, def.close_fds);
    cr_assert_eq(k->process_group, def.process_group);
    cr_assert_eq(k->umask, def.umask);
    cr_assert_eq(k->restore_signals, def.restore_signals);
    cr_assert_eq(k->allow_vfork, def.allow_vfork);
    cr_assert_eq(k->user, -1);
    cr_assert_eq(k->group, -1);
    cr_assert_not(k->set_extra_groups);
    cr_assert_eq(k->api, SPF_API_RUN);
    cr_assert_null(k->input.data);
    cr_assert_eq(k->timeout_ns, SPF_FOREVER);
    cr_assert_not(k->resume);
    cr_assert_not(k->check);
    cr_assert_eq(k->repeat, 1);
    cr_assert_eq(k->watchdog_ns, 30000000000);
    cr_assert_eq(k->faults.n_rules, 0);
    cr_assert_eq(k->n_fiu, 0);
    cr_assert_eq(k->n_files, 0);
    cr_assert(sc->expect.has_result);
    cr_assert_eq(sc->expect.result, SPF_RESULT_EXITED);
    cr_assert_eq(sc->expect.returncode, 0);
    spf_scenario_set_clear(&set);
}

TEST(load, run_with_input_opens_a_stdin_pipe)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/minimal.yaml"), &set);
    const struct spf_case *k = &find(&set, "run-input")->kase;
    cr_assert_eq(k->std[0].kind, SPF_STDIO_PIPE);
    ASSERT_BYTES(&k->input, "hello");
    spf_scenario_set_clear(&set);
}

TEST(load, spawn_error_implies_the_result_and_null_filename)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/minimal.yaml"), &set);
    const struct spf_expect *e = &find(&set, "implied-spawn-error")->expect;
    cr_assert_eq(e->result, SPF_RESULT_SPAWN_ERROR);
    cr_assert(e->has_filename);
    cr_assert_null(e->filename.data, "null means no filename");
    cr_assert_not(e->has_stage);

    const struct spf_case *k = &find(&set, "empty-env")->kase;
    cr_assert(k->env_replace, "{} replaces the environment");
    cr_assert_eq(k->envc, 0);
    spf_scenario_set_clear(&set);
}

TEST(load, every_bytes_form)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/bytes.yaml"), &set);
    const struct spf_case *k = &find(&set, "bytes")->kase;

    cr_assert_eq(k->argc, 11);
    ASSERT_BYTES(&k->argv[0], "plain");
    /* "\xff" in YAML is U+00FF, written in UTF-8. */
    ASSERT_BYTES(&k->argv[1], "esc\0\x01\t\xc3\xbf");
    ASSERT_BYTES(&k->argv[2], "single 'quoted'");
    ASSERT_BYTES(&k->argv[3], "\xff\xde\x00\x41");
    ASSERT_BYTES(&k->argv[4], "ababab");
    ASSERT_BYTES(&k->argv[5], "\x00\xff\x00\xff");
    ASSERT_BYTES(&k->argv[6], "");
    ASSERT_BYTES(&k->argv[7], "");
    ASSERT_BYTES(&k->argv[8], "block\ntext\n");
    ASSERT_BYTES(&k->argv[9], "12");
    ASSERT_BYTES(&k->argv[10], "true");

    cr_assert_eq(k->input.len, 1u << 20);
    for (size_t i = 0; i < k->input.len; i++)
        cr_assert_eq(k->input.data[i], 'a', "byte %zu", i);
    cr_assert_eq(k->input.data[k->input.len], '\0');
    spf_scenario_set_clear(&set);
}

TEST(load, every_document_of_a_stream)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/multi.yaml"), &set);

    cr_assert_eq(set.n, 3,
                 "the empty document after the last --- counts "
                 "for nothing");
    cr_assert_str_eq(set.items[0].name, "multi-1");
    cr_assert_eq(set.items[0].line, 4);
    cr_assert_str_eq(set.items[1].name, "multi-2");
    cr_assert_eq(set.items[1].line, 9);
    cr_assert_str_eq(set.items[2].name, "multi-3");
    cr_assert_eq(set.items[2].line, 13);
    cr_assert_eq(set.items[2].expect.returncode, -9);
    spf_scenario_set_clear(&set);
}

TEST(load, folder_in_path_order)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/folder"), &set);

    const char *names[] = {"a-yml", "a-z-yaml", "b-yaml", "sub-c-yaml"};
    const char *folders[] = {"folder", "folder/a", "folder", "folder/sub"};
    cr_assert_eq(set.n, 4, "only *.yaml and *.yml files");
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(set.items[i].name, names[i]);
        cr_assert_str_eq(set.items[i].folder, folders[i]);
    }
    cr_assert_str_eq(set.items[1].file, FIXTURE("good/folder/a/z.yaml"));
    spf_scenario_set_clear(&set);
}

TEST(load, folder_with_a_trailing_slash)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/folder/"), &set);
    cr_assert_str_eq(set.items[0].file, FIXTURE("good/folder/a.yml"));
    cr_assert_str_eq(set.items[0].folder, "folder");
    spf_scenario_set_clear(&set);
}

/* "." and ".." say nothing of the folder: its real name is used. */
TEST(load, folder_named_by_dots_is_grouped_by_its_real_name)
{
    struct spf_scenario_set set = {0};
    cr_assert_eq(chdir(FIXTURE("good/folder")), 0);
    load_ok(".", &set);
    cr_assert_str_eq(set.items[0].file, "./a.yml");
    cr_assert_str_eq(set.items[0].folder, "folder");
    cr_assert_str_eq(set.items[1].folder, "folder/a");
    spf_scenario_set_clear(&set);

    cr_assert_eq(chdir("a"), 0);
    load_ok("..", &set);
    cr_assert_str_eq(set.items[0].folder, "folder");
    cr_assert_str_eq(set.items[1].folder, "folder/a");
    spf_scenario_set_clear(&set);
}

TEST(load, file_alone_is_grouped_by_its_folder)
{
    struct spf_scenario_set set = {0};
    cr_assert_eq(chdir(FIXTURE("good")), 0);
    load_ok("minimal.yaml", &set);
    cr_assert_str_eq(set.items[0].file, "minimal.yaml");
    cr_assert_str_eq(set.items[0].folder, "good");
    spf_scenario_set_clear(&set);
}

TEST(load, loads_add_to_the_set)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/minimal.yaml"), &set);
    load_ok(FIXTURE("good/multi.yaml"), &set);
    cr_assert_eq(set.n, 7);
    cr_assert_str_eq(set.items[0].name, "minimal");
    cr_assert_str_eq(set.items[6].name, "multi-3");
    spf_scenario_set_clear(&set);
    cr_assert_eq(set.n, 0);
    cr_assert_null(set.items);
}

TEST(load, duplicate_names_in_one_file)
{
    char first[600];
    snprintf(first, sizeof(first), "duplicate name \"twice\" (first at %s:1:7)",
             FIXTURE("bad/dup-names.yaml"));
    expect_error("dup-names.yaml", 13, 7, "name", first);
}

TEST(load, duplicate_names_across_files)
{
    char message[600];
    snprintf(message, sizeof(message),
             "duplicate name \"same\" (first at %s:1:7)",
             FIXTURE("bad/dup-across/one.yaml"));
    expect_error_in(FIXTURE("bad/dup-across"), -EINVAL,
                    FIXTURE("bad/dup-across/two.yaml"), 8, 7, "name", message);
}

TEST(load, duplicate_names_across_loads)
{
    struct spf_scenario_set set = {0};
    char message[600];
    load_ok(FIXTURE("good/minimal.yaml"), &set);
    snprintf(message, sizeof(message),
             "duplicate name \"minimal\" (first at %s:1)",
             FIXTURE("good/minimal.yaml"));
    expect_error_into(&set, FIXTURE("good/minimal.yaml"), -EINVAL,
                      FIXTURE("good/minimal.yaml"), 1, 7, "name", message);
    cr_assert_eq(set.n, 4);
    spf_scenario_set_clear(&set);
}

TEST(load, nothing_appended_when_a_later_file_fails)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/multi.yaml"), &set);
    expect_error_into(&set, FIXTURE("bad/partly-bad"), -EINVAL,
                      FIXTURE("bad/partly-bad/2-bad.yaml"), 4, 6, "api",
                      "unknown api \"spawn\" (expected run, communicate or "
                      "wait)");
    cr_assert_eq(set.n, 3, "the good file of the folder is not appended");
    cr_assert_str_eq(set.items[2].name, "multi-3");
    spf_scenario_set_clear(&set);
}

/* The ```yaml blocks of docs/scenarios.md, one after the other, in a new
 * temporary file whose path goes to path (64 bytes). */
static void doc_examples(char *path)
{
    static char doc[65536];
    FILE *f = fopen(SPF_TEST_DIR "/../../docs/scenarios.md", "re");
    cr_assert_not_null(f);
    size_t len = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    doc[len] = '\0';

    strcpy(path, "/tmp/spf-doc-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    cr_assert_geq(fd, 0);
    for (char *p = doc; (p = strstr(p, "```yaml\n"));) {
        char *start = p + 8, *end = strstr(start, "```");
        cr_assert_not_null(end);
        cr_assert_eq(write(fd, start, (size_t)(end - start)), end - start);
        cr_assert_eq(write(fd, "---\n", 4), 4);
        p = end + 3;
    }
    close(fd);
}

TEST(load, examples_of_the_documentation)
{
    struct spf_scenario_set set = {0};
    struct spf_diag d;
    char path[64];
    doc_examples(path);
    int r = spf_scenario_load(path, &set, &d);
    unlink(path);
    cr_assert_eq(r, 0,
                 "docs/scenarios.md example, line %u of the yaml "
                 "blocks: %s: %s",
                 d.line, d.field, d.message);

    cr_assert_eq(set.n, 12);
    cr_assert_eq(find(&set, "chdir-fails-documented")->n_differences, 1);
    /* The seccomp example's rule travels with its backend. */
    const struct spf_fault_plan *sc =
        &find(&set, "static-program-writes-fail")->kase.faults;
    cr_assert_eq(sc->n_rules, 1);
    cr_assert_eq(sc->rules[0].backend, SPF_BACKEND_SECCOMP);
    cr_assert_eq(find(&set, "run-timeout-grandchild")->expect.strays, 1);
    const struct spf_case *k = &find(&set, "bytes-forms")->kase;
    ASSERT_BYTES(&k->argv[2], "tab\there");
    ASSERT_BYTES(&k->argv[3], "\xc3\xa9");
    ASSERT_BYTES(&k->argv[4], "---");
    cr_assert_eq(k->input.len, 2000);
    cr_assert_eq(k->std[0].kind, SPF_STDIO_PIPE);
    ASSERT_BYTES(&find(&set, "bytes-forms")->expect.out.data,
                 "tab\there|\xc3\xa9|---");
    cr_assert_eq(find(&set, "run-timeout-kills")->expect.result,
                 SPF_RESULT_TIMEOUT);
    spf_scenario_set_clear(&set);
}

/* The whole content of a file. */
static size_t slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    ssize_t n = read(fd, buf, len);
    cr_assert_gt(n, 0);
    close(fd);
    return (size_t)n;
}

TEST(load, files_are_left_untouched)
{
    static char before[4096], after[4096];
    struct spf_scenario_set set = {0};
    struct spf_diag d;
    size_t n = slurp(FIXTURE("bad/bad-when.yaml"), before, sizeof(before));
    cr_assert_eq(spf_scenario_load(FIXTURE("bad/bad-when.yaml"), &set, &d),
                 -EINVAL);
    cr_assert_eq(slurp(FIXTURE("bad/bad-when.yaml"), after, sizeof(after)), n);
    cr_assert_eq(memcmp(before, after, n), 0);
}

TEST(load, missing_path)
{
    expect_error_in(FIXTURE("bad/nonexistent.yaml"), -ENOENT,
                    FIXTURE("bad/nonexistent.yaml"), 0, 0, "",
                    "cannot open: No such file or directory");
}

TEST(load, empty_file)
{
    expect_error("empty.yaml", 0, 0, "",
                 "no scenario in this file (it is empty)");
}

TEST(load, folder_without_scenarios)
{
    expect_error_in(FIXTURE("bad/no-scenarios"), -EINVAL,
                    FIXTURE("bad/no-scenarios"), 0, 0, "",
                    "no scenario file (*.yaml or *.yml) in this folder");
}

/* One test per kind of mistake: where it is, which field, what is wrong. */

TEST(load_errors, yaml_syntax)
{
    expect_error("syntax.yaml", 4, 7, "",
                 "while parsing a flow sequence (line 3, column 9): did not "
                 "find expected ',' or ']'");
}

TEST(load_errors, invalid_utf8)
{
    /* libyaml points at the byte that cannot follow 0xe9: the quote. */
    expect_error("bad-utf8.yaml", 3, 15, "",
                 "invalid trailing UTF-8 octet (byte 36)");
}

TEST(load_errors, unknown_key_with_a_hint)
{
    expect_error("unknown-key.yaml", 4, 3, "spawn.stdot",
                 "unknown key \"stdot\" (did you mean \"stdout\"?)");
}

TEST(load_errors, unknown_key_lists_the_keys)
{
    expect_error(
        "unknown-top-key.yaml", 4, 1, "whatever",
        "unknown key \"whatever\" (expected one of: name, ref, "
        "summary, tags, files, spawn, api, input, timeout, resume, "
        "check, repeat, watchdog, faults, expect, differences, requires)");
}

TEST(load_errors, duplicate_key)
{
    expect_error("duplicate-key.yaml", 5, 3, "spawn.cwd",
                 "duplicate key \"cwd\" (first at line 4, column 3)");
}

TEST(load_errors, duplicate_env_name)
{
    expect_error("env-dup.yaml", 6, 5, "spawn.env.A",
                 "duplicate key \"A\" (first at line 5, column 5)");
}

TEST(load_errors, key_not_a_string)
{
    expect_error("key-not-string.yaml", 4, 5, "spawn.?",
                 "a key must be a string, not a list");
}

TEST(load_errors, missing_name)
{
    expect_error("missing-name.yaml", 2, 1, "name",
                 "missing required key \"name\"");
}

TEST(load_errors, missing_argv)
{
    expect_error("missing-argv.yaml", 3, 3, "spawn.argv",
                 "missing required key \"argv\"");
}

TEST(load_errors, name_with_a_space)
{
    expect_error("bad-name.yaml", 1, 7, "name",
                 "a name is made of A-Z a-z 0-9 . _ - only (offset 3)");
}

TEST(load_errors, not_a_mapping)
{
    expect_error("not-mapping.yaml", 1, 1, "",
                 "a scenario is a mapping of name, spawn, expect...");
}

TEST(load_errors, empty_argv)
{
    expect_error("argv-empty.yaml", 3, 9, "spawn.argv",
                 "argv must not be empty");
}

TEST(load_errors, argv_not_a_list)
{
    expect_error("argv-not-list.yaml", 3, 9, "spawn.argv",
                 "expected a list, got a plain scalar");
}

TEST(load_errors, argv_item_not_bytes)
{
    expect_error("argv-null-item.yaml", 3, 18, "spawn.argv[2]",
                 "expected bytes (a string, {hex: ...} or {repeat: ..., "
                 "count: N}), got null");
}

TEST(load_errors, tag_not_a_string)
{
    expect_error("tags-not-strings.yaml", 4, 11, "tags[1]",
                 "expected a string, got a list");
}

TEST(load_errors, summary_on_two_lines)
{
    expect_error("summary-lines.yaml", 4, 10, "summary",
                 "a summary is one line");
}

TEST(load_errors, unknown_errno_name)
{
    expect_error("bad-errno.yaml", 7, 12, "expect.spawn_error.errno",
                 "unknown errno name \"ENOENTT\" (expected a name such as "
                 "ENOENT, or a number)");
}

TEST(load_errors, unknown_stage)
{
    expect_error("bad-stage.yaml", 6, 12, "expect.spawn_error.stage",
                 "unknown stage \"exe\" (expected invalid, setup, fork, "
                 "preexec, chdir, exec, child or bad_data)");
}

TEST(load_errors, range_backwards)
{
    expect_error("bad-when.yaml", 8, 11, "faults[1].when",
                 "range ends (1) before it starts (3)");
}

TEST(load_errors, range_misspelt)
{
    expect_error("bad-when-text.yaml", 6, 11, "faults[0].when",
                 "expected a call number up to 4294967294, \"every\", a "
                 "list or a range such as \"3..\", \"3..9\", \"2..+2\" or "
                 "\"2..10+2\"");
}

TEST(load_errors, unknown_call)
{
    expect_error("bad-call.yaml", 5, 11, "faults[0].call",
                 "unknown point \"exec\" (expected a point such as "
                 "spawn/exec, spawn/fork or io/read, or a call such as execve "
                 "or read: see docs/faults.md)");
}

TEST(load_errors, delay_without_a_unit)
{
    expect_error("delay-unit.yaml", 6, 12, "faults[0].delay",
                 "action \"delay:250\": expected delay:rand or a number with a "
                 "unit, ns, us, ms or s (delay:250ms)");
}

TEST(load_errors, two_actions)
{
    expect_error("two-actions.yaml", 7, 13, "faults[0].signal",
                 "a fault rule has exactly one of errno, short, delay, signal "
                 "and action");
}

TEST(load_errors, fake_success_of_an_exec)
{
    expect_error("succeed-exec.yaml", 6, 13, "faults[0].action",
                 "action \"succeed\": only close, kill, setsid, setpgid, "
                 "sig/mask, chdir and write can be faked to succeed");
}

TEST(load_errors, unknown_scope)
{
    expect_error("bad-scope.yaml", 6, 21, "faults[0].scope[1]",
                 "unknown scope \"kid\" (expected parent, child or exec)");
}

TEST(load_errors, errno_the_call_cannot_return)
{
    expect_error("errno-for-call.yaml", 6, 12, "faults[0].errno",
                 "spawn/exec cannot fail with EPIPE");
}

TEST(load_errors, short_for_a_call_that_cannot_be_short)
{
    expect_error(
        "short-not-rw.yaml", 6, 12, "faults[0].short",
        "short does not apply to spawn/fork/fork: only read and write can "
        "transfer fewer bytes");
}

TEST(load_errors, errno_number_the_call_cannot_return)
{
    expect_error("errno-zero.yaml", 6, 12, "faults[0].errno",
                 "io/read cannot fail with errno 0");
}

TEST(load_errors, call_number_too_large)
{
    /* 4294967295 means "open-ended" to the fault model, which would
     * refuse the plan at run time and disable every rule. */
    expect_error("when-too-large.yaml", 6, 11, "faults[0].when",
                 "4294967295 is out of range: must be <= 4294967294");
    expect_error("when-range-too-large.yaml", 6, 11, "faults[0].when",
                 "expected a call number up to 4294967294, \"every\", a "
                 "list or a range such as \"3..\", \"3..9\", \"2..+2\" or "
                 "\"2..10+2\"");
}

/* Rules the loader takes must reach the preload whole: 32 rules of 8 long
 * ranges do not fit in the environment. */
TEST(load_errors, plan_too_long_for_the_preload)
{
    expect_error("plan-too-long.yaml", 5, 3, "faults",
                 "the fault rules take more than 8191 bytes as text");
}

/* libfiu enables any name; a misspelt point would silently do nothing. */
TEST(load_errors, unknown_fiu_point)
{
    expect_error("fiu-unknown.yaml", 5, 10, "faults[0].fiu",
                 "unknown failure point \"spf/errpipe/froge\": it would fire "
                 "nowhere (the core has spf/errpipe/forge)");
}

/* File paths are compared as the file system would see them: a mistake
 * is bad input, not a harness error at run time. */
TEST(load, file_paths_are_normalised)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/files-normalised.yaml"), &set);
    cr_assert_str_eq(set.items[0].kase.files[0].path, "d");
    cr_assert_str_eq(set.items[0].kase.files[1].path, "d/f");
    spf_scenario_set_clear(&set);
}

TEST(load_errors, file_paths_that_clash)
{
    expect_error("files-inside-a-file.yaml", 5, 5, "files[1]",
                 "path \"a/b\" is inside \"a\", which files[0] makes a file");
    expect_error("files-file-over-folder.yaml", 5, 5, "files[1]",
                 "path \"d\" is a file, but files[0] puts \"d/b\" inside it");
    expect_error("files-spelt-twice.yaml", 5, 5, "files[1]",
                 "path \"a\" is already in files[0]");
    expect_error("files-the-folder.yaml", 3, 11, "files[0].path",
                 "a path must name something inside the case folder, not "
                 "the folder itself");
    expect_error("files-trailing-slash.yaml", 3, 11, "files[0].path",
                 "a path ending in '/' names a directory: add directory: "
                 "true, or drop the '/'");
}

TEST(load_errors, errno_and_short)
{
    expect_error("errno-and-short.yaml", 7, 12, "faults[0].short",
                 "a fault rule has exactly one of errno, short, delay, signal "
                 "and action");
}

TEST(load_errors, neither_errno_nor_short)
{
    expect_error("no-action.yaml", 5, 5, "faults[0].errno",
                 "a fault rule needs one of errno, short, delay, signal and "
                 "action");
}

TEST(load_errors, too_many_rules)
{
    expect_error("too-many-rules.yaml", 37, 5, "faults[32]",
                 "at most 32 fault rules are allowed");
}

TEST(load_errors, probability_above_one)
{
    expect_error("probability.yaml", 6, 18, "faults[0].probability",
                 "a probability is between 0 and 1");
}

/* As --fault's prob=: draws are in millionths, never silently rounded. */
TEST(load_errors, probability_finer_than_a_millionth)
{
    expect_error("probability-decimals.yaml", 6, 18, "faults[0].probability",
                 "a probability has at most 6 decimals");
}

TEST(load_errors, fiu_item_with_a_call)
{
    expect_error("fiu-and-call.yaml", 5, 5, "faults[0]",
                 "a fault item has either \"call\" or \"fiu\", not both");
}

TEST(load_errors, yes_is_not_a_boolean)
{
    expect_error("bad-bool.yaml", 4, 14, "spawn.close_fds",
                 "expected true or false, got a plain scalar");
}

TEST(load_errors, negative_fd)
{
    expect_error("negative-fd.yaml", 4, 17, "spawn.pass_fds[1]",
                 "-1 is out of range: must be >= 0");
}

TEST(load_errors, leading_zero)
{
    expect_error("leading-zero.yaml", 4, 15, "spawn.stdin.fd",
                 "leading zeros are ambiguous (YAML 1.1 reads 010 as octal): "
                 "write it without them");
}

TEST(load_errors, mode_not_octal)
{
    expect_error("bad-octal.yaml", 6, 11, "files[0].mode",
                 "expected an octal number such as 0o644 or 0644");
}

TEST(load_errors, umask_out_of_range)
{
    expect_error("umask-range.yaml", 4, 10, "spawn.umask",
                 "01777 is out of range: at most 0777");
}

TEST(load_errors, user_out_of_range)
{
    expect_error("user-range.yaml", 4, 9, "spawn.user",
                 "4294967296 is out of range: must be <= 4294967295");
}

TEST(load_errors, unknown_group_name)
{
    expect_error("unknown-group.yaml", 4, 21, "spawn.extra_groups[1]",
                 "unknown group \"no-such-group-here\"");
}

TEST(load_errors, odd_hex)
{
    expect_error("bad-hex.yaml", 4, 14, "input.hex",
                 "odd number of hex digits (3)");
}

TEST(load_errors, bad_hex_digit)
{
    expect_error("bad-hex-digit.yaml", 4, 14, "input.hex",
                 "invalid hex digit 'g' at offset 1");
}

TEST(load_errors, repeat_too_large)
{
    expect_error("repeat-huge.yaml", 4, 30, "input.count",
                 "60000000 times 2 bytes is more than the 64 MiB a value may "
                 "hold");
}

TEST(load_errors, repeat_without_count)
{
    expect_error("repeat-no-count.yaml", 4, 8, "input.count",
                 "missing required key \"count\"");
}

TEST(load_errors, stdin_to_stdout)
{
    expect_error("stdin-to-stdout.yaml", 4, 10, "spawn.stdin",
                 "only stderr can go to stdout");
}

TEST(load_errors, unknown_stdio)
{
    expect_error("bad-stdio.yaml", 4, 11, "spawn.stdout",
                 "expected inherit, pipe, devnull, {fd: N}");
}

TEST(load_errors, unknown_api)
{
    expect_error("bad-api.yaml", 4, 6, "api",
                 "unknown api \"popen\" (expected run, communicate or wait)");
}

TEST(load_errors, quoted_seconds)
{
    expect_error("bad-seconds.yaml", 4, 10, "timeout",
                 "expected a number, got a quoted string");
}

TEST(load_errors, seconds_out_of_range)
{
    expect_error("seconds-range.yaml", 4, 10, "timeout",
                 "1e10 seconds is out of range (at most 1000000000)");
}

TEST(load_errors, zero_watchdog)
{
    expect_error("watchdog-zero.yaml", 4, 11, "watchdog",
                 "must be > 0 seconds");
}

TEST(load_errors, zero_repeat)
{
    expect_error("repeat-zero.yaml", 4, 9, "repeat",
                 "0 is out of range: must be >= 1");
}

TEST(load_errors, file_path_leaving_the_folder)
{
    expect_error("file-dotdot.yaml", 5, 11, "files[0].path",
                 "a path must stay in the case folder: no \"..\"");
}

TEST(load_errors, absolute_file_path)
{
    expect_error("file-absolute.yaml", 5, 11, "files[0].path",
                 "a path is relative to the case folder: no leading '/'");
}

TEST(load_errors, file_path_twice)
{
    expect_error("file-dup.yaml", 7, 5, "files[2]",
                 "path \"a\" is already in files[0]");
}

TEST(load_errors, directory_with_content)
{
    expect_error("dir-content.yaml", 7, 14, "files[0].content",
                 "a directory has no content");
}

TEST(load_errors, bad_sha256)
{
    expect_error("bad-sha256.yaml", 6, 20, "expect.stdout.sha256",
                 "expected a SHA-256 as 64 hex digits");
}

TEST(load_errors, absent_false)
{
    expect_error("absent-false.yaml", 6, 20, "expect.stdout.absent",
                 "only absent: true has a meaning; leave the key out "
                 "otherwise");
}

TEST(load_errors, absent_with_len)
{
    expect_error("absent-and-len.yaml", 6, 20, "expect.stdout.absent",
                 "absent: true cannot be combined with len or sha256");
}

TEST(load_errors, elapsed_min_above_max)
{
    expect_error("elapsed.yaml", 6, 16, "expect.elapsed_min",
                 "elapsed_min is above elapsed_max");
}

TEST(load_errors, empty_expect)
{
    expect_error("expect-empty.yaml", 4, 9, "expect",
                 "expect needs at least one key");
}

TEST(load_errors, null_expect)
{
    expect_error("expect-null.yaml", 4, 8, "expect",
                 "expected a mapping, got null");
}

TEST(load_errors, harness_error_is_not_an_expected_result)
{
    expect_error("bad-result.yaml", 5, 11, "expect.result",
                 "unknown result \"harness_error\" (expected exited, "
                 "spawn_error, timeout, error or called_process_error)");
}

/* Whether a target can express a case is no property of the spawn. */
TEST(load_errors, not_applicable_is_not_an_expected_result)
{
    expect_error("not-applicable-result.yaml", 5, 11, "expect.result",
                 "unknown result \"not_applicable\" (expected exited, "
                 "spawn_error, timeout, error or called_process_error)");
}

TEST(load_errors, signal_number_out_of_range)
{
    expect_error("signal-range.yaml", 5, 11, "expect.signal",
                 "65 is out of range: must be <= 64");
}

TEST(load_errors, negative_errno)
{
    expect_error("errno-negative.yaml", 7, 12, "expect.spawn_error.errno",
                 "-2 is out of range: must be >= 0");
}

TEST(load_errors, negative_strays)
{
    expect_error("strays-negative.yaml", 6, 11, "expect.strays",
                 "-1 is out of range: must be >= 0");
}

TEST(load_errors, unknown_signal)
{
    expect_error("bad-signal.yaml", 5, 11, "expect.signal",
                 "unknown signal \"SIGFOO\" (expected a name such as SIGKILL, "
                 "or a number)");
}

TEST(load_errors, returncode_out_of_range)
{
    expect_error("returncode-range.yaml", 5, 15, "expect.returncode",
                 "256 is out of range: must be <= 255");
}

TEST(load_errors, malformed_fired_fault)
{
    expect_error("fired-bad.yaml", 6, 18, "expect.faults_fired[0]",
                 "expected \"point\" or \"point@scope\" (e.g. spawn/exec, "
                 "io/read@parent)");
}

/* Rules that tie fields together. */

TEST(load_rules, resume_only_with_communicate)
{
    expect_error("resume-run.yaml", 5, 9, "resume",
                 "resume is for api: communicate, not run");
}

TEST(load_rules, resume_needs_a_timeout)
{
    expect_error("resume-no-timeout.yaml", 6, 9, "resume",
                 "resume needs a timeout: it is the call made after the "
                 "first one times out");
}

TEST(load, check_turns_a_nonzero_returncode_into_called_process_error)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/check.yaml"), &set);

    cr_assert_eq(find(&set, "check-nonzero-implies")->expect.result,
                 SPF_RESULT_CHECK);
    cr_assert_eq(find(&set, "check-zero-exited")->expect.result,
                 SPF_RESULT_EXITED);
    cr_assert_eq(find(&set, "check-signal-implies")->expect.result,
                 SPF_RESULT_CHECK);
    cr_assert_eq(find(&set, "check-signal-implies")->expect.returncode,
                 -SIGTERM);
    /* run(check=True) raises TimeoutExpired on a timeout, not
     * CalledProcessError, although the kill leaves -9. */
    cr_assert_eq(find(&set, "check-timeout-is-a-timeout")->expect.result,
                 SPF_RESULT_TIMEOUT);
    spf_scenario_set_clear(&set);
}

TEST(load, error_names_the_errno_and_implies_the_result)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/check.yaml"), &set);

    const struct spf_expect *e = &find(&set, "api-error")->expect;
    cr_assert_eq(e->result, SPF_RESULT_ERROR);
    cr_assert(e->has_api_errno);
    cr_assert_eq(e->api_err, ENOMEM);
    cr_assert(!e->has_errno, "not a spawn error's errno");
    e = &find(&set, "api-error-number")->expect;
    cr_assert_eq(e->result, SPF_RESULT_ERROR);
    cr_assert_eq(e->api_err, EIO);
    spf_scenario_set_clear(&set);
}

TEST(load_rules, check_result_must_agree)
{
    expect_error("check-result-exited.yaml", 6, 11, "expect.result",
                 "with check: true a returncode of 1 raises "
                 "CalledProcessError: the result is called_process_error");
}

TEST(load_rules, check_with_a_timeout_needs_the_result)
{
    expect_error("check-timeout-ambiguous.yaml", 7, 11, "expect.signal",
                 "with check: true and a timeout, a returncode of -9 comes "
                 "from an exit (called_process_error) or from the kill at "
                 "the deadline (timeout): say which with result");
}

TEST(load_rules, called_process_error_needs_check)
{
    expect_error("called-process-error-without-check.yaml", 5, 11,
                 "expect.result",
                 "result called_process_error needs check: true");
}

TEST(load_rules, called_process_error_needs_a_nonzero_returncode)
{
    expect_error("called-process-error-zero.yaml", 7, 15, "expect.returncode",
                 "check raises only for a non-zero returncode");
}

TEST(load_rules, error_and_spawn_error_disagree)
{
    expect_error("error-and-spawn-error.yaml", 7, 10, "expect.error",
                 "error implies result error, but spawn_error implies "
                 "spawn_error");
}

TEST(load_rules, check_only_with_run)
{
    expect_error("check-wait.yaml", 5, 8, "check",
                 "check is for api: run, not wait");
}

TEST(load_rules, no_input_with_wait)
{
    expect_error("input-wait.yaml", 5, 8, "input", "api: wait sends no input");
}

TEST(load_rules, input_with_stdin_not_a_pipe)
{
    expect_error("input-devnull.yaml", 5, 8, "input",
                 "input needs spawn.stdin: pipe");
}

TEST(load_rules, communicate_input_needs_an_explicit_pipe)
{
    expect_error("input-communicate.yaml", 5, 8, "input",
                 "input needs spawn.stdin: pipe (only api: run opens it by "
                 "itself)");
}

TEST(load_rules, explicit_result_against_spawn_error)
{
    expect_error("result-conflict.yaml", 7, 5, "expect.spawn_error",
                 "spawn_error implies result spawn_error, but result is "
                 "exited");
}

TEST(load_rules, spawn_error_against_partial_output)
{
    expect_error("implied-conflict.yaml", 8, 19, "expect.partial_stdout",
                 "partial_stdout implies result timeout, but spawn_error "
                 "implies spawn_error");
}

TEST(load_rules, returncode_and_signal)
{
    expect_error("returncode-and-signal.yaml", 6, 11, "expect.signal",
                 "returncode and signal are two ways of saying the same: "
                 "give one");
}

TEST(load_rules, stdout_expected_without_a_pipe)
{
    expect_error("capture-inherit.yaml", 5, 11, "expect.stdout",
                 "stdout is captured only with spawn.stdout: pipe");
}

TEST(load_rules, stderr_expected_when_merged)
{
    expect_error("capture-merged.yaml", 7, 11, "expect.stderr",
                 "stderr is captured only with spawn.stderr: pipe");
}

TEST(load_rules, output_expected_from_wait)
{
    expect_error("capture-wait.yaml", 7, 11, "expect.stdout",
                 "api: wait captures no output");
}

TEST(load_rules, fired_fault_without_a_rule)
{
    expect_error("fired-no-rule.yaml", 9, 25, "expect.faults_fired[1]",
                 "no rule in faults can fire read@parent");
}

TEST(load_rules, fired_fault_outside_the_rule_scope)
{
    expect_error("fired-scope.yaml", 10, 18, "expect.faults_fired[0]",
                 "no rule in faults can fire write@parent");
}

TEST(load_rules, timeout_expected_without_one)
{
    expect_error("timeout-none.yaml", 6, 19, "expect.partial_stdout",
                 "a timeout is expected but the scenario sets no timeout");
}

TEST(load, differences)
{
    struct spf_scenario_set set = {0};
    load_ok(FIXTURE("good/differences.yaml"), &set);
    const struct spf_scenario *sc = find(&set, "documented");

    cr_assert_eq(sc->n_differences, 2);
    cr_assert_eq(sc->differences[0].n_targets, 1);
    cr_assert_str_eq(sc->differences[0].targets[0], "cpython");
    cr_assert_eq(sc->differences[0].n_fields, 2);
    cr_assert_str_eq(sc->differences[0].fields[1], "stdout");
    cr_assert_str_eq(sc->differences[0].why, "every CPython differs here");
    /* A family name covers every version; a version only itself. */
    cr_assert(spf_scenario_excuses(sc, "cpython:3.13", "returncode"));
    cr_assert(spf_scenario_excuses(sc, "cpython:3.12", "stage"));
    cr_assert(spf_scenario_excuses(sc, "cpython:3.10", "stage"));
    cr_assert_not(spf_scenario_excuses(sc, "cpython:3.13", "stage"));
    cr_assert_not(spf_scenario_excuses(sc, "cpython:3.1", "stage"));
    cr_assert_not(spf_scenario_excuses(sc, "node", "returncode"));
    cr_assert_not(spf_scenario_excuses(sc, "core", "returncode"));
    cr_assert_not(spf_scenario_excuses(sc, "cpython:3.13", ""));
    spf_scenario_set_clear(&set);
}

TEST(load_errors, difference_unknown_field)
{
    expect_error("difference-field.yaml", 8, 22, "differences[0].fields[1]",
                 "unknown field \"stdot\" (one of result, stage, errno, "
                 "filename, raw, message, returncode, stdout, stderr, "
                 "partial_stdout, partial_stderr, inherited_stdout, "
                 "inherited_stderr, faults_fired, strays, zombies, "
                 "leaked_fds, elapsed)");
}

TEST(load_errors, difference_for_the_core)
{
    expect_error("difference-target.yaml", 7, 13, "differences[0].target",
                 "\"core\" is not a target a difference can be documented "
                 "for (cpython, cpython:3.10 to cpython:3.13, or node)");
}

/* Aliases of one 64 MB value: the fifth use passes what a load may make,
 * and the error names the alias's place in the scenario. */
TEST(load_errors, aliases_cannot_multiply_without_bound)
{
    expect_error("alias-bomb.yaml", 5, 48, "spawn.argv[5].count",
                 "the values loaded add up to more than 256 MiB (an alias "
                 "counts each time it is used)");
}

TEST(load_errors, requires_names_what_it_knows)
{
    expect_error("requires-unknown.yaml", 2, 18, "requires[1]",
                 "unknown requirement \"network\" (root)");
}

TEST(load_errors, difference_version_no_target_can_run)
{
    expect_error("difference-version.yaml", 7, 28, "differences[0].target[1]",
                 "\"cpython:3.1\" is not a target a difference can be "
                 "documented for (cpython, cpython:3.10 to cpython:3.13, or "
                 "node)");
}

TEST(load_errors, difference_without_why)
{
    expect_error("difference-why.yaml", 7, 5, "differences[0].why",
                 "missing required key \"why\"");
}

TEST(load_errors, difference_target_list_item)
{
    expect_error("difference-target-list.yaml", 7, 23,
                 "differences[0].target[1]",
                 "\"nodejs\" is not a target a difference can be documented "
                 "for (cpython, cpython:3.10 to cpython:3.13, or node)");
}
