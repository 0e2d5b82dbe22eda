/*
 * spawnfault fault syntax: one fault written as strace writes it
 * (`strace -e inject=...`), turned into rules of the native rule language
 * of faults.h, so that a fault moves between the two tools unchanged.
 *
 *   spec := SET ':' key '=' value { ':' key '=' value }
 *         | native-rule
 *   SET  := name { ',' name }     a system call (execve, clone3, wait4...)
 *                                 or a point (spawn/exec, io/write...)
 *
 * strace's keys: error=ERRNO (name or number), retval=N, signal=SIG,
 * delay_enter=DUR, when=FIRST[..LAST][+[STEP]].  Ours, for what strace
 * cannot say: short=K|half|rand, prob=P, scope=parent|child|exec (several
 * joined with '+', or the key repeated), count=process|thread|tree,
 * backend=preload|seccomp, errno=any.  docs/inject.md has the table.
 *
 * A spec whose first word is libfiu's enable or enable_random is one of
 * libfiu's control commands (fiu-run -c), "enable name=posix/io/rw/write,
 * failinfo=5"; a libfiu POSIX point with one of ours becomes one rule, the
 * others are refused.  docs/inject.md, "libfiu's syntax", has the table.
 *
 * A spec whose text before its first '=' holds no ':' (or whose first ':'
 * follows an '@' or a '#', as in "write#tree:2=EIO") is already a native
 * rule and is copied as it is.
 *
 * Pure: no allocation, no I/O, no global state; safe in any thread and in
 * a signal handler.
 */
#ifndef SPAWNFAULT_FAULT_SYNTAX_H
#define SPAWNFAULT_FAULT_SYNTAX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for the rules of any one spec whose SET names every point once. */
#define SPF_FAULT_SYNTAX_OUT_MAX 2048

/* Room for any message of spf_fault_syntax_translate. */
#define SPF_FAULT_SYNTAX_ERR_MAX 256

/*
 * Translate spec (len bytes, no NUL needed) into native rules joined by
 * ';', one per distinct point of its SET, written NUL-terminated to buf.
 * Returns how many rules were written (at least 1); -EINVAL when the spec
 * is wrong, with a one-line message naming the key or name at fault in
 * errbuf (untrusted bytes quoted as \xNN); -ENOSPC when buf is too small
 * (with a message too).  buf is unspecified on failure.
 */
int spf_fault_syntax_translate(const char *spec, size_t len, char *buf,
                               size_t buflen, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
