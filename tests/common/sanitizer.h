/* Shared by the tests that start programs under a preload. */
#ifndef SPF_TESTS_COMMON_SANITIZER_H
#define SPF_TESTS_COMMON_SANITIZER_H

/*
 * With AddressSanitizer a glibc target loads libasan, which must come
 * first in LD_PRELOAD, before any preload: "PATH:" to put there, or ""
 * in a build without it.  No musl program can load it.
 */
const char *spf_test_sanitizer_preload(void);

#endif
