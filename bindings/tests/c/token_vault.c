/*
 * Token Vault through the C API against the emulator: an app signs a user in for the backend
 * API (native-app, Apple code, audience https://calendar-backend.example.com), the user
 * connects Google, and the backend (Custom API Client calendar-backend, client_secret_post
 * or client_secret_basic) exchanges the access token for the user's Google token, then calls
 * the fake Google Calendar with it. Also: the never-connected user (connection required),
 * client authentication failures, the cache, and refusal of bad input.
 */
#include "harness.h"

#define VAULT_API "https://calendar-backend.example.com"
#define BACKEND_ID "calendar-backend"
#define BACKEND_SECRET "calendar-backend-secret"

/* A throwaway RSA key (generated for this test, registered nowhere). */
static const char TEST_RSA_PKCS8_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCoIv5KtWhrIlfi\n"
    "wU3qISA5rrVIIUbTCZx9hTijirjly/d2Dz/rRX9xFf1vqbecHqn74hedY81VGf7t\n"
    "FDe1fx3PxvwTQ0tTIh3QQ2u4eaUmw8lTnorWQOh7W0hq5nKFq4gl83OKob6glC+F\n"
    "hfOcI2U7nYx9+JcT7VFkjp+9xjAPW3OABCTYEOFmUSItj3zcdDeorYj93UdHb/ys\n"
    "G3SlrqN3i+TjCiXx74zxB6q+jJ94gR7tQBtI1wJX/3C74hU0Ev9ZBgYZEO8hrUt6\n"
    "SjfmTnIxBltL32xjtMPoQcsLgEXCr2qWLkfNgxb4OLpOHlI6vBdku7kZAwMoqawX\n"
    "cBdmdkDhAgMBAAECggEAA5l0Li9CBAEhNoaC339EDFgUI24q8PuksP84HjArEyhR\n"
    "rOJYsPW067vXyBsvBhWV+AF4FfN8AtViorqrEqSdA8SzwsnPBAGX98xpsvJPucu5\n"
    "NKQRPtL25yUmILu8OeZZLM7Qa2hZB2EEv2wFshMD6MnPpya6PT/4XRm8i7iBcOKw\n"
    "XX8Ic2yL80mX4hgEeV9YtTMzIrSSWKTth1mxVmtKxGLmFuCx6z6rtrsVuDE7GfMT\n"
    "EDn2jNdAQfi+UQaptZlrhD7rfrqSuoxd1TZpABmlVVGg8NeBsfNWlS68LmHFrcyp\n"
    "ckBwCt19PrJb4hkF1i6fJnZxIkfxeLA2KAFeMo17AQKBgQDpYMlJwl2LkrzyuHos\n"
    "TnPlFFBvDMEbl9UDYP6HcofGNKMGG7AZ4b4FessQsfn2dAmYNFcmUOXasw+UYBQg\n"
    "bIjm3VV6EozwRBgl/6zOAFaTe4EjPGhXLKRFW+YO8uAT4bhelp+X0j4uWXNaYkpJ\n"
    "hpILi99C9cVBn78VX0faTXJg8QKBgQC4b0KHbo/eV2cVyWaXR8jWldccJhQh+dGu\n"
    "nS6uxqbr6tbm2RcegNmWiIUkIBsXYGXTHudbALyWLZqYtKtV/G5W8pPyc/ucIRPk\n"
    "DOiNBWq+mfmVwxzYvEI11Ov/xRCVN/Bu6SKdIdrgMV0UqW1//83XGVicsEYDG36Y\n"
    "3o/XqTje8QKBgAKdIOQAl0ee5xrY0hV483dXWOdFf0wt0SbuiSs/LyIbKNBCsyA3\n"
    "FQe+rlOLir8l4Y2g2HEHauueIciJovASBx5+0BxD5Owz9wlF6cuM2WthcLrSTGDd\n"
    "kSFtvA/izHushYIZscPjiOq/+bjDbQ2RwkT61g9L7V+kyGEW5hkd0PAhAoGAB8i6\n"
    "WBj0fX/W2/aKG+xtr5DXaVq6Es0GaoY7yCieNurMcyXKcgEiLdZJOEMaoZvx8D0n\n"
    "qpGXZAc8tSE68gAbcBQA5oS6o9ZJjqB02C7YWH8LJ6T6fLNFYBxCcaMRlhqsTSIN\n"
    "0e/x2vB6azrTYkmbmG57bPGLounwJ+eMzp9XxSECgYAsrPmupI7EArF+TP1Eqc9G\n"
    "QDLV7RQ11wC7kz0wZKkaOgIDHeYD0XKPgrM0KSvpKkxH/S7MQwQAgn7BfBKvBN8T\n"
    "ufvPA5NEpVrzk2HIGuR9s1tEX6N27VPtc9pTKL8JNClAAwdR3iRJ3LfVzg+Ve2Ex\n"
    "+k3Hu/iZlyxfw9zXiz5dRw==\n"
    "-----END PRIVATE KEY-----\n";

