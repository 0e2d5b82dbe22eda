/* The sanitizer runtime a target must preload first (sanitizer.h). */
#include <dlfcn.h>
#include <stdio.h>

#include "sanitizer.h"

const char *spf_test_sanitizer_preload(void)
{
#if defined(__SANITIZE_ADDRESS__)
    static char path[4096];
    void *sym = dlsym(RTLD_DEFAULT, "__asan_init");
    Dl_info info;

    if (path[0] == '\0' && sym != NULL && dladdr(sym, &info) != 0 &&
        info.dli_fname != NULL)
        snprintf(path, sizeof(path), "%s:", info.dli_fname);
    return path;
#else
    return "";
#endif
}
