// A program outside hybrid-run that publishes its active span as OTEP 4947 and OTEP 4719 describe, with known
// hot functions under each span, for the tests of per-span attribution.
//
//   span_writer spans SECONDS    the main thread alternates span 1 (hot_first) and span 2 (hot_second) every
//                                15 ms of its CPU time; a second thread stays in span 3 (hot_third); it ends once
//                                the main thread has used SECONDS of CPU (CPU time, not wall time: on a loaded
//                                machine the run takes longer, the samplers still get as many samples)
//   span_writer blocking SECONDS the main thread alternates span 1, sleeping 20 ms in nanosleep (wait_sleeping),
//                                and span 2, blocked 20 ms in read on a pipe (wait_reading) that a helper thread
//                                writes to 20 ms after it is asked to; it ends after SECONDS of wall time
//   span_writer where            prints the main thread's `otel_thread_ctx_v1` as an offset from its thread
//                                pointer, then waits to be killed
//   span_writer hostile SECONDS  the main thread cycles through records a reader must refuse: not valid
//                                (hot_invalid), a pointer into unmapped memory (hot_unmapped), attrs-data-size
//                                past 640 (hot_oversized), and a valid span 4 whose attribute has a key index
//                                outside the key map (hot_unknown_key); the second thread as above
//   span_writer steps            one thread, blocked in `sigwait` between steps, each SIGUSR1 the next step and
//                                its number printed: 1 span 1 ("first"); 2 the pointer moved to span 2's record;
//                                3 span 2's record rewritten in place as span 3 ("third"), the pointer swapped
//                                away and back as a writer reusing a record does; then waits to be killed
//
// Span ids are 0x0101… (span 1) to 0x0404…, the trace id 0xabab…; span names "first" … "third" under key 0
// ("span_name") of the process context's `threadlocal.attribute_key_map`.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifdef LATE_LIBRARY
static void (*span_context_set)(const void *record);
static long (*span_context_offset)(void);
#else
void span_context_set(const void *record);
long span_context_offset(void);
#endif

struct __attribute__((packed, aligned(2))) record {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t valid;
    uint8_t trace_flags;
    uint16_t attrs_data_size;
    uint8_t attrs_data[64];
};

static struct record make_record(uint8_t span, uint8_t key, const char *name) {
    struct record record;
    memset(&record, 0, sizeof record);
    memset(record.trace_id, 0xab, sizeof record.trace_id);
    for (size_t i = 0; i < sizeof record.span_id; i++) record.span_id[i] = span;
    record.valid = 1;
    record.trace_flags = 1;
    size_t length = strlen(name);
    record.attrs_data[0] = key;
    record.attrs_data[1] = (uint8_t)length;
    memcpy(&record.attrs_data[2], name, length);
    record.attrs_data_size = (uint16_t)(2 + length);
    return record;
}

static double seconds(clockid_t clock) {
    struct timespec time;
    clock_gettime(clock, &time);
    return (double)time.tv_sec + (double)time.tv_nsec / 1e9;
}

/// The calling thread's CPU time.
static double now(void) { return seconds(CLOCK_THREAD_CPUTIME_ID); }

static volatile uint64_t sink;

#define HOT(name, salt) \
    __attribute__((noinline)) static void name(double until) { \
        uint64_t x = salt; \
        while (now() < until) for (int i = 0; i < 20000; i++) x = x * 6364136223846793005u + 1442695040888963407u; \
        sink = x; \
    }
HOT(hot_first, 1)
HOT(hot_second, 2)
HOT(hot_third, 3)
HOT(hot_invalid, 4)
HOT(hot_unmapped, 5)
HOT(hot_oversized, 6)
HOT(hot_unknown_key, 7)

static volatile int done;

static void *third_thread(void *unused) {
    (void)unused;
    static __thread struct record record;
    record = make_record(3, 0, "third");
    span_context_set(&record);
    while (!done) hot_third(now() + 0.015);
    span_context_set(NULL);
    return NULL;
}

