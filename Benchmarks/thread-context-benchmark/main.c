// What publishing a span as OTEP 4947 thread context costs a thread: hr_thread_context_push and _pop of
// Sources/_COTelContextShims, called as the workloads' Swift code calls them (a separate object file, no
// inlining), timed over many span starts and ends. Run by scripts/bench-thread-context.sh.
#include "ThreadContextShims.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern __thread const hr_thread_context_record *otel_thread_ctx_v1;

static double now_ns(void) {
    struct timespec time;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time);
    return (double)time.tv_sec * 1e9 + (double)time.tv_nsec;
}

/// CPU nanoseconds of this thread per span (one start and one end; time waiting for a CPU on a loaded machine does
/// not count) over `count` spans under `parents` open spans, best of `rounds`.
static double span_ns(long count, int rounds, int parents, const char *name) {
    uint8_t trace_id[16] = {0x4b, 0xf9, 0x2f, 0x35}, span_id[8] = {0};
    const void *owner;
    uint32_t parent_levels[HR_THREAD_CONTEXT_LEVELS];
    size_t length = strlen(name);
    for (int level = 0; level < parents; level++)
        parent_levels[level] = hr_thread_context_push(trace_id, span_id, 1, 0, (const uint8_t *)name, (uint8_t)length, &owner);
    double best = 0;
    for (int round = 0; round < rounds; round++) {
        double start = now_ns();
        for (long i = 0; i < count; i++) {
            memcpy(span_id, &i, sizeof i);
            uint32_t level = hr_thread_context_push(trace_id, span_id, 1, 0, (const uint8_t *)name, (uint8_t)length, &owner);
            hr_thread_context_pop(owner, level);
        }
        double elapsed = (now_ns() - start) / (double)count;
        if (round == 0 || elapsed < best) best = elapsed;
    }
    for (int level = parents - 1; level >= 0; level--) hr_thread_context_pop(owner, parent_levels[level]);
    return best;
}

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 5000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    char long_name[256];
    memset(long_name, 'x', 255);
    long_name[255] = 0;
    struct { const char *what; int parents; const char *name; } cases[] = {
        {"top-level span, 11-byte name (\"COPY orders\")", 0, "COPY orders"},
        {"span under 3 open spans, 11-byte name", 3, "COPY orders"},
        {"top-level span, 255-byte name (the most a record holds)", 0, long_name},
    };
    // Warm-up: the thread's records faulted in, the loop's code in cache.
    span_ns(count, 1, 0, "warm-up");
    printf("| case | ns per span (start + end) | ns per start or end |\n|---|---:|---:|\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double ns = span_ns(count, rounds, cases[i].parents, cases[i].name);
        printf("| %s | %.1f | %.1f |\n", cases[i].what, ns, ns / 2);
    }
    if (otel_thread_ctx_v1 != NULL) {
        fprintf(stderr, "thread-context-benchmark: a record is still published after every span ended\n");
        return 1;
    }
    return 0;
}
