// CPU-bound workloads with known hot functions, for the profiler's tests and benchmark.
// Built with -O2 -fomit-frame-pointer so that only DWARF CFI can unwind them.
//
//   workload split SECONDS            3/4 of the time under hot_three_quarters, 1/4 under hot_one_quarter
//   workload periodic ROUND_US SECONDS the same split in rounds of exactly ROUND_US µs of CPU time, each round
//                                     starting on a fixed grid (no drift): what a fixed sampling period aliases with
//   workload threads N SECONDS        N threads named worker-0.. spinning in thread_spin
// (SECONDS of each thread's own CPU time for split, threads and shares: as many samples on a loaded machine as on an idle one)
//   workload deep DEPTH ITERATIONS THREADS
//                                     fixed work under DEPTH recursive frames per thread; prints the
//                                     elapsed seconds on stdout (self-timed, for the benchmark);
//                                     THREADS 0 works on the main thread
//   workload sort SECONDS             sorts with qsort, whose comparison function is compare_values: libc
//                                     calls back into the program (stacks program → libc → program)
//   workload noreturn SECONDS         spins under never_returns, whose call of a noreturn function is its last
//                                     instruction (the return address lies past its end), then exits
//   workload sleep SECONDS            sleeps (for job-control and kill tests)
//   workload foreignstack SECONDS     spins with its stack pointer off its stack: unmapped, at the top of
//                                     the address space, in heap blocks of pointers into themselves or into
//                                     its own code, misaligned (what a sampler must survive)
//   workload idle N SECONDS           N threads (any number) blocked in poll for SECONDS, each waking once a
//                                     second for a few µs of work: a large idle pool (a server's, a runtime's)
//   workload shares PERCENT SECONDS   PERCENT of the work in variable_share, the rest in remaining_share, each
//                                     working in its own frame (self and total time alike), for SECONDS of
//                                     its CPU time: the diff's fixtures (the same PERCENT twice; 25 then 40)
//   workload startup CHILDREN         forks CHILDREN short processes one after another, each spending 2 ms of its own
//                                     CPU time in early_phase, then 8 ms in late_phase (both scaled by one random
//                                     0.8–1.2 per child): 20 % and 80 % of their CPU time, in processes living 2.5
//                                     periods at 250 Hz, where a sampler whose count starts at each fork is biased
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

// Per thread: a shared variable written by every thread would make them contend for its cache line, and
// any pause of one thread (such as a profiler's stop) would then speed the others up.
static __thread volatile unsigned long sink;

