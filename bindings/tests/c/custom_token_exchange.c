/*
 * Custom Token Exchange through the C API against the emulator: native Google sign-in (a
 * Google ID token minted by the emulator's test issuer, verified by the sample tenant's
 * JavaScript Action behind the profile urn:token-exchange:google-id-token), delegation with an
 * actor token, a token the Action rejects, and input refused before any I/O.
 */
#include "harness.h"

#define GOOGLE_PROFILE "urn:token-exchange:google-id-token"

/* Mints a Google ID token for `sub` (malloc'd) or NULL. */
static char *mint_google_id_token(const char *sub) {
    char body[256];
    snprintf(body, sizeof body, "{\"sub\":\"%s\",\"email\":\"%s@example.com\",\"name\":\"C Google\"}", sub, sub);
    char *response = emulator_post("/emulator/google/id-tokens", body);
    char *token = json_string(response, "id_token");
    free(response);
    return token;
}

static void google_sign_in(void) {
    te_client *client = make_client("native-app", NULL);
    char *id_token = mint_google_id_token("c-google-user");
    te_custom_token_exchange *request = NULL;
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    tap(id_token != NULL && OK(te_custom_token_exchange_google(id_token, GOOGLE_PROFILE, &request, &error)) &&
            OK(te_custom_token_exchange_set_audience(request, "https://api.example.com", &error)) &&
            OK(te_custom_token_exchange_add_parameter(request, "device", "c-test", &error)),
        "a Google request is built");
    tap(OK(te_client_custom_token_exchange(client, request, &tokens, &error)) && tokens != NULL,
        "the Google ID token is exchanged through the profile's Action");
    tap(take_equals(te_token_set_issued_token_type(tokens), "urn:ietf:params:oauth:token-type:access_token"),
        "issued_token_type is an access token");
    char *refresh = te_token_set_refresh_token(tokens);
    tap(refresh != NULL && te_token_set_actor_claim(tokens) == NULL, "a refresh token and no actor claim");
    te_string_free(refresh);
    char *claims = NULL;
    tap(OK(te_client_userinfo(client, tokens, &claims, &error)) && claims != NULL &&
            strstr(claims, "\"sub\":\"google-oauth2|c-google-user\"") != NULL,
        "the user is google-oauth2|<Google sub>");
    te_string_free(claims);

    /* Delegation: the ID token just issued names the actor. */
    char *actor = te_token_set_id_token(tokens);
    char *second = mint_google_id_token("c-google-delegator");
    te_custom_token_exchange *delegated = NULL;
    te_token_set *delegated_tokens = NULL;
    tap(OK(te_custom_token_exchange_new(second, GOOGLE_PROFILE, &delegated, &error)) &&
            OK(te_custom_token_exchange_set_actor(delegated, actor, "urn:ietf:params:oauth:token-type:id_token", &error)) &&
            OK(te_client_custom_token_exchange(client, delegated, &delegated_tokens, &error)),
        "an exchange with an actor token succeeds");
    char *act = te_token_set_actor_claim(delegated_tokens);
    tap(act != NULL && strstr(act, "\"sub\":\"google-oauth2|c-google-user\"") != NULL,
        "te_token_set_actor_claim returns the act claim as JSON");
    te_string_free(act);
    refresh = te_token_set_refresh_token(delegated_tokens);
    tap(refresh == NULL, "no refresh token with an actor");
    te_token_set_free(delegated_tokens);
    te_custom_token_exchange_free(delegated);
    te_string_free(actor);
    free(second);

    te_token_set_free(tokens);
    te_custom_token_exchange_free(request);
    free(id_token);
    te_client_free(client);
}

static void rejected_token(void) {
    te_client *client = make_client("native-app", NULL);
    te_custom_token_exchange *request = NULL;
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    te_custom_token_exchange_new("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", GOOGLE_PROFILE, &request, NULL);
    /* A documentation address of its own, so brute-force counting touches no other test. */
    te_custom_token_exchange_set_forwarded_for(request, "198.51.100.23", NULL);
    te_code rc = te_client_custom_token_exchange(client, request, &tokens, &error);
    char *description = te_error_oauth_description(error);
    tap(rc == TE_ERROR_OAUTH && tokens == NULL && te_error_is_invalid_request(error) &&
            description != NULL && strstr(description, "Invalid Google ID token") != NULL,
        "a forged Google ID token is rejected by the Action (invalid_request)");
    te_string_free(description);
    te_error_free(error);
    te_custom_token_exchange_free(request);

    error = NULL;
    request = NULL;
    te_custom_token_exchange_new("some-token", "urn:acme:no-such-profile", &request, NULL);
    rc = te_client_custom_token_exchange(client, request, &tokens, &error);
    tap(rc == TE_ERROR_OAUTH && te_error_is_invalid_request(error), "a type without a profile is invalid_request");
    te_error_free(error);
    te_custom_token_exchange_free(request);
    te_client_free(client);
}