/* Signs `user` in from the app for the backend API; returns the access token (malloc'd). */
static char *app_access_token(const char *user) {
    char body[256];
    snprintf(body, sizeof body, "{\"sub\":\"%s\",\"email\":\"vault@example.com\"}", user);
    char *code = mint_apple_code(body);
    te_client *app = make_client("native-app", NULL);
    te_native_social_exchange *request = NULL;
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    char *result = NULL;
    if (OK(te_native_social_exchange_apple(code, &request, &error)) && OK(te_native_social_exchange_set_audience(request, VAULT_API, &error)) &&
        OK(te_client_native_social_exchange(app, request, &tokens, &error))) {
        char *at = te_token_set_access_token(tokens);
        result = at ? strdup(at) : NULL;
        te_string_free(at);
    }
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    te_client_free(app);
    free(code);
    return result;
}

/* Connects `user`'s Google account in the vault. */
static int connect_google(const char *user, const char *login_hint) {
    char body[256];
    snprintf(body, sizeof body, "{\"user_id\":\"%s\",\"connection\":\"google-oauth2\",\"login_hint\":\"%s\"}", user,
             login_hint);
    char *response = emulator_post("/emulator/vault/connect", body);
    int ok = response != NULL && strstr(response, "\"connection\":\"google-oauth2\"") != NULL;
    free(response);
    return ok;
}

/* The backend's client; `basic` picks client_secret_basic over client_secret_post. */
static te_client *backend_client(const char *secret, int basic) {
    te_client_options *options = NULL;
    te_client *client = NULL;
    te_error *error = NULL;
    if (!OK(te_client_options_new(emulator_url(), BACKEND_ID, &options, &error)) ||
        !OK(basic ? te_client_options_set_client_secret_basic(options, secret, &error)
                  : te_client_options_set_client_secret_post(options, secret, &error)) ||
        !OK(te_client_new(options, &client, &error))) {
        client = NULL;
    }
    te_client_options_free(options);
    return client;
}

/* The number of successful vault exchanges the emulator has served. */
static long vault_exchanges(void) {
    char *stats = emulator_get("/emulator/vault/stats");
    const char *at = stats ? strstr(stats, "\"exchanges\":") : NULL;
    long n = at ? strtol(at + strlen("\"exchanges\":"), NULL, 10) : -1;
    free(stats);
    return n;
}

/* Calls the fake Google Calendar with the provider token; returns the HTTP status. */
static int calendar_status(te_client *backend, const te_token_vault_token *token) {
    char url[256];
    snprintf(url, sizeof url, "%s/provider/google/calendar/v3/calendars/primary/events", emulator_url());
    char *access_token = te_token_vault_token_access_token(token);
    te_token_set *bearer = NULL;
    te_request *request = NULL;
    te_response *response = NULL;
    te_error *error = NULL;
    int status = -1;
    if (OK(te_token_set_new(access_token, "Bearer", &bearer, &error)) &&
        OK(te_request_new("GET", url, &request, &error)) &&
        OK(te_client_send_authorized(backend, request, bearer, &response, &error))) {
        status = te_response_status(response);
    }
    te_string_free(access_token);
    te_response_free(response);
    te_request_free(request);
    te_token_set_free(bearer);
    return status;
}

