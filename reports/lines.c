/* The lines that describe a verdict, for the writers that show text. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "lines.h"

__attribute__((format(printf, 3, 4))) static int
emitf(spf__line_fn *fn, void *ctx, const char *fmt, ...)
{
    va_list ap;
    char *line;
    int n, r;

    va_start(ap, fmt);
    n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    r = fn(ctx, line, (size_t)n);
    free(line);
    return r;
}

/* "label: " and bytes that may hold a NUL, which printf would stop at. */
static int emit_bytes(spf__line_fn *fn, void *ctx, const char *label,
                      const struct spf_bytes *b)
{
    size_t n = strlen(label);
    char *line = malloc(n + 2 + b->len);
    int r;

    if (!line)
        return -ENOMEM;
    memcpy(line, label, n);
    memcpy(line + n, ": ", 2);
    memcpy(line + n + 2, b->data, b->len);
    r = fn(ctx, line, n + 2 + b->len);
    free(line);
    return r;
}

static int emit_each(spf__line_fn *fn, void *ctx, const char *label,
                     char *const *items, size_t n)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < n; i++)
        r = emitf(fn, ctx, "%s: %s", label, spf__or_empty(items[i]));
    return r;
}

int spf__mismatch_lines(const struct spf_verdict *v, spf__line_fn *fn,
                        void *ctx)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < v->n_mismatches; i++) {
        const struct spf_mismatch *m = &v->mismatches[i];

        r = emitf(fn, ctx, "%s: expected %s, got %s", spf__or_empty(m->field),
                  spf__or_empty(m->expected), spf__or_empty(m->got));
    }
    return r;
}

/* After a harness error, the last line the agent (or a peer's adapter)
 * wrote to its stderr: a crashing adapter's exception says why. */
static int last_words(const struct spf_outcome *o, spf__line_fn *fn, void *ctx)
{
    const struct spf_bytes *b = &o->inherited_err.data;
    size_t end, start;

    if (!o->inherited_err.present || !b->data)
        return 0;
    end = b->len;
    while (end > 0 && (b->data[end - 1] == '\n' || b->data[end - 1] == '\r'))
        end--;
    if (end == 0)
        return 0;
    start = end;
    while (start > 0 && b->data[start - 1] != '\n')
        start--;
    return emit_bytes(fn, ctx, "its stderr ends",
                      &(struct spf_bytes){b->data + start, end - start});
}

int spf__excused_lines(const struct spf_verdict *v, spf__line_fn *fn, void *ctx)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < v->n_excused; i++) {
        const struct spf_mismatch *m = &v->excused[i];

        r = emitf(fn, ctx, "documented difference: %s: expected %s, got %s",
                  spf__or_empty(m->field), spf__or_empty(m->expected),
                  spf__or_empty(m->got));
    }
    return r;
}

int spf__census_lines(const struct spf_outcome *o, spf__line_fn *fn, void *ctx)
{
    char sig[SPF__SIGNAL_MAX];
    int r;

    r = emit_each(fn, ctx, "leaked fd", o->leaked_fds, o->n_leaked_fds);
    if (r == 0)
        r = emit_each(fn, ctx, "zombie", o->zombies, o->n_zombies);
    if (r == 0)
        r = emit_each(fn, ctx, "stray", o->strays, o->n_strays);
    if (r == 0 && o->watchdog_signal != 0)
        r = emitf(fn, ctx, "watchdog: sent %s",
                  spf__signal_label(o->watchdog_signal, sig));
    if (r == 0 && o->harness_error)
        r = emitf(fn, ctx, "harness error: %s", o->harness_error);
    if (r == 0 && o->result == SPF_RESULT_HARNESS)
        r = last_words(o, fn, ctx);
    return r;
}

/* What the fault did: "ENOENT", "short: 1 of 4096 bytes". */
static void fault_action(const struct spf_fault_record *f, char *buf,
                         size_t len)
{
    char err[SPF__ERRNO_MAX];

    const char *sig = spf_fault_signal_name(f->sig);
    const char *name = spf_fault_action_name(f->action);

    switch (f->action) {
    case SPF_ACTION_ERRNO:
        snprintf(buf, len, "%s", spf__errno_label(f->err, err));
        break;
    case SPF_ACTION_SHORT:
        if (f->got == UINT64_MAX)
            snprintf(buf, len, "short: failed, %" PRIu64 " bytes asked",
                     f->want);
        else
            snprintf(buf, len, "short: %" PRIu64 " of %" PRIu64 " bytes",
                     f->got, f->want);
        break;
    case SPF_ACTION_DELAY:
        snprintf(buf, len, "delay: %" PRIu64 ".%06" PRIu64 " ms",
                 f->delay_ns / 1000000, f->delay_ns % 1000000);
        break;
    case SPF_ACTION_SIGNAL:
        snprintf(buf, len, "signal: %s, %s", sig ? sig : "?",
                 f->err ? "call interrupted" : "call went on");
        break;
    default:
        snprintf(buf, len, "%s", name ? name : "?");
        break;
    }
}