static double seconds_on(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double now(void) { return seconds_on(CLOCK_MONOTONIC); }
// The calling thread's CPU time: it stands still while the thread waits for a CPU or is stopped, so work
// measured in it is the same, in the same proportions, on a busy machine as on an idle one.
static double cpu_now(void) { return seconds_on(CLOCK_THREAD_CPUTIME_ID); }

// Spins until the thread's CPU time reaches `deadline` (reading it is a system call: once every ~10 µs).
__attribute__((noinline)) static void spin_until(double deadline) {
    while (cpu_now() < deadline) {
        for (int i = 0; i < 10000; i++) sink += i * 7;
    }
}

__attribute__((noinline)) void hot_three_quarters(double seconds) { spin_until(cpu_now() + seconds); }
__attribute__((noinline)) void hot_one_quarter(double seconds) { spin_until(cpu_now() + seconds); }
__attribute__((noinline)) void hot_three_quarters_until(double deadline) { spin_until(deadline); }
__attribute__((noinline)) void hot_one_quarter_until(double deadline) { spin_until(deadline); }

// Each round lasts a random 2–6 ms, split 3:1: rounds of one fixed length would be sampled at the same phase
// by any sampler whose period is a multiple of it (a 4 ms round under a 4.04 ms period got 0 % or 100 % in
// hot_three_quarters), and this workload is for testing what a profile says, not aliasing.
static void split(double seconds) {
    unsigned seed = (unsigned)getpid() ^ (unsigned)(now() * 1e9);
    double end = cpu_now() + seconds;
    while (cpu_now() < end) {
        double round = 0.002 + 0.004 * rand_r(&seed) / RAND_MAX;
        hot_three_quarters(round * 0.75);
        hot_one_quarter(round * 0.25);
    }
}

// Round k runs from start + k·round to start + (k + 1)·round of the thread's CPU time, wherever the previous
// round ended: a sampler whose period equals the round sees the same phase of every round.
static void periodic(double round, double seconds) {
    double start = cpu_now();
    for (long k = 0; k * round < seconds; k++) {
        hot_three_quarters_until(start + k * round + round * 0.75);
        hot_one_quarter_until(start + (k + 1) * round);
    }
}

// A fixed amount of CPU work, inlined into each caller so that the caller's own frame is where the samples land.
// Counted in work, not time: a time-based split drifts when the machine is loaded (a thread descheduled in one
// function loses that function's time), a split of work does not.
__attribute__((always_inline)) static inline void work_here(long units) {
    for (long i = 0; i < units * 100; i++) sink += i * 7;
}

__attribute__((noinline)) void variable_share(long units) { work_here(units); }
__attribute__((noinline)) void remaining_share(long units) { work_here(units); }

// Each round is a random 0.5 to 1.5 times 10000 units (about a millisecond): rounds of one fixed length would
// phase-lock with a sampler's fixed period and show whichever function the samples keep landing in.
static void shares(long percent, double seconds) {
    double end = cpu_now() + seconds;
    unsigned long random = 88172645463325252UL;
    while (cpu_now() < end) {
        random ^= random << 13, random ^= random >> 7, random ^= random << 17;
        long scale = 50 + (long)(random % 101);
        variable_share(percent * scale);
        remaining_share((100 - percent) * scale);
    }
}

__attribute__((noinline)) void early_phase(double seconds) { spin_until(cpu_now() + seconds); }
__attribute__((noinline)) void late_phase(double seconds) { spin_until(cpu_now() + seconds); }

// One child at a time, so each starts on whichever CPU is free, as the processes of a build do.
static void startup(int children) {
    unsigned seed = (unsigned)getpid() ^ (unsigned)(now() * 1e9);
    for (int i = 0; i < children; i++) {
        double scale = 0.8 + 0.4 * rand_r(&seed) / RAND_MAX;
        pid_t child = fork();
        if (child == 0) {
            early_phase(0.002 * scale);
            late_phase(0.008 * scale);
            _exit(0);
        }
        if (child < 0 || waitpid(child, NULL, 0) != child) {
            perror("workload startup");
            exit(1);
        }
    }
}

struct spin_args { int index; double seconds; };

__attribute__((noinline)) void thread_spin(double seconds) { spin_until(cpu_now() + seconds); }

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

__attribute__((noinline)) void idle_wait(int milliseconds) { poll(NULL, 0, milliseconds); }

static void *idle_thread(void *raw) {
    double end = *(const double *)raw;
    while (now() < end) {
        idle_wait(1000);
        for (int i = 0; i < 1000; i++) sink += i;
    }
    return NULL;
}

static void idle(int count, double seconds) {
    pthread_t *ids = calloc(count, sizeof *ids);
    static double end;
    end = now() + seconds;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 64 * 1024);
    for (int i = 0; i < count; i++) {
        if (pthread_create(&ids[i], &attributes, idle_thread, &end) != 0) {
            fprintf(stderr, "workload: thread %d of %d could not be created\n", i + 1, count);
            exit(1);
        }
    }
    for (int i = 0; i < count; i++) pthread_join(ids[i], NULL);
    free(ids);
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

// Spins `iterations` (> 0) times with the stack pointer at `sp`. Nothing in the loop touches the stack, so
// the program runs on while a sampler's interrupt or stop finds a stack pointer that is not a stack.
__attribute__((noinline)) void spin_on_foreign_stack(unsigned long sp, unsigned long iterations) {
    __asm__ volatile(
        "mov %%rsp, %%r11\n\t"
        "mov %[sp], %%rsp\n"
        "1:\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        "mov %%r11, %%rsp\n\t"
        : [n] "+r"(iterations)
        : [sp] "r"(sp)
        : "r11", "cc", "memory");
}

static void foreign_stack(double seconds) {
    enum { words = 8192 };
    unsigned long *self_pointers = malloc(words * sizeof(unsigned long));
    unsigned long *code_pointers = malloc(words * sizeof(unsigned long));
    for (int i = 0; i < words; i++) {
        self_pointers[i] = (unsigned long)&self_pointers[i];
        code_pointers[i] = (unsigned long)&spin_on_foreign_stack + 8;
    }
    unsigned long middle = words / 2 * sizeof(unsigned long);
    const unsigned long stacks[] = {
        0x10, 0xfffffffffffffff0UL, (unsigned long)self_pointers + middle, (unsigned long)code_pointers + middle,
        (unsigned long)code_pointers + middle + 3,
    };
    double end = now() + seconds;
    for (unsigned long round = 0; now() < end; round++) {
        spin_on_foreign_stack(stacks[round % (sizeof stacks / sizeof stacks[0])], 5000000);
    }
    free(self_pointers);
    free(code_pointers);
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "split") == 0) split(atof(argv[2]));
    else if (argc >= 4 && strcmp(argv[1], "periodic") == 0) periodic(atof(argv[2]) / 1e6, atof(argv[3]));
    else if (argc >= 4 && strcmp(argv[1], "threads") == 0) threads(atoi(argv[2]), atof(argv[3]));
    else if (argc >= 5 && strcmp(argv[1], "deep") == 0) deep(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
    else if (argc >= 3 && strcmp(argv[1], "sort") == 0) sort(atof(argv[2]));
    else if (argc >= 3 && strcmp(argv[1], "noreturn") == 0) never_returns(atof(argv[2]));
    else if (argc >= 4 && strcmp(argv[1], "idle") == 0) idle(atoi(argv[2]), atof(argv[3]));
    else if (argc >= 4 && strcmp(argv[1], "shares") == 0) shares(atol(argv[2]), atof(argv[3]));
    else if (argc >= 3 && strcmp(argv[1], "startup") == 0) startup(atoi(argv[2]));
    else if (argc >= 3 && strcmp(argv[1], "sleep") == 0) usleep((useconds_t)(atof(argv[2]) * 1e6));
    else if (argc >= 3 && strcmp(argv[1], "foreignstack") == 0) foreign_stack(atof(argv[2]));
    else {
        fprintf(stderr, "usage: workload split|periodic|threads|deep|idle|sort|noreturn|shares|startup|sleep|foreignstack ...\n");
        return 2;
    }
    return 0;
}
