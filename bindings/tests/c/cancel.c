/*
 * te_client_cancel: a blocking call waiting on a slow server returns TE_ERROR_CANCELLED when
 * another thread cancels the client; calls started afterwards on the same client succeed.
 */
#include <pthread.h>
#include <time.h>

#include "harness.h"

/* The emulator holds the slow exchange this long, past the client's own 30 s timeout: only the
 * cancel can end the call with TE_ERROR_CANCELLED (no timing is measured, so load cannot matter). */
#define SERVER_DELAY_MS 120000
#define CANCEL_AFTER_MS 300

struct call {
    const te_client *client;
    te_native_social_exchange *request;
    te_code code;
    te_error *error;
    double elapsed_ms;
    int finished;
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void *exchange_in_thread(void *arg) {
    struct call *c = arg;
    te_token_set *tokens = NULL;
    double start = now_ms();
    c->code = te_client_native_social_exchange(c->client, c->request, &tokens, &c->error);
    c->elapsed_ms = now_ms() - start;
    te_token_set_free(tokens);
    __atomic_store_n(&c->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

int main(void) {
    te_client *client = make_client("native-app", NULL);
    tap(client != NULL, "client created");

    char body[64];
    snprintf(body, sizeof body, "{\"delay_ms\":%d}", SERVER_DELAY_MS);
    char *slow_code = mint_apple_code(body);
    struct call slow = {.client = client, .request = apple_request(slow_code)};
    pthread_t thread;
    tap(pthread_create(&thread, NULL, exchange_in_thread, &slow) == 0, "a slow exchange started");
    /* A cancel only reaches calls already in flight: repeat it until the call returns, in case
     * the thread was slow to start (valgrind, a loaded machine). */
    struct timespec pause = {.tv_sec = 0, .tv_nsec = CANCEL_AFTER_MS * 1000000L};
    while (!__atomic_load_n(&slow.finished, __ATOMIC_ACQUIRE)) {
        nanosleep(&pause, NULL);
        te_client_cancel(client);
    }
    pthread_join(thread, NULL);

    tap(slow.code == TE_ERROR_CANCELLED && te_error_code(slow.error) == TE_ERROR_CANCELLED,
        "the cancelled call returns TE_ERROR_CANCELLED, without waiting for the server");
    printf("# cancelled after %.0f ms (server delay %d ms)\n", slow.elapsed_ms, SERVER_DELAY_MS);
    tap(te_error_request_may_have_reached_server(slow.error),
        "a cancelled request may have reached the server (do not resend the code)");
    te_error_free(slow.error);

    char *code = mint_apple_code("{}");
    te_native_social_exchange *request = apple_request(code);
    te_token_set *tokens = NULL;
    te_error *error = NULL;
    tap(OK(te_client_native_social_exchange(client, request, &tokens, &error)), "a call started after the cancel succeeds");
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
    free(code);

    te_client_cancel(NULL);
    tap(1, "cancelling NULL is ignored");

    te_native_social_exchange_free(slow.request);
    free(slow_code);
    te_client_free(client);
    return tap_done();
}
