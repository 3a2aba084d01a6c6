// ptrace_skid: where a ptrace stop lands in a thread that makes a system call every few microseconds, by how the stop
// is triggered (issue 10, target 6: the ptrace sampler's system-call bias). Prints one table row per mode.
//
// The child, pinned to CHILD_CPU, repeats: a busy loop (`spin`, ~2.5 µs), then clock_gettime(CLOCK_THREAD_CPUTIME_ID)
// (a real system call). It measures itself the share of its time outside `spin` (the truth). The tracer stops it
// SAMPLES times, 10 ms apart, and counts the stops whose instruction pointer is outside `spin`.
//
// Modes:
//   remote        the tracer, on TRACER_CPU, sends PTRACE_INTERRUPT (what hybrid-run's Tracer does)
//   same-cpu      the tracer runs on the child's CPU: its own timer preempts the child, which stops where preempted
//   kicker-fifo   a SCHED_FIFO thread pinned to the child's CPU wakes on its own timer (a local interrupt), preempts
//                 the child there, and holds the CPU until the tracer, on TRACER_CPU, has sent PTRACE_INTERRUPT
//   kicker-normal the same kicker at normal priority
//
// Build: cc -O2 -pthread -o ptrace_skid ptrace_skid.c      Usage (root for kicker-fifo): ptrace_skid SAMPLES TRACER_CPU CHILD_CPU
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

__attribute__((noinline)) static void spin(void) {
    uint64_t x = sink;
    for (int i = 0; i < 2000; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = x;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// The child: spin, read the thread's CPU clock, and every 2^16 rounds write the share outside spin to `report`.
static void child_main(int cpu, int report) {
    pin(cpu);
    int64_t start = now_ns(), in_spin = 0;
    for (uint64_t round = 1;; round++) {
        int64_t before = now_ns();
        spin();
        in_spin += now_ns() - before;
        struct timespec t;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        if ((round & 0xffff) == 0) {
            double outside = 100.0 * (1.0 - (double)in_spin / (double)(now_ns() - start));
            (void)!pwrite(report, &outside, sizeof outside, 0);
        }
    }
}

static int kick_cpu, kick_fifo, kicked_fd;
static atomic_int kicker_holds, released;

// Wakes every 10 ms on its own CPU's timer, tells the tracer, and keeps the CPU until the tracer has interrupted.
static void *kicker(void *unused) {
    (void)unused;
    pin(kick_cpu);
    struct sched_param parameters = { .sched_priority = 1 };
    if (kick_fifo && pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) != 0) {
        fprintf(stderr, "ptrace_skid: SCHED_FIFO refused (run as root)\n");
        exit(2);
    }
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        next.tv_nsec += 10000000;
        if (next.tv_nsec >= 1000000000) { next.tv_nsec -= 1000000000; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        atomic_store(&kicker_holds, 1);
        uint64_t one = 1;
        (void)!write(kicked_fd, &one, sizeof one);
        while (!atomic_load(&released)) {}
        atomic_store(&released, 0);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: ptrace_skid remote|same-cpu|kicker-fifo|kicker-normal SAMPLES TRACER_CPU CHILD_CPU\n");
        return 2;
    }
    const char *mode = argv[1];
    int samples = atoi(argv[2]), tracer_cpu = atoi(argv[3]), child_cpu = atoi(argv[4]);
    int same = strcmp(mode, "same-cpu") == 0, kick = strncmp(mode, "kicker", 6) == 0;
    char path[] = "/tmp/ptrace_skid.XXXXXX";
    int report = mkstemp(path);
    unlink(path);
    pid_t child = fork();
    if (child == 0) child_main(child_cpu, report);
    pin(same ? child_cpu : tracer_cpu);
    if (ptrace(PTRACE_SEIZE, child, 0, 0) != 0) { perror("PTRACE_SEIZE"); return 1; }
    usleep(200000);
    if (kick) {
        kick_cpu = child_cpu;
        kick_fifo = strcmp(mode, "kicker-fifo") == 0;
        kicked_fd = eventfd(0, 0);
        pthread_t thread;
        pthread_create(&thread, NULL, kicker, NULL);
    }
    uintptr_t spin_start = (uintptr_t)spin, spin_end = spin_start + 256;
    int outside = 0;
    for (int i = 0; i < samples; i++) {
        if (kick) {
            uint64_t value;
            (void)!read(kicked_fd, &value, sizeof value);
            while (!atomic_load(&kicker_holds)) {}
            atomic_store(&kicker_holds, 0);
        } else {
            usleep(10000);
        }
        ptrace(PTRACE_INTERRUPT, child, 0, 0);
        if (kick) atomic_store(&released, 1);
        int status;
        waitpid(child, &status, __WALL);
        struct user_regs_struct registers;
        ptrace(PTRACE_GETREGS, child, 0, &registers);
        if (registers.rip < spin_start || registers.rip >= spin_end) outside++;
        ptrace(PTRACE_CONT, child, 0, 0);
    }
    double truth = 0;
    (void)!pread(report, &truth, sizeof truth, 0);
    printf("| %s | %d | %.1f | %.1f |\n", mode, samples, truth, 100.0 * outside / samples);
    kill(child, SIGKILL);
    return 0;
}
