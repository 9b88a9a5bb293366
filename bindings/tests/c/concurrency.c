/*
 * One client handle shared by several pthreads, each making DPoP-bound exchanges and API
 * calls at the same time: every call must succeed, each token bound to the shared key.
 */
#include <pthread.h>

#include "harness.h"

#define THREADS 6
#define ROUNDS 3

struct worker {
    const te_client *client;
    const char *thumbprint;
    char *codes[ROUNDS];
    int succeeded;
    int bound_to_key;
    int userinfo_ok;
};

static void *work(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < ROUNDS; i++) {
        te_native_social_exchange *request = apple_request(w->codes[i]);
        te_token_set *tokens = NULL;
        te_error *error = NULL;
        if (OK(te_client_native_social_exchange(w->client, request, &tokens, &error))) {
            w->succeeded++;
            w->bound_to_key += take_equals(te_token_set_dpop_jkt(tokens), w->thumbprint);
            char *claims = NULL;
            if (OK(te_client_userinfo(w->client, tokens, &claims, &error)) && claims != NULL) {
                w->userinfo_ok++;
            }
            te_string_free(claims);
        }
        te_token_set_free(tokens);
        te_native_social_exchange_free(request);
    }
    return NULL;
}

int main(void) {
    te_dpop_key *key = NULL;
    te_dpop_key_generate(&key, NULL);
    te_client *client = make_client("native-app", key);
    char *thumbprint = te_dpop_key_thumbprint(key);
    struct worker workers[THREADS];
    pthread_t threads[THREADS];
    int minted = 1;
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (struct worker){.client = client, .thumbprint = thumbprint};
        for (int i = 0; i < ROUNDS; i++) {
            char body[64];
            snprintf(body, sizeof body, "{\"sub\":\"apple|c-thread-%d-%d\"}", t, i);
            workers[t].codes[i] = mint_apple_code(body);
            minted &= workers[t].codes[i] != NULL;
        }
    }
    tap(minted, "Apple codes minted for every thread");
    int started = 1;
    for (int t = 0; t < THREADS; t++) {
        started &= pthread_create(&threads[t], NULL, work, &workers[t]) == 0;
    }
    tap(started, "threads started");
    int succeeded = 0, bound = 0, userinfo = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        succeeded += workers[t].succeeded;
        bound += workers[t].bound_to_key;
        userinfo += workers[t].userinfo_ok;
        for (int i = 0; i < ROUNDS; i++) {
            free(workers[t].codes[i]);
        }
    }
    note("%d exchanges, %d bound to the key, %d userinfo calls", succeeded, bound, userinfo);
    tap(succeeded == THREADS * ROUNDS, "every concurrent exchange on the shared client succeeded");
    tap(bound == THREADS * ROUNDS, "every token is bound to the shared key");
    tap(userinfo == THREADS * ROUNDS, "every concurrent userinfo call succeeded");
    te_string_free(thumbprint);
    te_client_free(client);
    te_dpop_key_free(key);
    return tap_done();
}