/* Sends `request` and checks it fails as invalid input naming `field`; frees the request. */
static int refused(te_client *client, te_custom_token_exchange *request, const char *field) {
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    int ok = invalid(te_client_custom_token_exchange(client, request, &tokens, &error), &error, field) &&
             tokens == NULL;
    te_custom_token_exchange_free(request);
    return ok;
}

static void bad_input(void) {
    static const char BAD_UTF8[] = {'a', (char)0xff, 'b', 0};
    te_client *client = make_client("native-app", NULL);
    te_custom_token_exchange *request = NULL;
    te_error *error = NULL;

    const char *reserved[] = {"urn:ietf:params:oauth:token-type:id_token", "http://auth0.com/oauth/token-type/x",
                              "https://okta.com/x", "urn:auth0:google"};
    int all = 1;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        request = NULL;
        te_custom_token_exchange_new("token", reserved[i], &request, NULL);
        all &= refused(client, request, "subject_token_type");
    }
    tap(all, "subject_token_type in a reserved namespace is refused before sending");

    request = NULL;
    te_custom_token_exchange_new("token", GOOGLE_PROFILE, &request, NULL);
    te_custom_token_exchange_add_parameter(request, "audience", "https://evil.example.com", NULL);
    tap(refused(client, request, "extra_parameters"), "an extra parameter overriding audience is refused");
    request = NULL;
    te_custom_token_exchange_new("token", GOOGLE_PROFILE, &request, NULL);
    te_custom_token_exchange_add_parameter(request, "Subject_Token", "x", NULL);
    tap(refused(client, request, "extra_parameters"), "an extra parameter overriding subject_token is refused");
    request = NULL;
    te_custom_token_exchange_new("token", "not a uri", &request, NULL);
    tap(refused(client, request, "subject_token_type"), "a subject_token_type that is not a URI is refused");
    request = NULL;
    te_custom_token_exchange_new("", GOOGLE_PROFILE, &request, NULL);
    tap(refused(client, request, "subject_token"), "an empty subject token is refused");

    request = (te_custom_token_exchange *)0x1;
    tap(invalid(te_custom_token_exchange_new(NULL, GOOGLE_PROFILE, &request, &error), &error, "subject_token") &&
            request == NULL,
        "NULL subject token; request_out reset to NULL");
    tap(invalid(te_custom_token_exchange_google("t", BAD_UTF8, &request, &error), &error, "subject_token_type"),
        "a profile type that is not UTF-8");
    tap(invalid(te_custom_token_exchange_google(NULL, GOOGLE_PROFILE, &request, &error), &error, "id_token"),
        "NULL Google ID token");
    tap(invalid(te_custom_token_exchange_set_audience(NULL, "a", &error), &error, "request"), "NULL request to a setter");
    te_custom_token_exchange_new("token", GOOGLE_PROFILE, &request, NULL);
    tap(invalid(te_custom_token_exchange_set_actor(request, "actor", NULL, &error), &error, "actor_token_type"),
        "an actor token without its type");
    tap(invalid(te_custom_token_exchange_set_forwarded_for(request, "not-an-ip", &error), &error, "forwarded_for"),
        "forwarded_for that is not an IP");
    tap(invalid(te_custom_token_exchange_add_parameter(request, NULL, "v", &error), &error, "name"),
        "NULL extra parameter name");
    te_token_set *tokens = NULL;
    tap(invalid(te_client_custom_token_exchange(NULL, request, &tokens, &error), &error, "client"), "NULL client");
    tap(invalid(te_client_custom_token_exchange(client, NULL, &tokens, &error), &error, "request"), "NULL request");
    tap(invalid(te_client_custom_token_exchange(client, request, NULL, &error), &error, "tokens_out"),
        "NULL tokens_out");
    tap(te_token_set_actor_claim(NULL) == NULL, "te_token_set_actor_claim(NULL) is NULL");
    te_custom_token_exchange_free(request);
    te_custom_token_exchange_free(NULL);
    te_client_free(client);
}

int main(void) {
    note("token-exchange %s against %s", te_version(), emulator_url());
    google_sign_in();
    rejected_token();
    bad_input();
    return tap_done();
}
