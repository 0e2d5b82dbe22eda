/*
 * An inert library that test_preload.c preloads beside the preload, to
 * check that the root strips only its own entry from LD_PRELOAD.
 */
int spf_test_dummy_preload(void);

int spf_test_dummy_preload(void)
{
    return 42;
}
