/* The PATH search, done in the parent so that the child only execs. */
#include <stdlib.h>
#include <string.h>

#include "execpath.h"

/* Length of os.path.join(dir, name) for a name without '/'. */
static size_t joined_len(const char *dir, size_t dlen, size_t nlen)
{
    if (dlen == 0)
        return nlen;
    return dlen + (dir[dlen - 1] == '/' ? 0 : 1) + nlen;
}

static char *join(char *out, const char *dir, size_t dlen, const char *name,
                  size_t nlen)
{
    memcpy(out, dir, dlen);
    if (dlen && dir[dlen - 1] != '/')
        out[dlen++] = '/';
    memcpy(out + dlen, name, nlen);
    out[dlen + nlen] = '\0';
    return out + dlen + nlen + 1;
}

char **spf__exec_candidates(const char *name, const char *path)
{
    size_t nlen = strlen(name), n = 1, bytes = 0;
    const char *p, *end;
    char **vec, *s;
    size_t i = 0;

    if (strchr(name, '/'))
        path = "";
    else if (!path)
        path = SPF__DEFPATH;
    for (p = path; (end = strchr(p, ':')); p = end + 1)
        n++;
    for (p = path;; p = end + 1) {
        end = strchr(p, ':');
        if (!end)
            end = p + strlen(p);
        bytes += joined_len(p, (size_t)(end - p), nlen) + 1;
        if (!*end)
            break;
    }
    vec = malloc((n + 1) * sizeof(char *) + bytes);
    if (!vec)
        return NULL;
    s = (char *)(vec + n + 1);
    for (p = path;; p = end + 1) {
        end = strchr(p, ':');
        if (!end)
            end = p + strlen(p);
        vec[i++] = s;
        s = join(s, p, (size_t)(end - p), name, nlen);
        if (!*end)
            break;
    }
    vec[i] = NULL;
    return vec;
}
