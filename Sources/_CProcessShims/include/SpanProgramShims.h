#ifndef HYBRID_RUN_SPAN_PROGRAM_SHIMS_H
#define HYBRID_RUN_SPAN_PROGRAM_SHIMS_H

// The eBPF program that reads a sampled thread's OTEP 4947 record inside the sample's own interrupt, the maps it
// uses, and the ring buffer it writes to (Sampling's `KernelSpanReader`).
#include <stddef.h>
#include <stdint.h>

/// Where the program finds a process's `otel_thread_ctx_v1` pointer (the value of its map, keyed by the process id).
struct hr_span_location {
    /// `HR_SPAN_LOCATION_STATIC`: at the thread pointer + `offset`; `HR_SPAN_LOCATION_MODULE`: at `offset` in module
    /// `module`'s dynamic TLS block, found through the thread's DTV as glibc's `__tls_get_addr` does.
    uint64_t kind;
    int64_t offset;
    uint64_t module;
};
#define HR_SPAN_LOCATION_STATIC 1
#define HR_SPAN_LOCATION_MODULE 2

/// OTEP 4947's record: its fixed part (trace-id[16], span-id[8], valid, trace-flags, attrs-data-size) and the
/// attribute bytes a reader reads at most (Swift's `ThreadContextRecord` has the same two numbers).
#define HR_SPAN_RECORD_HEADER 28
#define HR_SPAN_RECORD_ATTRIBUTES 640

/// What the program writes per sample of a process in its map: the thread, when (CLOCK_MONOTONIC ns, read in the
/// same interrupt just before the kernel times the sample), what it found and the record's bytes.
struct hr_span_entry {
    uint32_t pid;
    uint32_t tid;
    uint32_t status;
    uint32_t reserved;
    uint64_t time;
    uint64_t record_address;
    /// trace-id[16], span-id[8], valid, trace-flags, attrs-data-size, then up to 640 bytes of attributes.
    uint8_t record[HR_SPAN_RECORD_HEADER + HR_SPAN_RECORD_ATTRIBUTES];
};
/// The record was read: its fixed part, and its attributes when `attrs-data-size` is at most 640.
#define HR_SPAN_READ 0
/// The thread's variable could not be found: its dynamic TLS block is not allocated yet, or unreadable.
#define HR_SPAN_UNLOCATED 1
/// The pointer leads to memory that cannot be read, or is odd.
#define HR_SPAN_UNREADABLE 2

/// A `bpf(BPF_MAP_CREATE)` map: the locations (hash, pid → `struct hr_span_location`, up to `entries`) when `ring` is
/// 0, else the ring buffer of `entries` bytes (a power of 2 pages). Returns the descriptor, or -1 with `errno` set.
/// Why C: `bpf(2)` has no glibc wrapper and `syscall` is variadic.
int hr_span_map_create(int ring, uint32_t entries);

/// Sets (`location` non-null) or deletes the location of process `pid`. Returns 0, or -1 with `errno` set.
int hr_span_location_set(int map, uint32_t pid, const struct hr_span_location *location);

/// Loads the program for maps `locations` and `ring`, with `fsbase_offset` the offset of `thread.fsbase` in the
/// kernel's `struct task_struct` (from its BTF). Returns the program's descriptor, or -1 with `errno` set and the
/// verifier's log in `log` (NUL-terminated; its reason is in its last lines).
int hr_span_program_load(int locations, int ring, uint32_t fsbase_offset, char *log, size_t log_size);

/// `ioctl(event, PERF_EVENT_IOC_SET_BPF, program)`. Why C: the request number is a function-like macro.
int hr_perf_event_set_program(int event, int program);

/// The ring's producer position (acquire) and a record's length word (acquire: the program commits a record by
/// clearing its busy bit); the consumer position, stored with release ordering once records are read.
uint64_t hr_span_ring_producer(const void *producer_page);
/// The bits of a record's length word (linux/bpf.h's `BPF_RINGBUF_BUSY_BIT` and `BPF_RINGBUF_DISCARD_BIT`): being
/// written, and discarded by the program.
#define HR_SPAN_RING_BUSY 0x80000000u
#define HR_SPAN_RING_DISCARDED 0x40000000u
uint32_t hr_span_ring_length(const void *record);
void hr_span_ring_consume(void *consumer_page, uint64_t position);

#endif
