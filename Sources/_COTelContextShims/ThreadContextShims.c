#include "ThreadContextShims.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

_Static_assert(offsetof(hr_thread_context_record, valid) == 24, "OTEP 4947: valid follows trace-id and span-id");
_Static_assert(offsetof(hr_thread_context_record, attrs_data_size) == 26, "OTEP 4947: attrs-data-size at 26");
_Static_assert(offsetof(hr_thread_context_record, attrs_data) == 28, "OTEP 4947: the fixed part is 28 bytes");
_Static_assert(sizeof(hr_thread_context_record) == 288, "records stay 2-byte aligned and packed in the array");

/// The OTEP's TLS variable: the active record of this thread, or NULL. Exported in `.dynsym` by the executables'
/// linker flag (`--export-dynamic-symbol`, Package.swift). Written only through `publish`.
__attribute__((visibility("default"))) __thread const hr_thread_context_record *otel_thread_ctx_v1 = NULL;

/// This thread's records, one per nesting level, and how many levels are open (which may exceed the records).
static __thread struct {
    uint32_t depth;
    hr_thread_context_record records[HR_THREAD_CONTEXT_LEVELS];
} thread_spans;

/// Swaps the TLS pointer: a volatile store between compiler fences, so no write to a record is moved after it
/// and none of the next record's before it (the OTEP's "Publication Protocol"; no CPU fence is needed because
/// readers only read a stopped or interrupted thread).
static inline void publish(const hr_thread_context_record *record) {
    atomic_signal_fence(memory_order_seq_cst);
    *(const hr_thread_context_record *volatile *)&otel_thread_ctx_v1 = record;
    atomic_signal_fence(memory_order_seq_cst);
}

/// The record active at `depth` open levels: the deepest one that has a record, or none.
static inline const hr_thread_context_record *record_at_depth(uint32_t depth) {
    if (depth == 0) return NULL;
    uint32_t level = depth < HR_THREAD_CONTEXT_LEVELS ? depth : HR_THREAD_CONTEXT_LEVELS;
    return &thread_spans.records[level - 1];
}

uint32_t hr_thread_context_push(const uint8_t *trace_id, const uint8_t *span_id, uint8_t trace_flags,
                                uint8_t key, const uint8_t *value, uint8_t value_length, const void **owner) {
    *owner = &thread_spans;
    uint32_t level = thread_spans.depth;
    thread_spans.depth = level + 1;
    if (level >= HR_THREAD_CONTEXT_LEVELS) return level;
    // The record of this level is not the active one (the pointer is at the parent's), so it is rewritten in place.
    hr_thread_context_record *record = &thread_spans.records[level];
    memcpy(record->trace_id, trace_id, sizeof record->trace_id);
    memcpy(record->span_id, span_id, sizeof record->span_id);
    record->valid = 1;
    record->trace_flags = trace_flags;
    record->attrs_data[0] = key;
    record->attrs_data[1] = value_length;
    if (value_length > 0) memcpy(&record->attrs_data[2], value, value_length);
    record->attrs_data_size = (uint16_t)(2 + value_length);
    publish(record);
    return level;
}

void hr_thread_context_pop(const void *owner, uint32_t level) {
    if (owner != &thread_spans || level >= thread_spans.depth) return;
    thread_spans.depth = level;
    publish(record_at_depth(level));
}
