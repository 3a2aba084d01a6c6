#include "PerfShims.h"
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int hr_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd, unsigned long flags) {
    return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

int hr_perf_event_set_period(int descriptor, uint64_t period) {
    return ioctl(descriptor, PERF_EVENT_IOC_PERIOD, &period);
}

uint64_t hr_perf_read_head(const struct perf_event_mmap_page *page) {
    return __atomic_load_n(&page->data_head, __ATOMIC_ACQUIRE);
}

void hr_perf_write_tail(struct perf_event_mmap_page *page, uint64_t tail) {
    __atomic_store_n(&page->data_tail, tail, __ATOMIC_RELEASE);
}