/* A Token Vault exchange request (`login_hint` may be NULL), sent by te_client_token_vault_exchange
 * or handed to the cache; NULL on failure, with `*error` set. */
static te_token_vault_exchange *vault_request(const char *subject_token, te_token_vault_subject_token_type type,
                                              const char *connection, const char *login_hint, te_error **error) {
    te_token_vault_exchange *request = NULL;
    if (te_token_vault_exchange_new(subject_token, type, connection, &request, error) != TE_OK) {
        return NULL;
    }
    if (login_hint != NULL && te_token_vault_exchange_set_login_hint(request, login_hint, error) != TE_OK) {
        te_token_vault_exchange_free(request);
        return NULL;
    }
    return request;
}

/* te_client_token_vault_exchange of the request these arguments make. */
static te_code vault_exchange(te_client *client, const char *subject_token, te_token_vault_subject_token_type type,
                              const char *connection, const char *login_hint, te_token_vault_token **token,
                              te_error **error) {
    te_token_vault_exchange *request = vault_request(subject_token, type, connection, login_hint, error);
    if (request == NULL) {
        return te_error_code(*error);
    }
    te_code rc = te_client_token_vault_exchange(client, request, token, error);
    te_token_vault_exchange_free(request);
    return rc;
}

/* te_token_vault_cache_get of the request these arguments make. */
static te_code cache_get(te_token_vault_cache *cache, const char *subject_token, te_token_vault_subject_token_type type,
                         const char *connection, const char *login_hint, const char *required_scopes,
                         te_token_vault_token **token, te_error **error) {
    te_token_vault_exchange *request = vault_request(subject_token, type, connection, login_hint, error);
    if (request == NULL) {
        return te_error_code(*error);
    }
    te_code rc = te_token_vault_cache_get(cache, request, required_scopes, token, error);
    te_token_vault_exchange_free(request);
    return rc;
}

/* te_token_vault_cache_invalidate of the request these arguments make. */
static te_code cache_invalidate(te_token_vault_cache *cache, const char *subject_token,
                                te_token_vault_subject_token_type type, const char *connection,
                                const char *login_hint, const char *required_scopes, te_error **error) {
    te_token_vault_exchange *request = vault_request(subject_token, type, connection, login_hint, error);
    if (request == NULL) {
        return te_error_code(*error);
    }
    te_code rc = te_token_vault_cache_invalidate(cache, request, required_scopes, error);
    te_token_vault_exchange_free(request);
    return rc;
}

/* What anyone can make from a user's token: its claims under an `alg: none` header with no
 * signature (malloc'd). */
static char *forge_unsigned(const char *jwt) {
    const char *payload = jwt ? strchr(jwt, '.') : NULL;
    const char *end = payload ? strchr(payload + 1, '.') : NULL;
    if (end == NULL) {
        return NULL;
    }
    static const char header[] = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; /* {"alg":"none","typ":"JWT"} */
    size_t payload_len = (size_t)(end - payload); /* with its leading '.' */
    char *forged = malloc(sizeof header + payload_len + 1);
    if (forged != NULL) {
        memcpy(forged, header, sizeof header - 1);
        memcpy(forged + sizeof header - 1, payload, payload_len);
        strcpy(forged + sizeof header - 1 + payload_len, ".");
    }
    return forged;
}

