/*
 * te-bench-c: the C API's side of `cargo xtask bench` (issue 15). The same native social
 * exchange as te-bench-client, made through the C API's blocking `te_client_native_social_exchange` the way
 * a C program makes it (a request handle per exchange, the token set freed after use), against
 * the canned endpoint.
 *
 *   te-bench-c --base-url URL [--dpop] [--mode throughput|memory] [--in-flight K]
 *              [--warmup W] [--exchanges N] [--checkpoint C]
 *
 * throughput: W exchanges to warm up, then N measured with K threads sharing one client (K = 1:
 * one after the other); prints the process CPU time (getrusage, every thread, the library's
 * runtime thread included) and wall time of the N as one JSON line, like te-bench-client.
 * memory: N exchanges one after the other, the resident set size (VmRSS) after every C.
 *
 * Built by `cargo xtask bench` with gcc -O2 against the committed header and the release
 * cdylib. Not part of the C test suite.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "token_exchange.h"

#define CLIENT_ID "bench-native-app"
#define AUDIENCE "https://api.example.com/"

/* What every thread shares. */
struct workload {
    const te_client *client;
    bool dpop;
    uint64_t next; /* the next exchange number, claimed atomically */
    uint64_t end;
};

static void die(const char *what, te_error *error) {
    char *message = te_error_message(error);
    fprintf(stderr, "te-bench-c: %s failed (code %d): %s\n", what, (int)te_error_code(error),
            message ? message : "?");
    te_string_free(message);
    te_error_free(error);
    exit(1);
}

/* Exchange number `i`: the same Apple code (shape and length) as te-bench-client's. */
static void exchange(const te_client *client, bool dpop, uint64_t i) {
    char code[96];
    snprintf(code, sizeof code, "c%032" PRIx64 ".0.srsv.Qm9vdHN0cmFwcGVkQ29kZUZvckJlbmNo", i);
    te_error *error = NULL;
    te_native_social_exchange *request = NULL;
    te_token_set *tokens = NULL;
    if (te_native_social_exchange_apple(code, &request, &error) != TE_OK ||
        te_native_social_exchange_set_audience(request, AUDIENCE, &error) != TE_OK ||
        te_native_social_exchange_set_user_name(request, "John", "Appleseed", &error) != TE_OK) {
        die("building the request", error);
    }
    if (te_client_native_social_exchange(client, request, &tokens, &error) != TE_OK) {
        die("te_client_native_social_exchange", error);
    }
    if (te_token_set_is_dpop_bound(tokens) != dpop) {
        fprintf(stderr, "te-bench-c: the tokens are not bound as expected\n");
        exit(1);
    }
    te_token_set_free(tokens);
    te_native_social_exchange_free(request);
}

static void *worker(void *arg) {
    struct workload *w = arg;
    for (;;) {
        uint64_t i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
        if (i >= w->end) {
            return NULL;
        }
        exchange(w->client, w->dpop, i);
    }
}

/* Exchanges first..first+count, `in_flight` threads at once. */
static void run(const te_client *client, bool dpop, uint64_t first, uint64_t count, unsigned in_flight) {
    struct workload w = {.client = client, .dpop = dpop, .next = first, .end = first + count};
    if (in_flight <= 1) {
        worker(&w);
        return;
    }
    pthread_t *threads = calloc(in_flight, sizeof *threads);
    if (threads == NULL) {
        exit(1);
    }
    for (unsigned t = 0; t < in_flight; t++) {
        if (pthread_create(&threads[t], NULL, worker, &w) != 0) {
            fprintf(stderr, "te-bench-c: pthread_create failed\n");
            exit(1);
        }
    }
    for (unsigned t = 0; t < in_flight; t++) {
        pthread_join(threads[t], NULL);
    }
    free(threads);
}

static uint64_t micros(struct timeval t) {
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_usec;
}

static uint64_t wall_micros(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t resident_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kb = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "VmRSS: %" SCNu64 " kB", &kb) == 1) {
            break;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return kb * 1024;
}

/* The file the C API was loaded from, so that the caller can check it measured the build it
 * meant to (an inherited LD_LIBRARY_PATH takes precedence over the driver's RUNPATH). */
static const char *library_path(void) {
    Dl_info info;
    if (dladdr((void *)te_version, &info) == 0 || info.dli_fname == NULL) {
        return "?";
    }
    return info.dli_fname;
}

