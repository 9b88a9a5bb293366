/*
 * Successful exchanges through the C API against the emulator: bearer and DPoP-bound (through
 * the nonce challenge), Facebook, userinfo, the app's own API calls, key export/import.
 */
#include "harness.h"

static void bearer_exchange(void) {
    te_client *client = make_client("native-app", NULL);
    char *code = mint_apple_code("{\"sub\":\"apple|c-bearer\",\"email\":\"c@example.com\"}");
    te_native_social_exchange *request = apple_request(code);
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    tap(OK(te_client_native_social_exchange(client, request, &tokens, &error)), "apple exchange without DPoP succeeds");
    tap(!te_token_set_is_dpop_bound(tokens) && take_equals(te_token_set_token_type(tokens), "Bearer"),
        "without a key the token is a bearer token");
    char *jkt = te_token_set_dpop_jkt(tokens);
    tap(jkt == NULL, "a bearer token set has no dpop_jkt");
    char *refresh = te_token_set_refresh_token(tokens);
    char *id_token = te_token_set_id_token(tokens);
    tap(refresh != NULL && id_token != NULL && strlen(refresh) > 0, "refresh and ID tokens are returned");
    te_string_free(refresh);
    te_string_free(id_token);
    int64_t expires_at = 0;
    tap(te_token_set_expires_at(tokens, &expires_at) && expires_at > 1700000000, "expires_at is a unix time");
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    free(code);
    te_client_free(client);
}

static void dpop_exchange_and_api_calls(void) {
    te_dpop_key *key = NULL;
    te_error *error = NULL;
    tap(OK(te_dpop_key_generate(&key, &error)) && te_dpop_key_is_software(key), "a software key is generated");
    te_client *client = make_client("native-app", key);
    char *thumbprint = te_dpop_key_thumbprint(key);
    tap(take_equals(te_client_dpop_thumbprint(client), thumbprint), "the client reports its key's thumbprint");

    char *code = mint_apple_code("{\"sub\":\"apple|c-dpop\"}");
    te_native_social_exchange *request = apple_request(code);
    tap(OK(te_native_social_exchange_set_user_name(request, "Grace", "Hopper", &error)) &&
            OK(te_native_social_exchange_set_user_profile_json(request, "{\"locale\":\"en\"}", &error)) &&
            OK(te_native_social_exchange_set_scope(request, "openid profile email offline_access read:messages", &error)),
        "request options are accepted");
    te_token_set *tokens = NULL;
    tap(OK(te_client_native_social_exchange(client, request, &tokens, &error)),
        "DPoP exchange succeeds through the use_dpop_nonce challenge");
    tap(te_token_set_is_dpop_bound(tokens) && take_equals(te_token_set_token_type(tokens), "DPoP"),
        "the token is DPoP-bound");
    tap(take_equals(te_token_set_dpop_jkt(tokens), thumbprint), "the token is bound to the client's key");
    tap(take_equals(te_token_set_scope(tokens), "openid profile email offline_access read:messages"),
        "the granted scope is reported");

    char *claims = NULL;
    tap(OK(te_client_userinfo(client, tokens, &claims, &error)) && claims != NULL && strstr(claims, "\"sub\":\"apple|c-dpop\"") != NULL &&
            strstr(claims, "\"given_name\":\"Grace\"") != NULL,
        "userinfo (its own nonce challenge) returns the user with the profile sent");
    te_string_free(claims);

    char userinfo_url[256];
    snprintf(userinfo_url, sizeof userinfo_url, "%s/userinfo", emulator_url());
    char *authorization = NULL, *dpop = NULL;
    tap(OK(te_client_authorization_headers(client, "GET", userinfo_url, tokens, &authorization, &dpop, &error)) &&
            authorization != NULL && strncmp(authorization, "DPoP ", 5) == 0 && dpop != NULL &&
            strchr(dpop, '.') != NULL,
        "authorization headers carry the DPoP scheme and a proof");
    te_string_free(authorization);
    te_string_free(dpop);

    te_request *api_request = NULL;
    te_response *response = NULL;
    int sent = OK(te_request_new("GET", userinfo_url, &api_request, &error)) &&
               OK(te_request_add_header(api_request, "Accept", "application/json", &error)) &&
               OK(te_client_send_authorized(client, api_request, tokens, &response, &error));
    size_t body_len = 0;
    const uint8_t *body = te_response_body(response, &body_len);
    tap(sent && te_response_status(response) == 200 && body != NULL && body_len > 10 &&
            memmem(body, body_len, "apple|c-dpop", 12) != NULL,
        "send_authorized calls an API with the bound token");
    char *content_type = te_response_header(response, "Content-Type");
    tap(content_type != NULL && strstr(content_type, "json") != NULL, "response headers are readable");
    te_string_free(content_type);
    te_response_free(response);
    te_request_free(api_request);

    /* Persist the key, "restart", and present the stored token with the restored key. */
    uint8_t *der = NULL;
    size_t der_len = 0;
    te_dpop_key *restored = NULL;
    int round_trip = OK(te_dpop_key_to_pkcs8(key, &der, &der_len, &error)) && der_len > 100 &&
                     OK(te_dpop_key_from_pkcs8(der, der_len, &restored, &error));
    te_bytes_free(der, der_len);
    tap(round_trip && take_equals(te_dpop_key_thumbprint(restored), thumbprint),
        "a key exported as PKCS#8 imports with the same thumbprint");
    te_client *restarted = make_client("native-app", restored);
    char *access_token = te_token_set_access_token(tokens);
    te_token_set *stored = NULL;
    int rebuilt = OK(te_token_set_new(access_token, "DPoP", &stored, &error)) &&
                  OK(te_token_set_set_dpop_jkt(stored, thumbprint, &error));
    te_string_free(access_token);
    claims = NULL;
    tap(rebuilt && OK(te_client_userinfo(restarted, stored, &claims, &error)) && claims != NULL,
        "a token set rebuilt from storage works with the restored key");
    te_string_free(claims);

    te_token_set_free(stored);
    te_client_free(restarted);
    te_dpop_key_free(restored);
    te_string_free(thumbprint);
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    free(code);
    te_client_free(client);
    te_dpop_key_free(key);
}

