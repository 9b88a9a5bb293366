/*
 * After the exchange, through the C API against the emulator: refresh with rotation (sample
 * client rotating-app, DPoP-bound), revoke then refresh fails with invalid_grant, a DPoP key
 * mismatch or a missing key refused before any I/O, the validated ID token's claims (and
 * userinfo's), a signing-key rotation, an issuer that is not the configured server refused,
 * the validation switch, and bad input.
 */
#include "harness.h"

#define ROTATING "rotating-app"

/* Signs `sub` in on `client` with an Apple code; the token set, or NULL. */
static te_token_set *sign_in(te_client *client, const char *sub) {
    char body[256];
    snprintf(body, sizeof body, "{\"sub\":\"%s\",\"email\":\"%s@example.com\"}", sub, "c-refresh");
    char *code = mint_apple_code(body);
    te_native_social_exchange *request = apple_request(code);
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    if (!OK(te_client_native_social_exchange(client, request, &tokens, &error))) {
        tokens = NULL;
    }
    te_native_social_exchange_free(request);
    free(code);
    return tokens;
}

/* A client of rotating-app with a new DPoP key of its own (the client keeps a reference). */
static te_client *rotating_client(void) {
    te_dpop_key *key = NULL;
    te_error *error = NULL;
    te_client *client = OK(te_dpop_key_generate(&key, &error)) ? make_client(ROTATING, key) : NULL;
    te_dpop_key_free(key);
    return client;
}

/* Whether the set's validated ID token claims have `sub`. */
static int claims_sub_is(const te_token_set *tokens, const char *sub) {
    te_user_claims *claims = te_token_set_id_token_claims(tokens);
    int ok = claims != NULL && take_equals(te_user_claims_sub(claims), sub);
    te_user_claims_free(claims);
    return ok;
}

/* Whether two library strings differ (both non-NULL); frees both. */
static int take_differ(char *a, char *b) {
    int differ = a != NULL && b != NULL && strcmp(a, b) != 0;
    te_string_free(a);
    te_string_free(b);
    return differ;
}

static void refresh_rotates_and_keeps_the_user(void) {
    te_dpop_key *key = NULL;
    te_error *error = NULL;
    tap(OK(te_dpop_key_generate(&key, &error)), "a DPoP key is generated");
    te_client *client = make_client(ROTATING, key);
    te_token_set *tokens = sign_in(client, "apple|c-refresh");
    tap(tokens != NULL && te_token_set_is_dpop_bound(tokens), "sign-in on rotating-app gives DPoP-bound tokens");
    tap(claims_sub_is(tokens, "apple|c-refresh"), "the exchange's ID token was validated: its claims carry sub");

    te_user_claims *claims = te_token_set_id_token_claims(tokens);
    char *other = te_user_claims_other_json(claims);
    char issuer[256];
    snprintf(issuer, sizeof issuer, "\"iss\":\"%s/\"", emulator_url());
    tap(take_equals(te_user_claims_email(claims), "c-refresh@example.com") && other != NULL &&
            strstr(other, issuer) != NULL && strstr(other, "\"sub\"") == NULL,
        "typed claims: email, and the other claims (iss among them) as JSON");
    bool verified = false;
    int64_t updated_at = 0;
    tap(te_user_claims_email_verified(claims, &verified) == (te_user_claims_email_verified(claims, NULL)) &&
            (te_user_claims_updated_at(claims, &updated_at) ? updated_at > 0 : updated_at == 0),
        "email_verified and updated_at getters answer consistently");
    te_string_free(other);
    te_user_claims_free(claims);

    te_user_claims *userinfo = NULL;
    tap(OK(te_client_userinfo_claims(client, tokens, &userinfo, &error)) &&
            take_equals(te_user_claims_sub(userinfo), "apple|c-refresh"),
        "userinfo claims, typed, are about the same user");
    te_user_claims_free(userinfo);

    te_token_set *renewed = NULL;
    tap(OK(te_client_refresh(client, tokens, NULL, &renewed, &error)), "refresh succeeds (DPoP proof, nonce retry)");
    tap(take_differ(te_token_set_refresh_token(tokens), te_token_set_refresh_token(renewed)),
        "rotation: the renewed set holds the next refresh token");
    tap(take_differ(te_token_set_access_token(tokens), te_token_set_access_token(renewed)) &&
            te_token_set_is_dpop_bound(renewed) && claims_sub_is(renewed, "apple|c-refresh"),
        "a new DPoP-bound access token, and the ID token's claims for the same user");

    te_token_set *narrower = NULL;
    tap(OK(te_client_refresh(client, renewed, "openid offline_access", &narrower, &error)) &&
            take_equals(te_token_set_scope(narrower), "openid offline_access"),
        "refresh for a narrower scope");

    te_token_set *reused = NULL;
    te_code rc = te_client_refresh(client, tokens, NULL, &reused, &error);
    tap(rc == TE_ERROR_OAUTH && reused == NULL && te_error_is_invalid_grant(error),
        "reusing a rotated refresh token is invalid_grant");
    te_error_free(error);
    error = NULL;
    rc = te_client_refresh(client, narrower, NULL, &reused, &error);
    tap(rc == TE_ERROR_OAUTH && te_error_is_invalid_grant(error), "reuse detection revoked the whole family");
    te_error_free(error);
    error = NULL;

    te_token_set_free(narrower);
    te_token_set_free(renewed);
    te_token_set_free(tokens);
    te_client_free(client);
    te_dpop_key_free(key);
}

