/*
 * Shared helpers of the C API tests: TAP-style reporting, and a tiny HTTP/1.1 client for the
 * emulator's control endpoints (loopback only, no dependencies).
 *
 * Each test program includes this header once. Tests read the emulator's base URL from
 * TOKEN_EXCHANGE_EMULATOR_URL (e.g. http://127.0.0.1:41234) and the control secret its control
 * endpoints need from the startup line in TOKEN_EXCHANGE_EMULATOR_JSON.
 */
#ifndef TOKEN_EXCHANGE_TEST_HARNESS_H
#define TOKEN_EXCHANGE_TEST_HARNESS_H

#define _GNU_SOURCE /* memmem, strndup */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "token_exchange.h"

static int tap_count = 0;
static int tap_failed = 0;

/* Reports one test: `ok N - name` or `not ok N - name`. */
static inline void tap(int ok, const char *name) {
    tap_count++;
    if (!ok) {
        tap_failed++;
    }
    printf("%s %d - %s\n", ok ? "ok" : "not ok", tap_count, name);
    fflush(stdout);
}

/* Prints the final count; returns the process exit status. */
static inline int tap_done(void) {
    printf("1..%d\n", tap_count);
    printf("# %d passed, %d failed\n", tap_count - tap_failed, tap_failed);
    return tap_failed == 0 ? 0 : 1;
}

/* Diagnostic line (TAP comment). */
static inline void note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

/* Prints an error's message as a diagnostic and frees both the message and the error. */
static inline void note_error(te_error *error) {
    if (error != NULL) {
        char *message = te_error_message(error);
        note("error %d: %s", (int)te_error_code(error), message ? message : "(null)");
        te_string_free(message);
        te_error_free(error);
    }
}

/* `OK(te_call(..., &error))`: 1 if the call returned TE_OK. A failure's error is printed and
 * freed, so no error handle outlives the statement. Needs a local `te_error *error`. */
#define OK(call) ok_impl((call), &error)
static inline int ok_impl(te_code rc, te_error **error) {
    if (*error != NULL) {
        note_error(*error);
        *error = NULL;
    }
    return rc == TE_OK;
}

/* Whether a library string equals `expected`; frees the library string. */
static inline int take_equals(char *s, const char *expected) {
    int equal = s != NULL && expected != NULL && strcmp(s, expected) == 0;
    te_string_free(s);
    return equal;
}

/* Checks that `rc`/`*slot` are an invalid-input failure naming `field`; frees the error and
 * resets `*slot`. (The error is passed by address: C does not order the evaluation of
 * arguments, so `invalid(call(&error), error, ...)` could read it before the call.) */
static inline int invalid(te_code rc, te_error **slot, const char *field) {
    te_error *error = *slot;
    *slot = NULL;
    int ok = rc == TE_ERROR_INVALID_INPUT && error != NULL && te_error_code(error) == TE_ERROR_INVALID_INPUT &&
             take_equals(te_error_field(error), field);
    if (!ok) {
        char *message = te_error_message(error);
        note("expected invalid %s, got code %d: %s", field, (int)rc, message ? message : "(null)");
        te_string_free(message);
    }
    te_error_free(error);
    return ok;
}

/* The emulator's base URL, or exits (status 1, one failed test) when it is not set. */
static inline const char *emulator_url(void) {
    const char *url = getenv("TOKEN_EXCHANGE_EMULATOR_URL");
    if (url == NULL || strncmp(url, "http://", 7) != 0) {
        tap(0, "TOKEN_EXCHANGE_EMULATOR_URL is set to the emulator's http:// base URL");
        exit(tap_done());
    }
    return url;
}

static inline char *json_string(const char *json, const char *key);

/* The control secret of the emulator's startup line (malloc'd once, kept), or exits. */
static inline const char *emulator_control_secret(void) {
    static char *secret = NULL;
    if (secret == NULL) {
        secret = json_string(getenv("TOKEN_EXCHANGE_EMULATOR_JSON"), "control_secret");
        if (secret == NULL) {
            tap(0, "TOKEN_EXCHANGE_EMULATOR_JSON holds the emulator's line with control_secret");
            exit(tap_done());
        }
    }
    return secret;
}