/// OTEP 4719: a memfd named OTEL_CTX holding the 32-byte header and a `ProcessContext` whose attributes are
/// `threadlocal.schema_version` and `threadlocal.attribute_key_map` = ["span_name"], encoded by hand.
static void publish_process_context(void) {
    static const char schema[] = "tlsdesc_v1_dev";
    static const char name[] = "span_name";
    uint8_t payload[256];
    size_t n = 0;
    // attributes (2) { key (1) "threadlocal.schema_version", value (2) { string_value (1) } }
    const char *key = "threadlocal.schema_version";
    payload[n++] = 0x12; payload[n++] = (uint8_t)(2 + strlen(key) + 2 + 2 + strlen(schema));
    payload[n++] = 0x0a; payload[n++] = (uint8_t)strlen(key); memcpy(payload + n, key, strlen(key)); n += strlen(key);
    payload[n++] = 0x12; payload[n++] = (uint8_t)(2 + strlen(schema));
    payload[n++] = 0x0a; payload[n++] = (uint8_t)strlen(schema); memcpy(payload + n, schema, strlen(schema)); n += strlen(schema);
    // attributes (2) { key (1) "threadlocal.attribute_key_map", value (2) { array_value (5) { values (1) { string_value (1) } } } }
    key = "threadlocal.attribute_key_map";
    size_t string_value = 2 + strlen(name), any = 2 + string_value, array = 2 + any, value = 2 + array;
    payload[n++] = 0x12; payload[n++] = (uint8_t)(2 + strlen(key) + 2 + value - 2 + 0);
    payload[n - 1] = (uint8_t)(2 + strlen(key) + value);
    payload[n++] = 0x0a; payload[n++] = (uint8_t)strlen(key); memcpy(payload + n, key, strlen(key)); n += strlen(key);
    payload[n++] = 0x12; payload[n++] = (uint8_t)array;
    payload[n++] = 0x2a; payload[n++] = (uint8_t)any;
    payload[n++] = 0x0a; payload[n++] = (uint8_t)string_value;
    payload[n++] = 0x0a; payload[n++] = (uint8_t)strlen(name); memcpy(payload + n, name, strlen(name)); n += strlen(name);

    int fd = memfd_create("OTEL_CTX", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 4096) != 0) return;
    uint8_t *mapping = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (mapping == MAP_FAILED) return;
    memcpy(mapping, "OTEL_CTX", 8);
    uint32_t version = 2, size = (uint32_t)n;
    memcpy(mapping + 8, &version, 4);
    memcpy(mapping + 12, &size, 4);
    memcpy(mapping + 32, payload, n);
    uint64_t payload_address = (uint64_t)(uintptr_t)(mapping + 32);
    memcpy(mapping + 24, &payload_address, 8);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t published = (uint64_t)(seconds(CLOCK_MONOTONIC) * 1e9);
    __atomic_store_n((uint64_t *)(mapping + 16), published, __ATOMIC_SEQ_CST);
}

/// `span_writer steps`: the states a reader that remembers a thread's last record must not confuse. In the first, the
/// span is set but the process context (the attribute key map) is not published yet.
static int steps(void) {
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    static __thread struct record first, second;
    first = make_record(1, 0, "first");
    second = make_record(2, 0, "second");
    for (int step = 0;; step++) {
        if (step == 0) {
            span_context_set(&first);
        } else if (step == 1) {
            publish_process_context();
        } else if (step == 2) {
            span_context_set(&second);
        } else if (step == 3) {
            span_context_set(NULL);
            second = make_record(3, 0, "third");
            span_context_set(&second);
        }
        printf("%d\n", step);
        fflush(stdout);
        int received;
        sigwait(&usr1, &received);
    }
}

/// Blocks in the syscalls `blocking` names its functions after, each block a stack of its own.
__attribute__((noinline)) static void wait_sleeping(void) {
    struct timespec twenty = {0, 20000000};
    nanosleep(&twenty, NULL);
}

__attribute__((noinline)) static void wait_reading(int descriptor) {
    char byte;
    if (read(descriptor, &byte, 1) != 1) exit(1);
}