static void exchange_with_client_secret(void) {
    const char *user = "apple|c-vault-user";
    char *access_token = app_access_token(user);
    tap(access_token != NULL, "the app signs the user in for the backend API");
    tap(connect_google(user, "c-vault@gmail.com"), "the user connects Google (control endpoint)");

    te_client *backend = backend_client(BACKEND_SECRET, 0);
    te_token_vault_token *token = NULL;
    te_error *error = NULL;
    long before = vault_exchanges();
    tap(OK(vault_exchange(backend, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                          NULL, &token, &error)) &&
            token != NULL,
        "client_secret_post: the backend exchanges the access token for the Google token");
    tap(vault_exchanges() == before + 1, "the emulator served one vault exchange");
    char *provider_token = te_token_vault_token_access_token(token);
    tap(provider_token != NULL && strlen(provider_token) > 10 && strcmp(provider_token, access_token) != 0,
        "the provider access token is returned (not the Auth0 token)");
    te_string_free(provider_token);
    tap(take_equals(te_token_vault_token_token_type(token), "Bearer"), "token_type is Bearer");
    int64_t expires_in = 0, expires_at = 0;
    tap(te_token_vault_token_expires_in(token, &expires_in) && expires_in > 3000 && expires_in <= 3600 &&
            te_token_vault_token_expires_at(token, &expires_at) && expires_at > 1700000000,
        "expires_in and expires_at are reported");
    char *scope = te_token_vault_token_scope(token);
    tap(scope != NULL && strstr(scope, "https://www.googleapis.com/auth/calendar.readonly") != NULL,
        "the provider scopes are reported");
    te_string_free(scope);
    tap(take_equals(te_token_vault_token_issued_token_type(token),
                    "http://auth0.com/oauth/token-type/federated-connection-access-token"),
        "issued_token_type is the federated connection access token");
    tap(calendar_status(backend, token) == 200, "the Google token works at the (fake) Google Calendar API");
    te_token_vault_token_free(token);

    token = NULL;
    tap(OK(vault_exchange(backend, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                          "c-vault@gmail.com", &token, &error)) &&
            token != NULL,
        "the login_hint of the connected account is accepted");
    te_token_vault_token_free(token);

    token = NULL;
    te_code rc = vault_exchange(backend, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN,
                                                "google-oauth2", "someone-else@gmail.com", &token, &error);
    tap(rc == TE_ERROR_OAUTH && token == NULL && te_error_is_connection_required(error),
        "an account the user did not connect (login_hint) means connection required");
    te_error_free(error);
    error = NULL;

    te_client *basic = backend_client(BACKEND_SECRET, 1);
    tap(OK(vault_exchange(basic, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                          NULL, &token, &error)) &&
            token != NULL,
        "client_secret_basic works too");
    te_token_vault_token_free(token);
    te_client_free(basic);

    /* The cache: one exchange for two gets of the same user, connection and scopes. */
    te_token_vault_cache *cache = NULL;
    te_token_vault_token *first = NULL, *second = NULL;
    before = vault_exchanges();
    int got = OK(te_token_vault_cache_new(backend, 0, &cache, &error)) &&
              OK(cache_get(cache, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                              NULL, "https://www.googleapis.com/auth/calendar.readonly", &first,
                                              &error)) &&
              OK(cache_get(cache, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                              NULL, "https://www.googleapis.com/auth/calendar.readonly", &second,
                                              &error));
    char *a = te_token_vault_token_access_token(first);
    tap(got && vault_exchanges() == before + 1 && take_equals(te_token_vault_token_access_token(second), a),
        "the cache serves the second get without an exchange");
    te_string_free(a);
    te_token_vault_token_free(first);
    te_token_vault_token_free(second);

    /* Invalidating that entry makes the next get exchange again; the one after is cached. */
    te_token_vault_token *third = NULL, *fourth = NULL;
    before = vault_exchanges();
    got = OK(cache_invalidate(cache, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN,
                                                 "google-oauth2", NULL,
                                                 "https://www.googleapis.com/auth/calendar.readonly", &error)) &&
          OK(cache_get(cache, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                          NULL, "https://www.googleapis.com/auth/calendar.readonly", &third,
                                          &error)) &&
          OK(cache_get(cache, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                          NULL, "https://www.googleapis.com/auth/calendar.readonly", &fourth,
                                          &error));
    tap(got && vault_exchanges() == before + 1, "after te_token_vault_cache_invalidate, one new exchange");
    te_token_vault_token_free(third);
    te_token_vault_token_free(fourth);
    tap(invalid(cache_invalidate(cache, access_token, 7, "google-oauth2", NULL, NULL, &error),
                &error, "subject_token_type"),
        "invalidate with an unknown subject token type is invalid input");

    /* A forged token carrying the cached user's claims misses the cache: the server refuses it. */
    char *forged = forge_unsigned(access_token);
    te_token_vault_token *stolen = NULL;
    before = vault_exchanges();
    rc = cache_get(cache, forged, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2", NULL,
                                      "https://www.googleapis.com/auth/calendar.readonly", &stolen, &error);
    tap(forged != NULL && rc == TE_ERROR_OAUTH && stolen == NULL && te_error_is_invalid_grant(error) &&
            vault_exchanges() == before,
        "a forged token with a cached user's claims misses the cache and the server refuses it");
    te_error_free(error);
    error = NULL;
    te_token_vault_token_free(stolen);
    free(forged);
    te_token_vault_cache_free(cache);

    te_client_free(backend);
    free(access_token);
}

