// The floor under the perf-event reader's CPU per sample when it reads spans (issue 12): what a reader that does
// nothing but wake at every sample costs on this machine. Two busy threads of a child are sampled with task-clock at
// RATE Hz per CPU, `wakeup_events = 1`, as PerfEventSet opens them; the reader runs SCHED_FIFO as PerfSampler's does
// once it listens, and at each wake-up polls, walks the new records and reads 28 bytes of the child per sample (one
// `process_vm_readv`, as one record read is). Whatever hybrid-run spends per sample above this is its own work.
//
//   perf_wake_floor RATE SECONDS   ->   "wake floor: 61.2 us of CPU per wake-up (333 wake-ups, 332 samples)"
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { dataPages = 16, maximumCPUs = 256 };
static volatile unsigned long spin;

static long long now(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *busy(void *end) {
    while (now(CLOCK_MONOTONIC) < *(long long *)end) for (int i = 0; i < 100000; i++) spin++;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3 || atoi(argv[1]) <= 0 || atoi(argv[2]) <= 0) {
        fprintf(stderr, "usage: perf_wake_floor RATE SECONDS\n");
        return 2;
    }
    int rate = atoi(argv[1]), seconds = atoi(argv[2]);
    int gate[2];
    if (pipe(gate) != 0) return perror("pipe"), 1;
    pid_t child = fork();
    if (child == 0) {
        char go;
        if (read(gate[0], &go, 1) != 1) _exit(1);
        long long end = now(CLOCK_MONOTONIC) + seconds * 1000000000LL;
        pthread_t second;
        pthread_create(&second, NULL, busy, &end);
        busy(&end);
        pthread_join(second, NULL);
        _exit(0);
    }
    long page = sysconf(_SC_PAGESIZE);
    int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus > maximumCPUs) cpus = maximumCPUs;
    struct pollfd polled[maximumCPUs];
    char *buffers[maximumCPUs];
    for (int cpu = 0; cpu < cpus; cpu++) {
        struct perf_event_attr attributes = {0};
        attributes.size = sizeof attributes;
        attributes.type = PERF_TYPE_SOFTWARE;
        attributes.config = PERF_COUNT_SW_TASK_CLOCK;
        attributes.sample_period = 1000000000 / rate;
        attributes.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
        attributes.inherit = 1;
        attributes.exclude_kernel = 1;
        attributes.wakeup_events = 1;
        int descriptor = (int)syscall(SYS_perf_event_open, &attributes, child, cpu, -1, 0);
        if (descriptor < 0) return perror("perf_event_open"), kill(child, SIGKILL), 1;
        buffers[cpu] = mmap(NULL, (1 + dataPages) * page, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0);
        if (buffers[cpu] == MAP_FAILED) return perror("mmap"), kill(child, SIGKILL), 1;
        polled[cpu] = (struct pollfd){.fd = descriptor, .events = POLLIN};
    }
    struct sched_param priority = {.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO, &priority) != 0) perror("SCHED_FIFO refused, measuring at normal priority");
    if (write(gate[1], "g", 1) != 1) return perror("write"), 1;
    long long start = now(CLOCK_THREAD_CPUTIME_ID);
    long wakes = 0, samples = 0;
    char record[28];
    while (waitpid(child, NULL, WNOHANG) == 0) {
        if (poll(polled, cpus, 100) <= 0) continue;
        wakes++;
        for (int cpu = 0; cpu < cpus; cpu++) {
            if (polled[cpu].revents & (POLLHUP | POLLERR)) polled[cpu].fd = -1;
            struct perf_event_mmap_page *metadata = (void *)buffers[cpu];
            unsigned long long head = __atomic_load_n(&metadata->data_head, __ATOMIC_ACQUIRE), tail = metadata->data_tail;
            while (tail < head) {
                struct perf_event_header *header = (void *)(buffers[cpu] + page + tail % (dataPages * page));
                if (header->type == PERF_RECORD_SAMPLE) {
                    samples++;
                    struct iovec local = {record, sizeof record}, remote = {(void *)&spin, sizeof record};
                    process_vm_readv(child, &local, 1, &remote, 1, 0);
                }
                tail += header->size;
            }
            __atomic_store_n(&metadata->data_tail, tail, __ATOMIC_RELEASE);
        }
    }
    double used = (now(CLOCK_THREAD_CPUTIME_ID) - start) / 1e3;
    printf("wake floor: %.1f us of CPU per wake-up (%ld wake-ups, %ld samples)\n", used / (wakes ? wakes : 1), wakes, samples);
    return 0;
}