/* Sends `method path` (with `body`, JSON, may be empty) to the emulator's control API, with
 * its control secret; returns the response body (malloc'd, caller frees) or NULL. Only
 * `http://<IPv4>:<port>` base URLs are supported. */
static inline char *emulator_call(const char *method, const char *path, const char *body) {
    const char *url = emulator_url();
    const char *secret = emulator_control_secret();
    char host[64] = {0};
    int port = 0;
    if (sscanf(url + 7, "%63[^:]:%d", host, &port) != 2) {
        note("cannot parse %s", url);
        return NULL;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return NULL;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        note("cannot connect to %s", url);
        return NULL;
    }
    size_t body_len = body ? strlen(body) : 0;
    char request[4096];
    int n = snprintf(request, sizeof request,
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                     "Authorization: Bearer %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     method, path, host, port, secret, body_len, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof request || write(fd, request, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 8192, len = 0;
    char *response = malloc(cap);
    ssize_t got;
    while (response != NULL && (got = read(fd, response + len, cap - len - 1)) > 0) {
        len += (size_t)got;
        if (len + 1 >= cap) {
            cap *= 2;
            char *bigger = realloc(response, cap);
            if (bigger == NULL) {
                free(response);
            }
            response = bigger;
        }
    }
    close(fd);
    if (response == NULL) {
        return NULL;
    }
    response[len] = '\0';
    char *start = strstr(response, "\r\n\r\n");
    if (start == NULL) {
        free(response);
        return NULL;
    }
    char *result = strdup(start + 4);
    free(response);
    return result;
}

/* POSTs `body` (JSON, may be empty) to `path` of the emulator (see emulator_call). */
static inline char *emulator_post(const char *path, const char *body) {
    return emulator_call("POST", path, body);
}

/* GETs `path` of the emulator (see emulator_call). */
static inline char *emulator_get(const char *path) {
    return emulator_call("GET", path, NULL);
}

/* The string value of `"key":"..."` in a flat JSON object (malloc'd), or NULL. */
static inline char *json_string(const char *json, const char *key) {
    if (json == NULL) {
        return NULL;
    }
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = strstr(json, pattern);
    if (at == NULL) {
        return NULL;
    }
    at += strlen(pattern);
    const char *end = strchr(at, '"');
    if (end == NULL) {
        return NULL;
    }
    return strndup(at, (size_t)(end - at));
}

/* Mints a single-use Apple authorization code; `body` may set sub, email, delay_ms.
 * Returns it (malloc'd) or NULL. */
static inline char *mint_apple_code(const char *body) {
    char *response = emulator_post("/emulator/apple/authorization-codes", body);
    char *code = json_string(response, "code");
    free(response);
    return code;
}

/* Mints a Facebook session token (reusable until it expires). */
static inline char *mint_facebook_token(void) {
    char *response = emulator_post("/emulator/facebook/session-tokens", "");
    char *token = json_string(response, "token");
    free(response);
    return token;
}

/* Queues a canned response for the next /oauth/token request. */
static inline int queue_token_response(const char *canned_json) {
    char *response = emulator_post("/emulator/token-responses", canned_json);
    int ok = response != NULL && strstr(response, "\"queued\"") != NULL;
    free(response);
    return ok;
}

/* A client for `client_id` on the emulator, with `key` (may be NULL). NULL on failure. */
static inline te_client *make_client(const char *client_id, const te_dpop_key *key) {
    te_client_options *options = NULL;
    te_client *client = NULL;
    te_error *error = NULL;
    if (te_client_options_new(emulator_url(), client_id, &options, &error) != TE_OK ||
        te_client_options_set_dpop_key(options, key, &error) != TE_OK ||
        te_client_new(options, &client, &error) != TE_OK) {
        note_error(error);
    }
    te_client_options_free(options);
    return client;
}

/* An Apple exchange request for `code` with the sample API as audience. NULL on failure. */
static inline te_native_social_exchange *apple_request(const char *code) {
    te_native_social_exchange *request = NULL;
    te_error *error = NULL;
    if (te_native_social_exchange_apple(code, &request, &error) != TE_OK ||
        te_native_social_exchange_set_audience(request, "https://api.example.com", &error) != TE_OK) {
        note_error(error);
        te_native_social_exchange_free(request);
        return NULL;
    }
    return request;
}

#endif