static void never_connected(void) {
    char *access_token = app_access_token("apple|c-vault-never-connected");
    te_client *backend = backend_client(BACKEND_SECRET, 0);
    te_token_vault_token *token = NULL;
    te_error *error = NULL;
    te_code rc = vault_exchange(backend, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN,
                                                "google-oauth2", NULL, &token, &error);
    tap(rc == TE_ERROR_OAUTH && token == NULL && te_error_is_connection_required(error) &&
            te_error_http_status(error) == 401 &&
            take_equals(te_error_oauth_code(error), "federated_connection_refresh_token_not_found") &&
            !te_error_is_retryable(error),
        "a user who never connected Google: te_error_is_connection_required");
    te_error_free(error);
    error = NULL;

    te_client *wrong = backend_client("not-the-secret", 0);
    rc = vault_exchange(wrong, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2", NULL,
                                        &token, &error);
    tap(rc == TE_ERROR_OAUTH && te_error_http_status(error) == 401 && !te_error_is_connection_required(error),
        "a wrong client secret is refused (401)");
    te_error_free(error);
    error = NULL;
    te_client_free(wrong);

    te_client *app = make_client("native-app", NULL);
    rc = vault_exchange(app, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2", NULL,
                                        &token, &error);
    tap(rc == TE_ERROR_OAUTH && !te_error_is_connection_required(error), "a public client cannot use Token Vault");
    te_error_free(error);
    error = NULL;
    te_client_free(app);

    /* private_key_jwt with a key the tenant does not know: the assertion is sent and refused. */
    te_client_options *options = NULL;
    te_client *jwt = NULL;
    int built = OK(te_client_options_new(emulator_url(), BACKEND_ID, &options, &error)) &&
                OK(te_client_options_set_private_key_jwt(options, TEST_RSA_PKCS8_PEM, "test-kid", &error)) &&
                OK(te_client_new(options, &jwt, &error));
    te_client_options_free(options);
    tap(built, "a PKCS#8 RSA key is accepted for private_key_jwt");
    rc = vault_exchange(jwt, access_token, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2", NULL,
                                        &token, &error);
    tap(rc == TE_ERROR_OAUTH && te_error_http_status(error) == 401 && take_equals(te_error_oauth_code(error), "invalid_client"),
        "an assertion signed with an unregistered key is invalid_client");
    te_error_free(error);
    error = NULL;
    te_client_free(jwt);

    te_client_free(backend);
    free(access_token);
}

