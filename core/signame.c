/* Signal names, as in status reports ("SIGKILL"). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <spawnfault/spawn.h>

static const struct {
    int sig;
    const char *name;
} signals[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},
    {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},
    {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},       {SIGKILL, "SIGKILL"},
    {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"},     {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"},
    {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"},
    {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"},     {SIGTTOU, "SIGTTOU"},
    {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},     {SIGXFSZ, "SIGXFSZ"},
    {SIGPROF, "SIGPROF"}, {SIGVTALRM, "SIGVTALRM"}, {SIGWINCH, "SIGWINCH"},
    {SIGIO, "SIGIO"},     {SIGPWR, "SIGPWR"},       {SIGSYS, "SIGSYS"},
};

#define N_SIGNALS (sizeof(signals) / sizeof(signals[0]))

const char *spf_signal_name(int sig)
{
    for (size_t i = 0; i < N_SIGNALS; i++)
        if (sig == signals[i].sig)
            return signals[i].name;
    return NULL;
}

int spf_signal_from_name(const char *name)
{
    for (size_t i = 0; i < N_SIGNALS; i++)
        if (strcmp(name, signals[i].name) == 0 ||
            strcmp(name, signals[i].name + 3) == 0)
            return signals[i].sig;
    return -EINVAL;
}
