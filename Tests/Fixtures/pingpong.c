// pingpong: two threads bounce a byte over two pipes ROUNDS times, the main thread busy for WORK_US microseconds of
// its CPU between round trips (0: as fast as the pipes go); every round trip is two voluntary context switches and
// two wake-ups. Prints the round trips' elapsed seconds alone on stdout (self-timed, for the benchmarks), and the
// rate of switches on stderr.
//
// Build: gcc -O2 -pthread -o pingpong pingpong.c
// Usage: pingpong [ROUNDS] [WORK_US]
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int a[2], b[2];
static long n;
static volatile unsigned long sink;

static double now(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *pong(void *unused) {
    char c;
    (void)unused;
    for (long i = 0; i < n; i++) {
        if (read(a[0], &c, 1) != 1) break;
        if (write(b[1], &c, 1) != 1) break;
    }
    return NULL;
}

int main(int argc, char **argv) {
    n = argc > 1 ? atol(argv[1]) : 100000;
    double work = argc > 2 ? atof(argv[2]) / 1e6 : 0;
    if (pipe(a) || pipe(b)) { perror("pipe"); return 1; }
    pthread_t t;
    pthread_create(&t, NULL, pong, NULL);
    double start = now(CLOCK_MONOTONIC);
    char c = 'x';
    for (long i = 0; i < n; i++) {
        if (work > 0) {
            double until = now(CLOCK_THREAD_CPUTIME_ID) + work;
            while (now(CLOCK_THREAD_CPUTIME_ID) < until) sink = sink * 6364136223846793005UL + 1;
        }
        if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) break;
    }
    double elapsed = now(CLOCK_MONOTONIC) - start;
    pthread_join(t, NULL);
    printf("%.6f\n", elapsed);
    fprintf(stderr, "pingpong: %ld round trips in %.3f s (%.0f switches/s)\n", n, elapsed, 2 * n / elapsed);
    return 0;
}
