/*
 * Misuse of the C API: NULL pointers, invalid UTF-8, bad values. Every call must fail
 * cleanly with TE_ERROR_INVALID_INPUT naming the parameter (or return NULL/0/false for
 * getters), never crash, and leave out-parameters NULL.
 */
#include "harness.h"

static const char BAD_UTF8[] = {'a', (char)0xff, (char)0xfe, 'b', 0};

static void null_pointers(void) {
    te_error *error = NULL;
    te_client_options *options = (te_client_options *)0x1; /* must be reset to NULL */
    tap(invalid(te_client_options_new(NULL, "native-app", &options, &error), &error, "domain") && options == NULL,
        "NULL domain; options_out reset to NULL");
    error = NULL;
    tap(invalid(te_client_options_new("x.example.com", NULL, &options, &error), &error, "client_id"), "NULL client_id");
    error = NULL;
    tap(invalid(te_client_options_new("x.example.com", "id", NULL, &error), &error, "options_out"), "NULL out-parameter");
    tap(te_client_options_new(NULL, NULL, &options, NULL) == TE_ERROR_INVALID_INPUT,
        "a NULL error out-parameter is allowed");
    error = NULL;
    tap(invalid(te_client_options_set_timeout_ms(NULL, 5, &error), &error, "options"), "NULL options");
    error = NULL;
    te_client *client = NULL;
    tap(invalid(te_client_new(NULL, &client, &error), &error, "options") && client == NULL, "NULL options to te_client_new");

    te_native_social_exchange *request = NULL;
    error = NULL;
    tap(invalid(te_native_social_exchange_apple(NULL, &request, &error), &error, "authorization_code") && request == NULL,
        "NULL Apple code");
    error = NULL;
    tap(invalid(te_native_social_exchange_new(NULL, "urn:x", &request, &error), &error, "subject_token"), "NULL custom token");
    error = NULL;
    tap(invalid(te_native_social_exchange_set_audience(NULL, "a", &error), &error, "request"), "NULL request to a setter");

    te_token_set *tokens = NULL;
    error = NULL;
    tap(invalid(te_client_native_social_exchange(NULL, NULL, &tokens, &error), &error, "client") && tokens == NULL,
        "NULL client to te_client_native_social_exchange");
    error = NULL;
    tap(invalid(te_client_native_social_exchange(NULL, NULL, NULL, &error), &error, "tokens_out"), "NULL tokens_out");
    char *json = NULL;
    error = NULL;
    tap(invalid(te_client_userinfo(NULL, NULL, &json, &error), &error, "client") && json == NULL, "NULL client to userinfo");
    char *authorization = NULL, *dpop = NULL;
    error = NULL;
    tap(invalid(te_client_authorization_headers(NULL, "GET", "https://a.example", NULL, &authorization, &dpop, &error),
                &error, "client"),
        "NULL client to authorization_headers");
    te_dpop_key *key = NULL;
    error = NULL;
    tap(invalid(te_dpop_key_from_pkcs8(NULL, 10, &key, &error), &error, "der") && key == NULL, "NULL PKCS#8 bytes");
    error = NULL;
    tap(invalid(te_dpop_key_from_signer(NULL, &key, &error), &error, "signer"), "NULL signer");
    te_signer no_callbacks = {NULL, NULL, NULL, NULL};
    error = NULL;
    tap(invalid(te_dpop_key_from_signer(&no_callbacks, &key, &error), &error, "signer"), "a signer without callbacks");
    error = NULL;
    tap(invalid(te_token_set_new(NULL, "DPoP", &tokens, &error), &error, "access_token"), "NULL access token");
    te_request *api = NULL;
    error = NULL;
    tap(invalid(te_request_new("GET", NULL, &api, &error), &error, "url") && api == NULL, "NULL url");
    error = NULL;
    tap(invalid(te_request_set_body(NULL, NULL, 0, &error), &error, "request"), "NULL request to set_body");

    /* Getters and predicates: NULL in, NULL/0/false out. */
    int64_t at = 7;
    size_t len = 9;
    tap(te_token_set_access_token(NULL) == NULL && te_token_set_dpop_jkt(NULL) == NULL &&
            !te_token_set_is_dpop_bound(NULL) && !te_token_set_expires_at(NULL, &at) && at == 7,
        "token set getters accept NULL");
    tap(te_error_code(NULL) == TE_OK && te_error_message(NULL) == NULL && te_error_field(NULL) == NULL &&
            te_error_http_status(NULL) == 0 && !te_error_is_retryable(NULL) && !te_error_is_mfa_required(NULL) &&
            te_error_network_kind(NULL) == TE_NETWORK_NONE && !te_error_retry_after_seconds(NULL, &at),
        "error accessors accept NULL");
    tap(te_response_status(NULL) == 0 && te_response_body(NULL, &len) == NULL && len == 0 &&
            te_response_header(NULL, "a") == NULL && te_dpop_key_thumbprint(NULL) == NULL &&
            te_client_dpop_thumbprint(NULL) == NULL,
        "other getters accept NULL");

    /* Every free function accepts NULL. */
    te_string_free(NULL);
    te_bytes_free(NULL, 3);
    te_error_free(NULL);
    te_client_options_free(NULL);
    te_client_free(NULL);
    te_native_social_exchange_free(NULL);
    te_token_set_free(NULL);
    te_dpop_key_free(NULL);
    te_request_free(NULL);
    te_response_free(NULL);
    tap(1, "every free function accepts NULL");
}

