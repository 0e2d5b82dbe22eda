#ifndef SPF_CORE_EXECPATH_H
#define SPF_CORE_EXECPATH_H

/* The default search path when PATH is not set: CPython's os.defpath. */
#define SPF__DEFPATH "/bin:/usr/bin"

/*
 * The paths the child tries, in order, for a program named name (the
 * executable, else argv[0]).  A name with a '/' is the only candidate
 * (relative ones resolve in the child's new cwd).  Otherwise one candidate
 * per entry of path (NULL: SPF__DEFPATH), an empty entry giving the bare
 * name.  Returns one malloc'd block: a NULL-terminated vector followed by
 * the strings; NULL when out of memory.
 */
char **spf__exec_candidates(const char *name, const char *path);

#endif