static void revoke_then_refresh_fails(void) {
    te_error *error = NULL;
    te_client *client = rotating_client();
    te_token_set *tokens = sign_in(client, "apple|c-revoke");
    char *refresh_token = te_token_set_refresh_token(tokens);
    tap(refresh_token != NULL && OK(te_client_revoke(client, refresh_token, &error)), "revoke succeeds");
    te_token_set *renewed = NULL;
    te_code rc = te_client_refresh(client, tokens, NULL, &renewed, &error);
    tap(rc == TE_ERROR_OAUTH && renewed == NULL && te_error_is_invalid_grant(error),
        "refresh after revoke fails with invalid_grant");
    te_error_free(error);
    error = NULL;
    tap(OK(te_client_revoke(client, refresh_token, &error)) && OK(te_client_revoke(client, "never-issued", &error)),
        "revoking again, or a token the server does not know, succeeds (RFC 7009)");
    te_string_free(refresh_token);
    te_token_set_free(tokens);
    te_client_free(client);
}

static void a_token_set_rebuilt_from_storage_renews(void) {
    te_error *error = NULL;
    te_client *client = rotating_client();
    te_token_set *signed_in = sign_in(client, "apple|c-rebuilt");
    char *access_token = te_token_set_access_token(signed_in);
    char *refresh_token = te_token_set_refresh_token(signed_in);
    char *jkt = te_token_set_dpop_jkt(signed_in);
    te_token_set_free(signed_in);

    te_token_set *stored = NULL;
    te_token_set *renewed = NULL;
    tap(OK(te_token_set_new(access_token, "DPoP", &stored, &error)) &&
            OK(te_token_set_set_dpop_jkt(stored, jkt, &error)) &&
            OK(te_token_set_set_refresh_token(stored, refresh_token, &error)) &&
            te_token_set_id_token_claims(stored) == NULL,
        "a token set is rebuilt from stored values (no validated claims)");
    tap(OK(te_client_refresh(client, stored, NULL, &renewed, &error)) && claims_sub_is(renewed, "apple|c-rebuilt"),
        "it renews, and the new ID token is validated");
    tap(OK(te_token_set_set_refresh_token(stored, NULL, &error)), "the refresh token can be cleared");
    te_token_set *none = NULL;
    tap(invalid(te_client_refresh(client, stored, NULL, &none, &error), &error, "refresh_token") && none == NULL,
        "refresh without a refresh token is invalid input naming refresh_token");

    te_token_set_free(renewed);
    te_token_set_free(stored);
    te_string_free(access_token);
    te_string_free(refresh_token);
    te_string_free(jkt);
    te_client_free(client);
}

static void another_key_or_none_is_refused_before_sending(void) {
    te_dpop_key *key = NULL;
    te_dpop_key *other_key = NULL;
    te_error *error = NULL;
    OK(te_dpop_key_generate(&key, &error));
    OK(te_dpop_key_generate(&other_key, &error));
    te_client *client = make_client(ROTATING, key);
    te_client *other = make_client(ROTATING, other_key);
    te_client *keyless = make_client(ROTATING, NULL);
    te_token_set *tokens = sign_in(client, "apple|c-mismatch");

    te_token_set *renewed = NULL;
    te_code rc = te_client_refresh(other, tokens, NULL, &renewed, &error);
    tap(rc == TE_ERROR_DPOP_KEY_MISMATCH && te_error_is_sign_in_required(error) &&
            !te_error_request_may_have_reached_server(error) && renewed == NULL,
        "another key: DPOP_KEY_MISMATCH, sign in again, nothing sent");
    te_error_free(error);
    error = NULL;
    rc = te_client_refresh(keyless, tokens, NULL, &renewed, &error);
    tap(rc == TE_ERROR_DPOP_KEY_MISSING && te_error_is_sign_in_required(error), "no key: DPOP_KEY_MISSING");
    te_error_free(error);
    error = NULL;
    /* Had either request been sent, rotation would have spent (or the refusal revoked) it. */
    tap(OK(te_client_refresh(client, tokens, NULL, &renewed, &error)), "the refresh token is still good with its key");

    te_token_set_free(renewed);
    te_token_set_free(tokens);
    te_client_free(keyless);
    te_client_free(other);
    te_client_free(client);
    te_dpop_key_free(other_key);
    te_dpop_key_free(key);
}

