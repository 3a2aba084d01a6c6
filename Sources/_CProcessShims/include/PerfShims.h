#ifndef HYBRID_RUN_PERF_SHIMS_H
#define HYBRID_RUN_PERF_SHIMS_H

// perf_event_open's attribute and record layouts, and the x86 register numbers of PERF_SAMPLE_REGS_USER.
#include <linux/perf_event.h>
#include <asm/perf_regs.h>
#include <stdint.h>
#include <sys/types.h>

/// `perf_event_open(2)`. Why C: glibc has no wrapper, and `syscall` is variadic, which Swift cannot call.
/// Returns the new descriptor, or -1 with `errno` set.
int hr_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd, unsigned long flags);

/// `ioctl(descriptor, PERF_EVENT_IOC_PERIOD, &period)`. Why C: the request number is a function-like macro
/// (`_IOW`), which Swift does not import. Returns 0, or -1 with `errno` set.
int hr_perf_event_set_period(int descriptor, uint64_t period);

/// The ring buffer's `data_head`, read with acquire ordering. Why C: the kernel advances it concurrently
/// in the mapped page, and Swift has no atomic access to foreign memory without a package we do not use.
uint64_t hr_perf_read_head(const struct perf_event_mmap_page *page);

/// Stores `data_tail` with release ordering: the records before it may now be overwritten by the kernel.
void hr_perf_write_tail(struct perf_event_mmap_page *page, uint64_t tail);

/// Starts loading the cache line at `address` for reading (`__builtin_prefetch`, which Swift has no word for).
static inline void hr_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
