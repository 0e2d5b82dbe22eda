/* Wait status decoding, as CPython's _handle_exitstatus. */
#include <sys/wait.h>

#include <spawnfault/spawn.h>

int spf_status_decode(int status)
{
    if (WIFSIGNALED(status))
        return -WTERMSIG(status);
    /* A stopped child (traced, or a forged status) is reported as
     * -stopsig, as CPython does (bpo-29335); the caller decides whether
     * such a status is final. */
    if (WIFSTOPPED(status))
        return -WSTOPSIG(status);
    return WEXITSTATUS(status);
}
