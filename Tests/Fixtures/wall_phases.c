// wall_phases: the --wall exactness fixture of issue 11.
//
// Thread "worker" repeats, for DURATION seconds (default 4):
//   compute_phase  20 ms of its own CPU time (a busy loop; CPU time, so a busy machine stretches it in wall time)
//   sleep_phase    20 ms in nanosleep
//   read_phase     ~20 ms blocked in read(2) on a pipe the "feeder" thread writes 20 ms later
//   lock_phase     ~20 ms blocked in pthread_mutex_lock on a mutex the feeder holds for 20 ms
// Thread "idle" is blocked in poll(2) on a pipe for the whole run (released at the end).
// Thread "feeder" serves the worker's read and lock phases (mostly asleep in nanosleep/read).
//
// At exit it prints to stderr the true wall time of each phase and of the idle thread's poll, measured with
// CLOCK_MONOTONIC around each phase, and the worker's CPU time, as one line of key=value pairs (nanoseconds),
// so the benchmark compares the profile's shares with what really happened, not with the nominal 25 %.
//
// Build: gcc -O2 -g -pthread -o wall_phases wall_phases.c
// Usage: wall_phases [SECONDS] [PHASE_MS]
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static long phase_ns = 20L * 1000 * 1000;
static int to_feeder[2], from_feeder[2], idle_pipe[2];
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t sink;

static int64_t now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_ns(long ns) {
    struct timespec t = { ns / 1000000000, ns % 1000000000 };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

static void read_byte(int fd) {
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR) {}
}

static void write_byte(int fd, char c) {
    while (write(fd, &c, 1) < 0 && errno == EINTR) {}
}

__attribute__((noinline)) static void compute_phase(void) {
    int64_t end = now_ns(CLOCK_THREAD_CPUTIME_ID) + phase_ns;
    uint64_t x = sink;
    while (now_ns(CLOCK_THREAD_CPUTIME_ID) < end) {
        for (int i = 0; i < 2000; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    sink = x;
}

__attribute__((noinline)) static void sleep_phase(void) { sleep_ns(phase_ns); }

__attribute__((noinline)) static void read_phase(void) {
    write_byte(to_feeder[1], 'r');
    read_byte(from_feeder[0]);          // the feeder writes after phase_ns
}

__attribute__((noinline)) static void lock_phase(void) {
    write_byte(to_feeder[1], 'm');
    read_byte(from_feeder[0]);          // ack: the feeder holds the mutex now
    pthread_mutex_lock(&held);          // blocked until the feeder unlocks, phase_ns after locking
    pthread_mutex_unlock(&held);
}

static void *feeder(void *unused) {
    (void)unused;
    prctl(PR_SET_NAME, "feeder");
    for (;;) {
        char c;
        if (read(to_feeder[0], &c, 1) != 1) return NULL;
        if (c == 'r') {
            sleep_ns(phase_ns);
            write_byte(from_feeder[1], 'x');
        } else if (c == 'm') {
            pthread_mutex_lock(&held);
            write_byte(from_feeder[1], 'x');
            sleep_ns(phase_ns);
            pthread_mutex_unlock(&held);
        } else {
            return NULL;
        }
    }
}

static int64_t idle_wall;

__attribute__((noinline)) static void idle_wait(void) {
    struct pollfd p = { .fd = idle_pipe[0], .events = POLLIN };
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {}
}

static void *idle_thread(void *unused) {
    (void)unused;
    prctl(PR_SET_NAME, "idle");
    int64_t start = now_ns(CLOCK_MONOTONIC);
    idle_wait();
    idle_wall = now_ns(CLOCK_MONOTONIC) - start;
    return NULL;
}

static void *worker(void *arg) {
    int64_t seconds = *(int64_t *)arg;
    prctl(PR_SET_NAME, "worker");
    int64_t totals[4] = {0};
    void (*phases[4])(void) = { compute_phase, sleep_phase, read_phase, lock_phase };
    int64_t start = now_ns(CLOCK_MONOTONIC), end = start + seconds * 1000000000;
    long cycles = 0;
    while (now_ns(CLOCK_MONOTONIC) < end) {
        for (int i = 0; i < 4; i++) {
            int64_t t0 = now_ns(CLOCK_MONOTONIC);
            phases[i]();
            totals[i] += now_ns(CLOCK_MONOTONIC) - t0;
        }
        cycles++;
    }
    int64_t wall = now_ns(CLOCK_MONOTONIC) - start;
    int64_t sum = totals[0] + totals[1] + totals[2] + totals[3];
    fprintf(stderr, "wall_phases: cycles=%ld worker_wall=%lld worker_cpu=%lld compute=%lld sleep=%lld read=%lld lock=%lld"
            " shares=%.1f/%.1f/%.1f/%.1f",
            cycles, (long long)wall, (long long)now_ns(CLOCK_THREAD_CPUTIME_ID), (long long)totals[0],
            (long long)totals[1], (long long)totals[2], (long long)totals[3],
            100.0 * totals[0] / sum, 100.0 * totals[1] / sum, 100.0 * totals[2] / sum, 100.0 * totals[3] / sum);
    return NULL;
}

int main(int argc, char **argv) {
    int64_t seconds = argc > 1 ? atoll(argv[1]) : 4;
    if (argc > 2) phase_ns = atol(argv[2]) * 1000000L;
    if (pipe(to_feeder) || pipe(from_feeder) || pipe(idle_pipe)) { perror("pipe"); return 1; }
    int64_t start = now_ns(CLOCK_MONOTONIC);
    pthread_t w, f, i;
    pthread_create(&i, NULL, idle_thread, NULL);
    pthread_create(&f, NULL, feeder, NULL);
    pthread_create(&w, NULL, worker, &seconds);
    pthread_join(w, NULL);
    write_byte(idle_pipe[1], 'q');      // release the idle thread
    write_byte(to_feeder[1], 'q');
    pthread_join(i, NULL);
    pthread_join(f, NULL);
    fprintf(stderr, " idle_poll=%lld run_wall=%lld\n", (long long)idle_wall, (long long)(now_ns(CLOCK_MONOTONIC) - start));
    return 0;
}
