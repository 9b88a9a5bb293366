/*
 * Every error kind through the C API against the emulator: its code, its data and its
 * predicates.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "harness.h"

/* Exchanges `request` expecting a failure; returns the error (caller frees) or NULL. */
static te_error *exchange_error(const te_client *client, const te_native_social_exchange *request) {
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    te_code rc = te_client_native_social_exchange(client, request, &tokens, &error);
    if (rc == TE_OK) {
        note("expected a failure, the exchange succeeded");
        te_token_set_free(tokens);
        return NULL;
    }
    if (tokens != NULL) {
        note("tokens_out was set on failure");
    }
    if (error == NULL || te_error_code(error) != rc) {
        note("the error handle does not match the code %d", (int)rc);
    }
    return error;
}

/* A port on 127.0.0.1 with nothing listening. */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd, (struct sockaddr *)&addr, sizeof addr);
    getsockname(fd, (struct sockaddr *)&addr, &len);
    close(fd);
    return ntohs(addr.sin_port);
}

static void reused_apple_code(te_client *client) {
    char *code = mint_apple_code("{\"sub\":\"apple|c-reuse\"}");
    te_native_social_exchange *request = apple_request(code);
    te_native_social_exchange_set_forwarded_for(request, "198.51.100.1", NULL); /* its own brute-force counter */
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    tap(OK(te_client_native_social_exchange(client, request, &tokens, &error)), "first use of an Apple code succeeds");
    te_token_set_free(tokens);
    error = exchange_error(client, request);
    tap(te_error_code(error) == TE_ERROR_OAUTH && te_error_is_invalid_grant(error) &&
            take_equals(te_error_oauth_code(error), "invalid_grant") && te_error_http_status(error) == 403,
        "a reused Apple code is invalid_grant (HTTP 403)");
    tap(te_error_request_may_have_reached_server(error) && !te_error_is_retryable(error) &&
            !te_error_is_network_error(error),
        "invalid_grant: reached the server, not retryable");
    char *description = te_error_oauth_description(error);
    tap(description != NULL && strlen(description) > 0, "the server's description is available");
    te_string_free(description);
    char *message = te_error_message(error);
    tap(message != NULL && strstr(message, "invalid_grant") != NULL && strstr(message, code) == NULL,
        "the message names the error and not the code");
    te_string_free(message);
    te_error_free(error);
    te_native_social_exchange_free(request);
    free(code);
}

static void invalid_input_before_io(te_client *client) {
    te_native_social_exchange *request = apple_request("Bearer abc");
    te_error *error = exchange_error(client, request);
    tap(te_error_code(error) == TE_ERROR_INVALID_INPUT && take_equals(te_error_field(error), "subject_token"),
        "a subject token with an authorization scheme is invalid input naming subject_token");
    tap(!te_error_request_may_have_reached_server(error) && te_error_http_status(error) == 0,
        "invalid input never reached the server");
    te_error_free(error);
    te_native_social_exchange_free(request);

    request = apple_request("code");
    te_native_social_exchange_set_resource(request, "https://api.example.com", NULL); /* and audience is set */
    error = exchange_error(client, request);
    tap(te_error_code(error) == TE_ERROR_INVALID_INPUT && take_equals(te_error_field(error), "resource"),
        "audience and resource together are invalid input");
    te_error_free(error);
    te_native_social_exchange_free(request);

    te_client_options *options = NULL;
    te_client *bad = NULL;
    error = NULL;
    te_client_options_new("http://tenant.example.com", "native-app", &options, &error);
    te_code rc = te_client_new(options, &bad, &error);
    tap(rc == TE_ERROR_INVALID_INPUT && bad == NULL && take_equals(te_error_field(error), "domain"),
        "plain http to a non-loopback domain is refused");
    te_error_free(error);
    error = NULL;
    te_client_options_free(options);
    options = NULL;
    te_client_options_new(emulator_url(), "native-app", &options, &error);
    te_client_options_set_timeout_ms(options, 0, &error);
    rc = te_client_new(options, &bad, &error);
    tap(rc == TE_ERROR_INVALID_INPUT && take_equals(te_error_field(error), "timeout"), "a zero timeout is refused");
    te_error_free(error);
    te_client_options_free(options);
}

static void unauthorized_client(void) {
    te_client *client = make_client("no-exchange-app", NULL);
    char *code = mint_apple_code(NULL);
    te_native_social_exchange *request = apple_request(code);
    te_error *error = exchange_error(client, request);
    tap(te_error_code(error) == TE_ERROR_OAUTH && te_error_is_unauthorized_client(error) &&
            te_error_http_status(error) == 403,
        "a client without the grant gets unauthorized_client");
    te_error_free(error);
    te_native_social_exchange_free(request);
    free(code);
    te_client_free(client);
}