static void bad_input(void) {
    static const char BAD_UTF8[] = {'a', (char)0xff, 'b', 0};
    te_client *backend = backend_client(BACKEND_SECRET, 0);
    te_token_vault_token *token = (te_token_vault_token *)0x1; /* must be reset to NULL */
    te_error *error = NULL;
    long before = vault_exchanges();
    tap(invalid(te_client_token_vault_exchange(backend, NULL, &token, &error), &error, "request") && token == NULL,
        "NULL request; token_out reset to NULL");
    tap(invalid(vault_exchange(backend, NULL, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2", NULL, &token,
                               &error),
                &error, "subject_token"),
        "NULL subject token");
    tap(invalid(vault_exchange(backend, "at", 7, "google-oauth2", NULL, &token, &error), &error,
                "subject_token_type"),
        "an unknown subject token type value is refused");
    tap(invalid(vault_exchange(backend, "at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "", NULL, &token,
                                               &error),
                &error, "connection"),
        "an empty connection is refused");
    tap(invalid(vault_exchange(backend, "at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google oauth2",
                                               NULL, &token, &error),
                &error, "connection"),
        "a connection name with a space is refused");
    tap(invalid(vault_exchange(backend, "at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, NULL, NULL, &token,
                                               &error),
                &error, "connection"),
        "NULL connection");
    tap(invalid(vault_exchange(backend, BAD_UTF8, TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN,
                                               "google-oauth2", NULL, &token, &error),
                &error, "subject_token"),
        "a subject token that is not UTF-8");
    tap(invalid(vault_exchange(backend, "Bearer at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN,
                                               "google-oauth2", NULL, &token, &error),
                &error, "subject_token"),
        "a subject token with a scheme prefix is refused");
    tap(invalid(vault_exchange(backend, "at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                               BAD_UTF8, &token, &error),
                &error, "login_hint"),
        "a login_hint that is not UTF-8");
    tap(invalid(vault_exchange(NULL, "at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2", NULL,
                                               &token, &error),
                &error, "client"),
        "NULL client");
    tap(invalid(vault_exchange(backend, "at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2",
                                               NULL, NULL, &error),
                &error, "token_out"),
        "NULL token_out");
    const char *refused[][2] = {{"audience", "an extra parameter may not set audience (the one rule of every flow)"},
                                {"Connection", "nor a parameter the request already sends, in any case"}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        te_token_vault_exchange *extra = vault_request("at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2", NULL, &error);
        tap(extra != NULL && OK(te_token_vault_exchange_add_parameter(extra, refused[i][0], "x", &error)) &&
                invalid(te_client_token_vault_exchange(backend, extra, &token, &error), &error, "extra_parameters"),
            refused[i][1]);
        te_token_vault_exchange_free(extra);
    }
    tap(vault_exchanges() == before, "nothing invalid reached the server");

    te_client_options *options = NULL;
    te_client_options_new(emulator_url(), BACKEND_ID, &options, NULL);
    tap(invalid(te_client_options_set_client_secret_post(options, NULL, &error), &error, "client_secret"),
        "NULL client secret");
    tap(invalid(te_client_options_set_client_secret_basic(NULL, "s", &error), &error, "options"),
        "NULL options to set_client_secret_basic");
    tap(invalid(te_client_options_set_private_key_jwt(options, "-----BEGIN PRIVATE KEY-----\nnope\n", NULL, &error),
                &error, "client_assertion_key"),
        "a PEM that is not an RSA PKCS#8 key is refused at once");
    tap(invalid(te_client_options_set_private_key_jwt(options, TEST_RSA_PKCS8_PEM, BAD_UTF8, &error), &error, "kid"),
        "a kid that is not UTF-8");
    te_client *client = NULL;
    tap(OK(te_client_options_set_client_secret_post(options, " padded ", &error)) &&
            invalid(te_client_new(options, &client, &error), &error, "client_secret") && client == NULL,
        "a secret with surrounding whitespace is refused by te_client_new");
    tap(OK(te_client_options_set_public_client(options, &error)) && OK(te_client_new(options, &client, &error)),
        "te_client_options_set_public_client clears the authentication");
    te_client_free(client);
    te_client_options_free(options);

    te_token_vault_cache *cache = (te_token_vault_cache *)0x1;
    tap(invalid(te_token_vault_cache_new(NULL, 0, &cache, &error), &error, "client") && cache == NULL,
        "NULL client to te_token_vault_cache_new");
    tap(invalid(cache_get(NULL, "at", TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN, "google-oauth2", NULL,
                                             NULL, &token, &error),
                &error, "cache"),
        "NULL cache to te_token_vault_cache_get");

    int64_t n = 42;
    char *s = te_token_vault_token_access_token(NULL);
    tap(s == NULL && te_token_vault_token_token_type(NULL) == NULL && !te_token_vault_token_expires_in(NULL, &n) &&
            n == 42 && !te_error_is_connection_required(NULL),
        "getters return NULL/false for NULL");
    te_token_vault_token_free(NULL);
    te_token_vault_cache_free(NULL);
    te_client_free(backend);
}

int main(void) {
    note("token-exchange %s against %s", te_version(), emulator_url());
    exchange_with_client_secret();
    never_connected();
    bad_input();
    return tap_done();
}