static void a_rotated_signing_key_is_fetched(void) {
    te_client *client = make_client("native-app", NULL);
    te_token_set *before = sign_in(client, "apple|c-rotation");
    char *response = emulator_post("/emulator/rotate-signing-key", "{\"keep_previous\":true}");
    tap(response != NULL && strstr(response, "\"kid\"") != NULL, "the emulator rotates its signing key");
    free(response);
    te_token_set *renewed = NULL;
    te_error *error = NULL;
    tap(before != NULL && OK(te_client_refresh(client, before, NULL, &renewed, &error)) &&
            claims_sub_is(renewed, "apple|c-rotation"),
        "an ID token signed by the new key validates after the key set is fetched again");
    te_token_set_free(renewed);
    te_token_set_free(before);
    te_client_free(client);
}

/* A client for the emulator named by another host: `http://localhost:PORT`. Same server, but
 * not the issuer its tokens name, as for a token minted elsewhere. */
static te_client *client_at_localhost(int validate) {
    const char *url = emulator_url();
    const char *port = strrchr(url, ':');
    char other[128];
    snprintf(other, sizeof other, "http://localhost%s", port ? port : "");
    te_client_options *options = NULL;
    te_client *client = NULL;
    te_error *error = NULL;
    if (!OK(te_client_options_new(other, "native-app", &options, &error)) ||
        (!validate && !OK(te_client_options_set_id_token_validation(options, false, &error))) ||
        !OK(te_client_options_set_id_token_leeway_seconds(options, 30, &error)) ||
        !OK(te_client_new(options, &client, &error))) {
        client = NULL;
    }
    te_client_options_free(options);
    return client;
}

static void another_issuer_is_refused(void) {
    te_client *client = client_at_localhost(1);
    char *code = mint_apple_code("{\"sub\":\"apple|c-issuer\"}");
    te_native_social_exchange *request = apple_request(code);
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    te_code rc = te_client_native_social_exchange(client, request, &tokens, &error);
    char *message = te_error_message(error);
    tap(client != NULL && rc == TE_ERROR_ID_TOKEN_INVALID && tokens == NULL && message != NULL &&
            strstr(message, "iss") != NULL && !te_error_is_retryable(error),
        "an ID token whose issuer is not the configured server is refused, naming the check");
    te_string_free(message);
    te_error_free(error);
    error = NULL;
    te_native_social_exchange_free(request);
    free(code);
    te_client_free(client);

    client = client_at_localhost(0);
    code = mint_apple_code("{\"sub\":\"apple|c-no-validation\"}");
    request = apple_request(code);
    tap(client != NULL && OK(te_client_native_social_exchange(client, request, &tokens, &error)) &&
            te_token_set_id_token_claims(tokens) == NULL,
        "with validation off the exchange succeeds and there are no validated claims");
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    free(code);
    te_client_free(client);
}

static void bad_input_is_refused(void) {
    te_client *client = make_client("native-app", NULL);
    te_token_set *tokens = sign_in(client, "apple|c-bad-input");
    te_token_set *out = NULL;
    te_user_claims *claims = NULL;
    te_error *error = NULL;
    tap(invalid(te_client_refresh(client, tokens, NULL, NULL, &error), &error, "tokens_out"), "refresh: NULL tokens_out");
    tap(invalid(te_client_refresh(NULL, tokens, NULL, &out, &error), &error, "client"), "refresh: NULL client");
    tap(invalid(te_client_refresh(client, NULL, NULL, &out, &error), &error, "tokens"), "refresh: NULL tokens");
    tap(invalid(te_client_refresh(client, tokens, "  ", &out, &error), &error, "scope") && out == NULL,
        "refresh: an empty scope");
    tap(invalid(te_client_refresh(client, tokens, "bad\"scope", &out, &error), &error, "scope"),
        "refresh: a scope with a forbidden character");
    tap(invalid(te_client_revoke(client, NULL, &error), &error, "refresh_token"), "revoke: NULL token");
    tap(invalid(te_client_revoke(NULL, "x", &error), &error, "client"), "revoke: NULL client");
    tap(invalid(te_client_userinfo_claims(client, tokens, NULL, &error), &error, "claims_out"),
        "userinfo_claims: NULL claims_out");
    tap(invalid(te_client_options_set_id_token_validation(NULL, true, &error), &error, "options"),
        "validation switch: NULL options");
    tap(te_token_set_id_token_claims(NULL) == NULL && te_user_claims_sub(NULL) == NULL &&
            !te_user_claims_email_verified(NULL, NULL) && claims == NULL,
        "claims getters answer NULL/false for NULL");
    te_user_claims_free(NULL);
    /* The token set lost nothing to the refusals. */
    tap(OK(te_client_refresh(client, tokens, NULL, &out, &error)), "the refused calls left the tokens usable");
    te_token_set_free(out);
    te_token_set_free(tokens);
    te_client_free(client);
}

int main(void) {
    refresh_rotates_and_keeps_the_user();
    revoke_then_refresh_fails();
    a_token_set_rebuilt_from_storage_renews();
    another_key_or_none_is_refused_before_sending();
    a_rotated_signing_key_is_fetched();
    another_issuer_is_refused();
    bad_input_is_refused();
    return tap_done();
}