static uint64_t number(const char *flag, const char *value) {
    char *end = NULL;
    unsigned long long n = value ? strtoull(value, &end, 10) : 0;
    if (value == NULL || *value == '\0' || *end != '\0') {
        fprintf(stderr, "te-bench-c: %s needs a number\n", flag);
        exit(2);
    }
    return (uint64_t)n;
}

int main(int argc, char **argv) {
    const char *base_url = NULL;
    const char *mode = "throughput";
    bool dpop = false;
    uint64_t in_flight = 1, warmup = 1000, exchanges = 10000, checkpoint = 10000;
    for (int a = 1; a < argc; a++) {
        const char *value = a + 1 < argc ? argv[a + 1] : NULL;
        if (strcmp(argv[a], "--dpop") == 0) {
            dpop = true;
            continue;
        }
        if (strcmp(argv[a], "--base-url") == 0) {
            base_url = value;
        } else if (strcmp(argv[a], "--mode") == 0) {
            mode = value ? value : "";
        } else if (strcmp(argv[a], "--in-flight") == 0) {
            in_flight = number(argv[a], value);
        } else if (strcmp(argv[a], "--warmup") == 0) {
            warmup = number(argv[a], value);
        } else if (strcmp(argv[a], "--exchanges") == 0) {
            exchanges = number(argv[a], value);
        } else if (strcmp(argv[a], "--checkpoint") == 0) {
            checkpoint = number(argv[a], value);
        } else {
            fprintf(stderr, "te-bench-c: unknown argument `%s`\n", argv[a]);
            return 2;
        }
        a++;
    }
    bool memory = strcmp(mode, "memory") == 0;
    if (base_url == NULL || (!memory && strcmp(mode, "throughput") != 0) || checkpoint == 0) {
        fprintf(stderr, "usage: te-bench-c --base-url URL [--dpop] [--mode throughput|memory] "
                        "[--in-flight K] [--warmup W] [--exchanges N] [--checkpoint C]\n");
        return 2;
    }

    te_error *error = NULL;
    te_client_options *options = NULL;
    te_client *client = NULL;
    te_dpop_key *key = NULL;
    /* The endpoint's base URL ends with '/'; the domain is given without it, as in Rust. */
    char domain[256];
    snprintf(domain, sizeof domain, "%s", base_url);
    size_t len = strlen(domain);
    if (len > 0 && domain[len - 1] == '/') {
        domain[len - 1] = '\0';
    }
    if (te_client_options_new(domain, CLIENT_ID, &options, &error) != TE_OK) {
        die("te_client_options_new", error);
    }
    if (dpop && (te_dpop_key_generate(&key, &error) != TE_OK ||
                 te_client_options_set_dpop_key(options, key, &error) != TE_OK)) {
        die("setting the DPoP key", error);
    }
    if (te_client_new(options, &client, &error) != TE_OK) {
        die("te_client_new", error);
    }
    te_client_options_free(options);
    te_dpop_key_free(key);

    if (memory) {
        printf("{\"client\":\"c\",\"library\":\"%s\",\"dpop\":%s,\"mode\":\"memory\",\"checkpoints\":[",
               library_path(), dpop ? "true" : "false");
        for (uint64_t done = 0; done < exchanges;) {
            uint64_t step = checkpoint < exchanges - done ? checkpoint : exchanges - done;
            run(client, dpop, done, step, 1);
            done += step;
            printf("%s[%" PRIu64 ",%" PRIu64 "]", done == step ? "" : ",", done, resident_bytes());
        }
        printf("]}\n");
    } else {
        run(client, dpop, 0, warmup, (unsigned)in_flight);
        struct rusage before, after;
        getrusage(RUSAGE_SELF, &before);
        uint64_t wall = wall_micros();
        run(client, dpop, warmup, exchanges, (unsigned)in_flight);
        wall = wall_micros() - wall;
        getrusage(RUSAGE_SELF, &after);
        uint64_t user = micros(after.ru_utime) - micros(before.ru_utime);
        uint64_t system = micros(after.ru_stime) - micros(before.ru_stime);
        printf("{\"client\":\"c\",\"library\":\"%s\",\"dpop\":%s,\"mode\":\"throughput\",\"in_flight\":%" PRIu64
               ",\"exchanges\":%" PRIu64 ",\"cpu_us\":%" PRIu64 ",\"user_us\":%" PRIu64
               ",\"system_us\":%" PRIu64 ",\"wall_us\":%" PRIu64 "}\n",
               library_path(), dpop ? "true" : "false", in_flight, exchanges, user + system, user, system, wall);
    }
    te_client_free(client);
    return 0;
}