static void mfa_required(te_client *client) {
    char *code = mint_apple_code("{\"sub\":\"apple|mfa-user\"}");
    te_native_social_exchange *request = apple_request(code);
    te_error *error = exchange_error(client, request);
    char *mfa_token = te_error_mfa_token(error);
    char *message = te_error_message(error);
    tap(te_error_is_mfa_required(error) && mfa_token != NULL && strlen(mfa_token) > 0,
        "mfa_required carries the mfa_token");
    tap(message != NULL && mfa_token != NULL && strstr(message, mfa_token) == NULL,
        "the message does not contain the mfa_token");
    te_string_free(mfa_token);
    te_string_free(message);
    te_error_free(error);
    te_native_social_exchange_free(request);
    free(code);
}

static void blocked_user(te_client *client) {
    char *code = mint_apple_code("{\"sub\":\"apple|blocked-user\"}");
    te_native_social_exchange *request = apple_request(code);
    te_error *error = exchange_error(client, request);
    tap(te_error_is_access_denied(error) && !te_error_is_retryable(error), "a blocked user gets access_denied");
    te_error_free(error);
    te_native_social_exchange_free(request);
    free(code);
}

static void canned_failures(te_client *client) {
    char *token = mint_facebook_token();
    te_native_social_exchange *request = NULL;
    te_native_social_exchange_facebook(token, &request, NULL);

    queue_token_response("{\"status\":502,\"content_type\":\"text/html\",\"body\":\"<html>Bad gateway</html>\"}");
    te_error *error = exchange_error(client, request);
    tap(te_error_code(error) == TE_ERROR_UNEXPECTED_RESPONSE && te_error_http_status(error) == 502 &&
            te_error_is_retryable(error),
        "an HTML page is an unexpected response (retryable 502)");
    char *message = te_error_message(error);
    tap(message != NULL && strstr(message, "HTML") != NULL, "the message says it was HTML");
    te_string_free(message);
    te_error_free(error);

    queue_token_response("{\"status\":429,\"content_type\":\"application/json\",\"headers\":{\"Retry-After\":\"12\"},"
                         "\"body\":\"{\\\"error\\\":\\\"too_many_requests\\\"}\"}");
    error = exchange_error(client, request);
    int64_t seconds = 0;
    tap(te_error_is_rate_limited(error) && te_error_is_retryable(error) &&
            te_error_retry_after_seconds(error, &seconds) && seconds == 12,
        "429 with Retry-After is rate limited, retry after 12 s");
    message = te_error_message(error);
    tap(message != NULL && strstr(message, "(retry after 12 s)") != NULL, "the 429's message says retry after 12 s");
    note("%s", message ? message : "(null)");
    te_string_free(message);
    te_error_free(error);

    /* 503s with Retry-After: the message says when to retry, whatever the body. */
    static const struct {
        const char *name;
        const char *canned;
        te_code code;
    } unavailable[] = {
        {"a 503 OAuth error's message says retry after 5 s",
         "{\"status\":503,\"content_type\":\"application/json\",\"headers\":{\"Retry-After\":\"5\"},"
         "\"body\":\"{\\\"error\\\":\\\"temporarily_unavailable\\\"}\"}",
         TE_ERROR_OAUTH},
        {"a 503 HTML page's message says retry after 5 s",
         "{\"status\":503,\"content_type\":\"text/html\",\"headers\":{\"Retry-After\":\"5\"},"
         "\"body\":\"<html>down</html>\"}",
         TE_ERROR_UNEXPECTED_RESPONSE},
    };
    for (size_t i = 0; i < sizeof unavailable / sizeof unavailable[0]; i++) {
        queue_token_response(unavailable[i].canned);
        error = exchange_error(client, request);
        message = te_error_message(error);
        tap(te_error_code(error) == unavailable[i].code && message != NULL &&
                strstr(message, "(retry after 5 s)") != NULL,
            unavailable[i].name);
        te_string_free(message);
        te_error_free(error);
    }

    queue_token_response("{\"status\":429,\"content_type\":\"application/json\","
                         "\"body\":\"{\\\"error\\\":\\\"too_many_attempts\\\"}\"}");
    error = exchange_error(client, request);
    tap(te_error_is_too_many_attempts(error) && !te_error_is_rate_limited(error) && !te_error_is_retryable(error),
        "too_many_attempts is not retryable");
    te_error_free(error);

    queue_token_response("{\"status\":200,\"content_type\":\"application/json\","
                         "\"body\":\"{\\\"access_token\\\":\\\"at\\\",\\\"token_type\\\":\\\"Bearer\\\"}\"}");
    error = exchange_error(client, request);
    tap(te_error_code(error) == TE_ERROR_TOKEN_NOT_BOUND, "a bearer token for a DPoP request is refused");
    te_error_free(error);

    te_native_social_exchange_free(request);
    free(token);
}