static int fault_line(const struct spf_fault_record *f, spf__line_fn *fn,
                      void *ctx)
{
    const char *call = spf_fault_call_name(f->call);
    const char *scope = spf_fault_scope_name(f->scope);
    char call_buf[24], scope_buf[24], action[80];

    if (!call) {
        snprintf(call_buf, sizeof(call_buf), "call %d", (int)f->call);
        call = call_buf;
    }
    if (!scope) {
        snprintf(scope_buf, sizeof(scope_buf), "scope %#x", f->scope);
        scope = scope_buf;
    }
    fault_action(f, action, sizeof(action));
    return emitf(fn, ctx, "fault fired: %s@%s#%" PRIu32 "=%s (pid %ld)", call,
                 scope, f->n, action, (long)f->pid);
}

/* Enough fired faults in full for a person to follow; the JSON report
 * has every one kept. */
#define FAULT_LINES_MAX 20

int spf__fault_lines(const struct spf_outcome *o, spf__line_fn *fn, void *ctx)
{
    size_t shown = o->n_fired < FAULT_LINES_MAX ? o->n_fired : FAULT_LINES_MAX;
    int r = 0;

    for (size_t i = 0; r == 0 && i < shown; i++)
        r = fault_line(&o->fired[i], fn, ctx);
    if (r == 0 && o->fired_total > shown) {
        r = emitf(fn, ctx,
                  "faults fired: %" PRIu64 " in all, the first %zu "
                  "shown",
                  o->fired_total, shown);
        for (int c = 0; r == 0 && c < SPF_CALL__COUNT; c++)
            for (int k = 0; r == 0 && k < SPF_FAULT_SCOPES; k++)
                if (o->fired_counts[c][k])
                    r = emitf(fn, ctx, "faults fired: %s@%s x%" PRIu64,
                              spf_fault_call_name((enum spf_fault_call)c),
                              spf_fault_scope_name(1u << k),
                              o->fired_counts[c][k]);
    }
    return r;
}

/* Why the expectations were not checked: the target cannot express the
 * case (the census failed it, or it would not be a failure). */
static int not_applicable_line(const struct spf_verdict *v, spf__line_fn *fn,
                               void *ctx)
{
    const char *why = v->outcome.not_applicable;

    if (!why)
        return 0;
    if (v->target)
        return emitf(fn, ctx, "not applicable on %s: %s", v->target, why);
    return emitf(fn, ctx, "not applicable: %s", why);
}

int spf__problem_lines(const struct spf_verdict *v, spf__line_fn *fn, void *ctx)
{
    int r = spf__mismatch_lines(v, fn, ctx);

    if (r == 0)
        r = not_applicable_line(v, fn, ctx);
    if (r == 0)
        r = spf__census_lines(&v->outcome, fn, ctx);
    if (r == 0)
        r = spf__fault_lines(&v->outcome, fn, ctx);
    return r;
}

static int spawn_error_lines(const struct spf_outcome *o, spf__line_fn *fn,
                             void *ctx)
{
    char err[SPF__ERRNO_MAX];
    int r;

    r = emitf(fn, ctx, "stage: %s", spf_stage_name(o->stage));
    if (r == 0)
        r = emitf(fn, ctx, "errno: %s (%d)", spf__errno_label(o->err, err),
                  o->err);
    if (r == 0 && o->filename.data)
        r = emit_bytes(fn, ctx, "filename", &o->filename);
    return r;
}

static int api_error_lines(const struct spf_outcome *o, spf__line_fn *fn,
                           void *ctx)
{
    char err[SPF__ERRNO_MAX];
    int r =
        emitf(fn, ctx, "errno: %s (%d)", spf__errno_label(o->err, err), o->err);

    if (r == 0 && o->message.data)
        r = emit_bytes(fn, ctx, "message", &o->message);
    return r;
}

static int capture_line(const char *label, const struct spf_capture *c,
                        spf__line_fn *fn, void *ctx)
{
    if (!c->present)
        return 0;
    return emitf(fn, ctx, "%s: %" PRIu64 " bytes", label, c->total_len);
}

int spf__outcome_lines(const struct spf_outcome *o, spf__line_fn *fn, void *ctx)
{
    char secs[SPF__SECONDS_MAX];
    int r;

    r = emitf(fn, ctx, "result: %s", spf_result_name(o->result));
    if (r == 0 && o->result == SPF_RESULT_SPAWN_ERROR)
        r = spawn_error_lines(o, fn, ctx);
    if (r == 0 && o->result == SPF_RESULT_ERROR)
        r = api_error_lines(o, fn, ctx);
    if (r == 0 && o->has_returncode)
        r = emitf(fn, ctx, "returncode: %d", o->returncode);

    spf__format_seconds(o->elapsed_ns, secs);
    if (r == 0)
        r = emitf(fn, ctx, "elapsed: %s s, iterations: %u", secs,
                  o->iterations);

    if (r == 0)
        r = capture_line("stdout", &o->out, fn, ctx);
    if (r == 0)
        r = capture_line("stderr", &o->err_out, fn, ctx);
    if (r == 0)
        r = capture_line("partial stdout", &o->partial_out, fn, ctx);
    if (r == 0)
        r = capture_line("partial stderr", &o->partial_err, fn, ctx);
    if (r == 0 && o->n_fired > 0)
        r = emitf(fn, ctx, "faults fired: %zu", o->n_fired);
    return r;
}
