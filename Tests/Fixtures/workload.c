// CPU-bound workloads with known hot functions, for the profiler's tests and benchmark.
// Built with -O2 -fomit-frame-pointer so that only DWARF CFI can unwind them.
//
//   workload split SECONDS            3/4 of the time under hot_three_quarters, 1/4 under hot_one_quarter
//   workload threads N SECONDS        N threads named worker-0.. spinning in thread_spin
//   workload deep DEPTH ITERATIONS THREADS
//                                     fixed work under DEPTH recursive frames per thread; prints the
//                                     elapsed seconds on stdout (self-timed, for the benchmark);
//                                     THREADS 0 works on the main thread
//   workload sort SECONDS             sorts with qsort, whose comparison function is compare_values: libc
//                                     calls back into the program (stacks program → libc → program)
//   workload noreturn SECONDS         spins under never_returns, whose call of a noreturn function is its last
//                                     instruction (the return address lies past its end), then exits
//   workload sleep SECONDS            sleeps (for job-control and kill tests)
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// Per thread: a shared variable written by every thread would make them contend for its cache line, and
// any pause of one thread (such as a profiler's stop) would then speed the others up.
static __thread volatile unsigned long sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void spin_until(double deadline) {
    while (now() < deadline) {
        for (int i = 0; i < 1000; i++) sink += i * 7;
    }
}

__attribute__((noinline)) void hot_three_quarters(double seconds) { spin_until(now() + seconds); }
__attribute__((noinline)) void hot_one_quarter(double seconds) { spin_until(now() + seconds); }

static void split(double seconds) {
    double end = now() + seconds;
    while (now() < end) {
        hot_three_quarters(0.003);
        hot_one_quarter(0.001);
    }
}

struct spin_args { int index; double seconds; };

__attribute__((noinline)) void thread_spin(double seconds) { spin_until(now() + seconds); }

static void *spin_thread(void *raw) {
    struct spin_args *args = raw;
    char name[16];
    snprintf(name, sizeof name, "worker-%d", args->index);
    pthread_setname_np(pthread_self(), name);
    thread_spin(args->seconds);
    return NULL;
}

static void threads(int count, double seconds) {
    pthread_t ids[64];
    struct spin_args args[64];
    if (count > 64) count = 64;
    for (int i = 0; i < count; i++) {
        args[i] = (struct spin_args){i, seconds};
        pthread_create(&ids[i], NULL, spin_thread, &args[i]);
    }
    for (int i = 0; i < count; i++) pthread_join(ids[i], NULL);
}

__attribute__((noinline)) unsigned long leaf_work(unsigned long iterations) {
    unsigned long x = sink;
    for (unsigned long i = 0; i < iterations; i++) x = x * 6364136223846793005UL + i;
    return x;
}

// The store after the call keeps every level a real frame (no tail call, no recursion turned into a loop).
__attribute__((noinline)) unsigned long recurse(int depth, unsigned long iterations) {
    unsigned long result = depth <= 1 ? leaf_work(iterations) : recurse(depth - 1, iterations);
    sink += depth;
    return result;
}

struct deep_args { int depth; long iterations; };

static void *deep_thread(void *raw) {
    struct deep_args *args = raw;
    for (long i = 0; i < args->iterations; i++) sink += recurse(args->depth, 100000);
    return NULL;
}

static void deep(int depth, long iterations, int count) {
    pthread_t ids[64];
    struct deep_args args = {depth, iterations};
    if (count > 64) count = 64;
    double start = now();
    if (count == 0) deep_thread(&args);
    for (int i = 0; i < count; i++) pthread_create(&ids[i], NULL, deep_thread, &args);
    for (int i = 0; i < count; i++) pthread_join(ids[i], NULL);
    printf("%.6f\n", now() - start);
}

__attribute__((noinline)) static int compare_values(const void *left, const void *right) {
    unsigned long a = *(const unsigned long *)left, b = *(const unsigned long *)right;
    for (int i = 0; i < 16; i++) sink += i;
    return (a > b) - (a < b);
}

static void sort(double seconds) {
    static unsigned long values[4096];
    unsigned long next = 1;
    double end = now() + seconds;
    while (now() < end) {
        for (int i = 0; i < 4096; i++) values[i] = next = next * 6364136223846793005UL + 1442695040888963407UL;
        qsort(values, 4096, sizeof values[0], compare_values);
    }
}

__attribute__((noreturn, noinline)) static void spin_then_exit(double seconds) {
    spin_until(now() + seconds);
    exit(0);
}

__attribute__((noinline)) void never_returns(double seconds) { spin_then_exit(seconds); }

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "split") == 0) split(atof(argv[2]));
    else if (argc >= 4 && strcmp(argv[1], "threads") == 0) threads(atoi(argv[2]), atof(argv[3]));
    else if (argc >= 5 && strcmp(argv[1], "deep") == 0) deep(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
    else if (argc >= 3 && strcmp(argv[1], "sort") == 0) sort(atof(argv[2]));
    else if (argc >= 3 && strcmp(argv[1], "noreturn") == 0) never_returns(atof(argv[2]));
    else if (argc >= 3 && strcmp(argv[1], "sleep") == 0) usleep((useconds_t)(atof(argv[2]) * 1e6));
    else {
        fprintf(stderr, "usage: workload split|threads|deep|sort|noreturn|sleep ...\n");
        return 2;
    }
    return 0;
}
