/*
 * A C program using the installed token-exchange library the way the README's Installation
 * section says, built by the C consumer projects beside it (c-pkg-config, c-cmake,
 * c-cmake-static) into a program named `app`, and run by `cargo xtask test` (the packages
 * suite) under valgrind:
 *
 *   app DOMAIN CLIENT_ID APPLE_AUTHORIZATION_CODE
 *
 * Trades a Sign in with Apple authorization code for Auth0 tokens bound to a fresh DPoP key
 * (native social token exchange), then calls /userinfo with them. Exits 0 only if the
 * library it loaded is the version of the header it was compiled with (and of the package
 * its build system found, passed as EXPECTED_VERSION), the tokens are DPoP tokens bound to
 * the key, and /userinfo answered.
 */
#include <stdio.h>
#include <string.h>

#include <token_exchange.h>

/* Prints a failed call's error and frees it; returns 1 for `return fail(...)`. */
static int fail(const char *what, te_error *error) {
    char *message = te_error_message(error); /* never contains a token */
    fprintf(stderr, "%s failed (code %d): %s\n", what, (int)te_error_code(error), message ? message : "?");
    te_string_free(message);
    te_error_free(error);
    return 1;
}

/* Whether a string returned by the library equals `expected`; frees it. */
static int take_equals(char *s, const char *expected) {
    int equal = s != NULL && expected != NULL && strcmp(s, expected) == 0;
    te_string_free(s);
    return equal;
}

static int check_versions(void) {
    printf("token-exchange: header %s, library %s\n", TE_VERSION_STRING, te_version());
    if (strcmp(te_version(), TE_VERSION_STRING) != 0) {
        fprintf(stderr, "the library loaded is not the version of token_exchange.h\n");
        return 1;
    }
#ifdef EXPECTED_VERSION
    /* CMake versions are numbers only: "0.2.0" for a header saying "0.2.0-beta.1". */
    size_t n = strlen(EXPECTED_VERSION);
    if (strncmp(EXPECTED_VERSION, TE_VERSION_STRING, n) != 0 ||
        (TE_VERSION_STRING[n] != '\0' && TE_VERSION_STRING[n] != '-' && TE_VERSION_STRING[n] != '+')) {
        fprintf(stderr, "the build system found version %s, the header says %s\n", EXPECTED_VERSION,
                TE_VERSION_STRING);
        return 1;
    }
#endif
    return 0;
}

static int exchange(const char *domain, const char *client_id, const char *code) {
    te_error *error = NULL;
    te_dpop_key *key = NULL;
    te_client_options *options = NULL;
    te_client *client = NULL;
    te_native_social_exchange *request = NULL;
    te_token_set *tokens = NULL;
    char *thumbprint = NULL;
    char *claims = NULL;
    int status = 1;

    if (te_dpop_key_generate(&key, &error) != TE_OK) {
        fail("te_dpop_key_generate", error);
        goto done;
    }
    if (te_client_options_new(domain, client_id, &options, &error) != TE_OK ||
        te_client_options_set_dpop_key(options, key, &error) != TE_OK ||
        te_client_new(options, &client, &error) != TE_OK) {
        fail("creating the client", error);
        goto done;
    }
    if (te_native_social_exchange_apple(code, &request, &error) != TE_OK ||
        te_native_social_exchange_set_audience(request, "https://api.example.com", &error) != TE_OK ||
        te_native_social_exchange_set_user_name(request, "John", "Smith", &error) != TE_OK) {
        fail("building the request", error);
        goto done;
    }
    if (te_client_native_social_exchange(client, request, &tokens, &error) != TE_OK) {
        fail("te_client_native_social_exchange", error);
        goto done;
    }
    thumbprint = te_dpop_key_thumbprint(key);
    if (!te_token_set_is_dpop_bound(tokens) || !take_equals(te_token_set_token_type(tokens), "DPoP") ||
        !take_equals(te_token_set_dpop_jkt(tokens), thumbprint)) {
        fprintf(stderr, "the tokens are not DPoP tokens bound to the key\n");
        goto done;
    }
    printf("exchanged the Apple code for DPoP-bound tokens\n");
    if (te_client_userinfo(client, tokens, &claims, &error) != TE_OK) {
        fail("te_client_userinfo", error);
        goto done;
    }
    printf("userinfo answered (%zu bytes of claims)\n", strlen(claims));
    status = 0;

done:
    te_string_free(claims);
    te_string_free(thumbprint);
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    te_client_free(client);
    te_client_options_free(options);
    te_dpop_key_free(key);
    return status;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s DOMAIN CLIENT_ID APPLE_AUTHORIZATION_CODE\n", argv[0]);
        return 2;
    }
    if (check_versions() != 0) {
        return 1;
    }
    return exchange(argv[1], argv[2], argv[3]);
}
