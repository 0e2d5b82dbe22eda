/*
 * Where a report is rendered, so that a failing writer never leaves half a
 * report behind.
 *
 * For a path, the writer renders into a new file beside it (same folder,
 * so the final rename(2) cannot cross file systems) which replaces the path
 * atomically only once everything was written and synced.  For a caller's
 * stream, it renders into memory, copied to the stream in one piece.
 */
#ifndef SPF_REPORTS_OUTPUT_H
#define SPF_REPORTS_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Renders a report into f.  Returns 0 or -errno; write errors may instead
 * stay on f, where the caller finds them.
 */
typedef int spf__render_fn(const void *ctx, FILE *f);

/*
 * Render a report that replaces path.  The temporary file is created with
 * mode 0666 less the umask, like any new file, and close-on-exec.  Returns
 * 0, or the -errno of the first step that failed (render's own error
 * included), and then leaves no file behind.
 */
int spf__output_path(const char *path, spf__render_fn *render, const void *ctx);

/*
 * Render a report into memory, then write it to dest in one piece and
 * flush dest.  Returns 0 or -errno; when rendering fails, nothing reaches
 * dest.
 */
int spf__output_stream(FILE *dest, spf__render_fn *render, const void *ctx);

#endif
