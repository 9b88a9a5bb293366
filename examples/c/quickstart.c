/*
 * Quickstart for the token-exchange C API: trade a Sign in with Apple authorization code
 * for DPoP-bound Auth0 tokens, then call an API with them.
 *
 *   cc quickstart.c -I bindings/include -L <target>/debug -ltoken_exchange_ffi -o quickstart
 *   TOKEN_EXCHANGE_EMULATOR_URL=http://127.0.0.1:8787 \
 *     TOKEN_EXCHANGE_EMULATOR_JSON='{...the line the emulator printed...}' ./quickstart  # the emulator
 *   ./quickstart tenant.us.auth0.com YOUR_CLIENT_ID APPLE_AUTHORIZATION_CODE    # against Auth0
 *
 * With the emulator, the Apple code is minted through its control endpoint (the part marked
 * "emulator only"); in an app it comes from ASAuthorizationAppleIDCredential.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "token_exchange.h"

/* Prints a failed call's error and frees it. Returns 1 so callers can `return fail(...)`. */
static int fail(const char *what, te_error *error) {
    char *message = te_error_message(error);
    fprintf(stderr, "%s failed (code %d): %s\n", what, (int)te_error_code(error), message ? message : "?");
    if (te_error_is_mfa_required(error)) {
        fprintf(stderr, "  -> the user must complete MFA (te_error_mfa_token has the token)\n");
    } else if (te_error_is_network_error(error) && !te_error_request_may_have_reached_server(error)) {
        fprintf(stderr, "  -> nothing reached the server: safe to retry with the same code\n");
    } else if (te_error_request_may_have_reached_server(error)) {
        fprintf(stderr, "  -> the Apple code may be spent: ask the user to sign in again\n");
    }
    te_string_free(message);
    te_error_free(error);
    return 1;
}

/* --- emulator only: mint an Apple code with POST /emulator/apple/authorization-codes, with
 * the control_secret of the line the emulator printed at start --- */
static char *mint_apple_code(const char *base_url) {
    char host[64] = {0};
    char secret[128] = {0};
    int port = 0;
    const char *line = getenv("TOKEN_EXCHANGE_EMULATOR_JSON");
    const char *at = line ? strstr(line, "\"control_secret\":\"") : NULL;
    if (sscanf(base_url, "http://%63[^:]:%d", host, &port) != 2 || at == NULL ||
        sscanf(at + strlen("\"control_secret\":\""), "%127[^\"]", secret) != 1) {
        return NULL;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, host, &addr.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    const char *body = "{\"sub\":\"apple|quickstart\",\"email\":\"quickstart@example.com\"}";
    char request[512];
    int n = snprintf(request, sizeof request,
                     "POST /emulator/apple/authorization-codes HTTP/1.1\r\nHost: %s:%d\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     host, port, secret, strlen(body), body);
    char response[4096] = {0};
    size_t len = 0;
    ssize_t got;
    if (write(fd, request, (size_t)n) == n) {
        while (len < sizeof response - 1 && (got = read(fd, response + len, sizeof response - 1 - len)) > 0) {
            len += (size_t)got;
        }
    }
    close(fd);
    char *start = strstr(response, "\"code\":\"");
    if (start == NULL) {
        return NULL;
    }
    start += strlen("\"code\":\"");
    char *end = strchr(start, '"');
    return end ? strndup(start, (size_t)(end - start)) : NULL;
}
/* --- end of emulator only --- */

int main(int argc, char **argv) {
    const char *emulator = getenv("TOKEN_EXCHANGE_EMULATOR_URL");
    const char *domain = argc > 1 ? argv[1] : emulator;
    const char *client_id = argc > 2 ? argv[2] : "native-app";
    char *code = argc > 3 ? strdup(argv[3]) : (emulator ? mint_apple_code(emulator) : NULL);
    if (domain == NULL || code == NULL) {
        fprintf(stderr, "usage: quickstart DOMAIN CLIENT_ID APPLE_CODE (or set TOKEN_EXCHANGE_EMULATOR_URL)\n");
        free(code);
        return 2;
    }
    printf("token-exchange %s\n", te_version());

    te_error *error = NULL;
    int status = 1;
    te_dpop_key *key = NULL;
    te_client_options *options = NULL;
    te_client *client = NULL;
    te_native_social_exchange *request = NULL;
    te_token_set *tokens = NULL;
    char *claims = NULL;

    /* 1. A DPoP key (persist te_dpop_key_to_pkcs8's bytes to keep tokens usable across runs). */
    if (te_dpop_key_generate(&key, &error) != TE_OK) {
        fail("te_dpop_key_generate", error);
        goto done;
    }
    /* 2. One client per application, shared by all threads. */
    if (te_client_options_new(domain, client_id, &options, &error) != TE_OK ||
        te_client_options_set_dpop_key(options, key, &error) != TE_OK ||
        te_client_new(options, &client, &error) != TE_OK) {
        fail("creating the client", error);
        goto done;
    }
    /* 3. The exchange: the Apple code (and, on first sign-in, the user's name). */
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
    char *token_type = te_token_set_token_type(tokens);
    char *jkt = te_token_set_dpop_jkt(tokens);
    int64_t expires_at = 0;
    te_token_set_expires_at(tokens, &expires_at);
    printf("got a %s token bound to key %s, expiring at %lld\n", token_type, jkt ? jkt : "(none)",
           (long long)expires_at);
    te_string_free(token_type);
    te_string_free(jkt);

    /* 4. Use the tokens: /userinfo here, your API with te_client_send_authorized. */
    if (te_client_userinfo(client, tokens, &claims, &error) != TE_OK) {
        fail("te_client_userinfo", error);
        goto done;
    }
    printf("userinfo: %s\n", claims);
    status = te_token_set_is_dpop_bound(tokens) ? 0 : 1;

done:
    te_string_free(claims);
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    te_client_free(client);
    te_client_options_free(options);
    te_dpop_key_free(key);
    free(code);
    return status;
}