static void facebook_exchange(void) {
    te_dpop_key *key = NULL;
    te_error *error = NULL;
    te_dpop_key_generate(&key, NULL);
    te_client *client = make_client("native-app", key);
    char *token = mint_facebook_token();
    te_native_social_exchange *request = NULL;
    te_token_set *tokens = NULL;
    tap(OK(te_native_social_exchange_facebook(token, &request, &error)) &&
            OK(te_native_social_exchange_set_resource(request, "https://api.example.com", &error)) &&
            OK(te_native_social_exchange_set_forwarded_for(request, "203.0.113.9", &error)) &&
            OK(te_client_native_social_exchange(client, request, &tokens, &error)) && te_token_set_is_dpop_bound(tokens),
        "facebook exchange with resource and forwarded_for");
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    free(token);
    te_client_free(client);
    te_dpop_key_free(key);
}

static void exchange_without_scope(void) {
    te_client *client = make_client("native-app", NULL);
    char *code = mint_apple_code("{\"sub\":\"apple|c-every-scope\"}");
    te_native_social_exchange *request = apple_request(code);
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    tap(OK(te_native_social_exchange_set_scope(request, "email", &error)) && OK(te_native_social_exchange_set_omit_scope(request, true, &error)) &&
            OK(te_client_native_social_exchange(client, request, &tokens, &error)),
        "an exchange that leaves out scope succeeds");
    char *scope = te_token_set_scope(tokens);
    tap(scope != NULL && strstr(scope, "read:messages") != NULL && strstr(scope, "write:messages") != NULL,
        "without scope, every scope of the audience is granted");
    te_string_free(scope);
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    free(code);
    te_client_free(client);
}

int main(void) {
    note("token-exchange %s against %s", te_version(), emulator_url());
    bearer_exchange();
    exchange_without_scope();
    dpop_exchange_and_api_calls();
    facebook_exchange();
    return tap_done();
}