static void network_and_timeout(void) {
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    te_client_options *options = NULL;
    te_client *client = NULL;
    te_error *error = NULL;
    te_client_options_new(url, "native-app", &options, &error);
    te_client_new(options, &client, &error);
    te_client_options_free(options);
    te_native_social_exchange *request = apple_request("some-code");
    error = exchange_error(client, request);
    tap(te_error_code(error) == TE_ERROR_NETWORK && te_error_network_kind(error) == TE_NETWORK_CONNECT,
        "a closed port is a connect error");
    tap(!te_error_request_may_have_reached_server(error) && te_error_is_retryable(error) &&
            te_error_is_network_error(error),
        "a connect error did not reach the server and is retryable");
    te_error_free(error);
    te_native_social_exchange_free(request);
    te_client_free(client);

    options = NULL;
    client = NULL;
    te_client_options_new(emulator_url(), "native-app", &options, NULL);
    te_client_options_set_timeout_ms(options, 300, NULL);
    te_client_new(options, &client, NULL);
    te_client_options_free(options);
    /* The answer comes a minute later: no load can make it beat the 300 ms timeout. */
    char *code = mint_apple_code("{\"delay_ms\":60000}");
    request = apple_request(code);
    error = exchange_error(client, request);
    tap(te_error_code(error) == TE_ERROR_TIMEOUT && te_error_request_may_have_reached_server(error),
        "a slow server times out; the code may have been used");
    te_error_free(error);
    te_native_social_exchange_free(request);
    free(code);
    te_client_free(client);
}

/* A signer with a valid-looking public key (RFC 9449's example key) that refuses to sign. */
static const uint8_t EXAMPLE_POINT[65] = {
    0x04, 0x97, 0xcb, 0x45, 0xae, 0x1c, 0x7e, 0xdf, 0x8b, 0x55, 0xde, 0x14, 0x48, 0x09, 0x10, 0xd8, 0xf7,
    0x30, 0xa4, 0x0e, 0x5a, 0x41, 0x84, 0x5e, 0x36, 0x51, 0x05, 0x1f, 0x59, 0x50, 0x16, 0x04, 0x5b, 0xf5,
    0x51, 0x38, 0x8d, 0xff, 0xce, 0x93, 0xfa, 0x3a, 0xe3, 0x36, 0xd3, 0x4e, 0x57, 0x2e, 0x34, 0x96, 0xa3,
    0x1e, 0x6b, 0x7a, 0xbf, 0xd4, 0xc3, 0x56, 0xb5, 0x34, 0x09, 0xdb, 0xc6, 0x44, 0x30};
static int released = 0;
static int32_t example_public_key(void *context, uint8_t *out, size_t capacity, size_t *out_len) {
    (void)context;
    if (capacity < sizeof EXAMPLE_POINT) {
        return 1;
    }
    memcpy(out, EXAMPLE_POINT, sizeof EXAMPLE_POINT);
    *out_len = sizeof EXAMPLE_POINT;
    return 0;
}
static int32_t refuse_to_sign(void *context, const uint8_t *message, size_t message_len, uint8_t *out,
                              size_t capacity, size_t *out_len) {
    (void)context, (void)message, (void)message_len, (void)out, (void)capacity, (void)out_len;
    return 42;
}
static int32_t broken_public_key(void *context, uint8_t *out, size_t capacity, size_t *out_len) {
    (void)context, (void)capacity;
    out[0] = 0x02; /* compressed: unsupported */
    *out_len = 33;
    return 0;
}
static void count_release(void *context) {
    (*(int *)context)++;
}

static void signer_errors(void) {
    te_signer signer = {&released, example_public_key, refuse_to_sign, count_release};
    te_dpop_key *key = NULL;
    te_error *error = NULL;
    tap(OK(te_dpop_key_from_signer(&signer, &key, &error)) &&
            take_equals(te_dpop_key_thumbprint(key), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
        "a callback signer's thumbprint is its public key's (RFC 9449 example)");
    uint8_t *der = NULL;
    size_t der_len = 0;
    te_code rc = te_dpop_key_to_pkcs8(key, &der, &der_len, &error);
    tap(rc == TE_ERROR_INVALID_INPUT && der == NULL && der_len == 0, "a callback key cannot be exported");
    te_error_free(error);
    error = NULL;
    te_client *client = make_client("native-app", key);
    te_dpop_key_free(key);
    te_native_social_exchange *request = apple_request("unused-code");
    error = exchange_error(client, request);
    char *message = te_error_message(error);
    tap(te_error_code(error) == TE_ERROR_SIGNER && !te_error_request_may_have_reached_server(error) &&
            message != NULL && strstr(message, "42") != NULL,
        "a failing sign callback is a signer error before any I/O");
    te_string_free(message);
    te_error_free(error);
    te_native_social_exchange_free(request);
    tap(released == 0, "the signer is not released while a client uses it");
    te_client_free(client);
    tap(released == 1, "the signer is released once when the last user is freed");

    te_signer broken = {&released, broken_public_key, refuse_to_sign, count_release};
    error = NULL;
    rc = te_dpop_key_from_signer(&broken, &key, &error);
    tap(rc == TE_ERROR_SIGNER && key == NULL && released == 2,
        "an unusable public key is a signer error, and the context is released");
    te_error_free(error);
}

int main(void) {
    te_dpop_key *key = NULL;
    te_dpop_key_generate(&key, NULL);
    te_client *client = make_client("native-app", key);
    reused_apple_code(client);
    invalid_input_before_io(client);
    unauthorized_client();
    mfa_required(client);
    blocked_user(client);
    canned_failures(client);
    network_and_timeout();
    signer_errors();
    te_client_free(client);
    te_dpop_key_free(key);
    return tap_done();
}
