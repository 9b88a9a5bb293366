/*
 * The header's TE_VERSION_* macros and te_version(): the library this program loaded must
 * be the version of the header it was compiled with, and the macros must spell that version.
 */
#include "harness.h"

int main(void) {
    const char *loaded = te_version();
    note("header %s, library %s", TE_VERSION_STRING, loaded ? loaded : "(null)");
    tap(loaded != NULL && strcmp(loaded, TE_VERSION_STRING) == 0, "te_version() equals TE_VERSION_STRING");

    char numbers[64];
    snprintf(numbers, sizeof numbers, "%d.%d.%d", TE_VERSION_MAJOR, TE_VERSION_MINOR, TE_VERSION_PATCH);
    /* The string may add a pre-release or build suffix (1.2.3-beta.1) after the numbers. */
    size_t n = strlen(numbers);
    tap(strncmp(TE_VERSION_STRING, numbers, n) == 0 &&
            (TE_VERSION_STRING[n] == '\0' || TE_VERSION_STRING[n] == '-' || TE_VERSION_STRING[n] == '+'),
        "TE_VERSION_MAJOR.MINOR.PATCH begin TE_VERSION_STRING");

    return tap_done();
}