static int requests[2], answers[2];

/// Answers each request 20 ms late: what `wait_reading` waits for.
static void *answering_thread(void *unused) {
    (void)unused;
    char byte;
    while (read(requests[0], &byte, 1) == 1) {
        struct timespec twenty = {0, 20000000};
        nanosleep(&twenty, NULL);
        if (write(answers[1], &byte, 1) != 1) exit(1);
    }
    return NULL;
}

/// `span_writer blocking SECONDS`: one thread off the CPU in two spans, blocked a different way in each.
static int blocking(double wall_seconds) {
    publish_process_context();
    if (pipe(requests) != 0 || pipe(answers) != 0) return 1;
    pthread_t thread;
    pthread_create(&thread, NULL, answering_thread, NULL);
    static __thread struct record first, second;
    first = make_record(1, 0, "first");
    second = make_record(2, 0, "second");
    double end_time = seconds(CLOCK_MONOTONIC) + wall_seconds;
    while (seconds(CLOCK_MONOTONIC) < end_time) {
        span_context_set(&first);
        wait_sleeping();
        span_context_set(&second);
        if (write(requests[1], "x", 1) != 1) return 1;
        wait_reading(answers[0]);
    }
    span_context_set(NULL);
    close(requests[1]);
    pthread_join(thread, NULL);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    int takes_seconds = strcmp(mode, "where") != 0 && strcmp(mode, "steps") != 0;
    if (argc != (takes_seconds ? 3 : 2)) {
        fprintf(stderr, "usage: span_writer spans|hostile|blocking SECONDS | span_writer where|steps\n");
        return 2;
    }
#ifdef LATE_LIBRARY
    // Loaded once the program runs: its TLS block may be dynamic (GLIBC_TUNABLES=glibc.rtld.optional_static_tls=0).
    char library[4096];
    snprintf(library, sizeof library, "%s", argv[0]);
    strcpy(strrchr(library, '/') + 1, "libspan_context.so");
    void *handle = dlopen(library, RTLD_NOW);
    if (!handle || !(span_context_set = (void (*)(const void *))dlsym(handle, "span_context_set"))
        || !(span_context_offset = (long (*)(void))dlsym(handle, "span_context_offset"))) {
        fprintf(stderr, "span_writer: %s\n", dlerror());
        return 1;
    }
#endif
    if (strcmp(argv[1], "where") == 0) {
        printf("%ld\n", span_context_offset());
        fflush(stdout);
        for (;;) pause();
    }
    if (strcmp(argv[1], "steps") == 0) return steps();
    if (strcmp(argv[1], "blocking") == 0) return blocking(atof(argv[2]));
    int hostile = strcmp(argv[1], "hostile") == 0;
    double end_time = now() + atof(argv[2]);
    publish_process_context();
    pthread_t thread;
    pthread_create(&thread, NULL, third_thread, NULL);

    static __thread struct record first, second, invalid, oversized, unknown_key;
    first = make_record(1, 0, "first");
    second = make_record(2, 0, "second");
    invalid = make_record(5, 0, "invalid");
    invalid.valid = 2;
    oversized = make_record(6, 0, "oversized");
    oversized.attrs_data_size = 700;
    unknown_key = make_record(4, 9, "unknown");
    const void *unmapped = (const void *)(uintptr_t)0x10000;
    while (now() < end_time) {
        if (hostile) {
            span_context_set(&invalid);
            hot_invalid(now() + 0.015);
            span_context_set(unmapped);
            hot_unmapped(now() + 0.015);
            span_context_set(&oversized);
            hot_oversized(now() + 0.015);
            span_context_set(&unknown_key);
            hot_unknown_key(now() + 0.015);
        } else {
            span_context_set(&first);
            hot_first(now() + 0.015);
            span_context_set(&second);
            hot_second(now() + 0.015);
        }
    }
    span_context_set(NULL);
    done = 1;
    pthread_join(thread, NULL);
    return 0;
}