static void invalid_utf8(void) {
    te_error *error = NULL;
    te_client_options *options = NULL;
    tap(invalid(te_client_options_new(BAD_UTF8, "native-app", &options, &error), &error, "domain"),
        "invalid UTF-8 domain");
    te_native_social_exchange *request = NULL;
    error = NULL;
    tap(invalid(te_native_social_exchange_apple(BAD_UTF8, &request, &error), &error, "authorization_code") && request == NULL,
        "invalid UTF-8 Apple code");
    te_native_social_exchange_apple("code", &request, NULL);
    error = NULL;
    tap(invalid(te_native_social_exchange_set_scope(request, BAD_UTF8, &error), &error, "scope"), "invalid UTF-8 scope");
    error = NULL;
    tap(invalid(te_native_social_exchange_set_user_name(request, "Ok", BAD_UTF8, &error), &error, "last_name"),
        "invalid UTF-8 last name");
    te_native_social_exchange_free(request);
}

static void bad_values(void) {
    te_error *error = NULL;
    te_native_social_exchange *request = NULL;
    te_native_social_exchange_apple("code", &request, NULL);
    tap(invalid(te_native_social_exchange_set_forwarded_for(request, "not-an-ip", &error), &error, "forwarded_for"),
        "forwarded_for must be an IP address");
    error = NULL;
    tap(invalid(te_native_social_exchange_set_user_profile_json(request, "[1,2]", &error), &error, "user_profile"),
        "user_profile must be a JSON object");
    error = NULL;
    tap(invalid(te_native_social_exchange_set_user_profile_json(request, "{oops", &error), &error, "user_profile"),
        "user_profile must be valid JSON");
    te_native_social_exchange_free(request);

    te_dpop_key *key = NULL;
    const uint8_t garbage[] = {1, 2, 3};
    error = NULL;
    tap(invalid(te_dpop_key_from_pkcs8(garbage, sizeof garbage, &key, &error), &error, "pkcs8") && key == NULL,
        "garbage PKCS#8 is refused");

    te_client_options *options = NULL;
    te_client *client = NULL;
    te_client_options_new(emulator_url(), "client id with spaces", &options, NULL);
    error = NULL;
    tap(invalid(te_client_new(options, &client, &error), &error, "client_id") && client == NULL,
        "a client id with spaces is refused");
    te_client_options_free(options);

    options = NULL;
    te_client_options_new(emulator_url(), "native-app", &options, NULL);
    te_client_options_set_user_agent(options, "bad\nagent", NULL);
    error = NULL;
    tap(invalid(te_client_new(options, &client, &error), &error, "user_agent"), "a user agent with a newline is refused");
    te_client_options_free(options);

    client = make_client("native-app", NULL);
    te_token_set *tokens = NULL;
    te_token_set_new("at", "Bearer", &tokens, NULL);
    char *authorization = NULL, *dpop = NULL;
    error = NULL;
    tap(invalid(te_client_authorization_headers(client, "get", "https://api.example.com/x", tokens, &authorization,
                                                &dpop, &error),
                &error, "method") &&
            authorization == NULL,
        "a lower-case method is refused");
    error = NULL;
    tap(invalid(te_client_authorization_headers(client, "GET", "ftp://api.example.com/x", tokens, &authorization,
                                                &dpop, &error),
                &error, "url"),
        "a non-http URL is refused");
    error = NULL;
    tap(OK(te_client_authorization_headers(client, "GET", "https://api.example.com/x", tokens, &authorization, &dpop,
                                           &error)) &&
            take_equals(authorization, "Bearer at") && dpop == NULL,
        "a bearer token gets a Bearer header and no proof");

    /* A token stored with a trailing newline: invalid input, never sent nor handed out. */
    te_token_set *newline = NULL;
    te_token_set_new("at\n", "Bearer", &newline, NULL);
    error = NULL;
    tap(invalid(te_client_authorization_headers(client, "GET", "https://api.example.com/x", newline, &authorization,
                                                &dpop, &error),
                &error, "access_token") &&
            authorization == NULL,
        "authorization headers are never made of a token with a newline");
    char userinfo_url[256];
    snprintf(userinfo_url, sizeof userinfo_url, "%s/userinfo", emulator_url());
    te_request *resource_request = NULL;
    te_response *response = NULL;
    te_request_new("GET", userinfo_url, &resource_request, NULL);
    error = NULL;
    tap(invalid(te_client_send_authorized(client, resource_request, newline, &response, &error), &error, "access_token") &&
            response == NULL,
        "a token with a newline is invalid input for send_authorized, not a network error");
    error = NULL;
    tap(OK(te_request_add_header(resource_request, "Authorization", "Basic eDp5", &error)) &&
            invalid(te_client_send_authorized(client, resource_request, tokens, &response, &error), &error, "headers"),
        "a caller's Authorization header is refused before sending");
    te_request_free(resource_request);
    te_token_set_free(newline);

    te_token_set *bound = NULL;
    te_token_set_new("at", "DPoP", &bound, NULL);
    error = NULL;
    te_code rc = te_client_authorization_headers(client, "GET", "https://api.example.com/x", bound, &authorization,
                                                 &dpop, &error);
    tap(rc == TE_ERROR_DPOP_KEY_MISSING && authorization == NULL, "a bound token without a key: DPOP_KEY_MISSING");
    te_error_free(error);

    te_dpop_key *mine = NULL;
    te_dpop_key_generate(&mine, NULL);
    te_client *with_key = make_client("native-app", mine);
    te_token_set_set_dpop_jkt(bound, "someone-elses-thumbprint", NULL);
    error = NULL;
    rc = te_client_authorization_headers(with_key, "GET", "https://api.example.com/x", bound, &authorization, &dpop,
                                         &error);
    tap(rc == TE_ERROR_DPOP_KEY_MISMATCH, "a token bound to another key: DPOP_KEY_MISMATCH");
    te_error_free(error);

    te_client_free(with_key);
    te_dpop_key_free(mine);
    te_token_set_free(bound);
    te_token_set_free(tokens);
    te_client_free(client);
}

int main(void) {
    null_pointers();
    invalid_utf8();
    bad_values();
    return tap_done();
}
