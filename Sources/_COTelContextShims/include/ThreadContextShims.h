#ifndef HYBRID_RUN_THREAD_CONTEXT_SHIMS_H
#define HYBRID_RUN_THREAD_CONTEXT_SHIMS_H

#include <stdint.h>

/// The active span of each thread, published for readers outside the process (profilers) as OpenTelemetry's
/// OTEP 4947 "Thread Context" specifies
/// (https://github.com/open-telemetry/opentelemetry-specification/blob/main/oteps/profiles/4947-thread-ctx.md).
///
/// Why C: the specification's discovery is an ELF TLS symbol, `otel_thread_ctx_v1`, exported in `.dynsym`; Swift
/// can neither declare a thread-local variable nor write one with the compiler-only fences and volatile stores the
/// publication protocol asks for. Each thread keeps its records in thread-local storage too, preallocated, one
/// per nesting level: publishing never locks or allocates.
///
/// The protocol used is the pointer swap ("Context Attachment"): a record is filled in completely (`valid` = 1
/// included) while the TLS pointer still points at its parent's record, then the pointer is swapped to it; ending
/// a span swaps the pointer back to its parent's record, which was never changed meanwhile, or to NULL. `valid`
/// is never toggled (the OTEP: "either set/unset the TLS pointer itself, or the valid flag, but not both").
/// Every call acts on the calling thread only: the OTEP lets only a thread write its own record, and readers read
/// it while that thread is stopped or interrupted, so compiler fences suffice.

/// Bytes of `attrs-data` each record can hold: one attribute of up to 255 bytes (key, length, value) plus
/// padding to a record of 288 bytes, well under the 640 bytes the OTEP recommends as the maximum.
#define HR_THREAD_CONTEXT_ATTRS_CAPACITY 260

/// Nesting levels published per thread; a span deeper than this leaves its deepest published ancestor active.
#define HR_THREAD_CONTEXT_LEVELS 16

/// The OTEP's "Thread-Local Context Record": byte-packed, host-endian, 2-byte aligned, the fixed part 28 bytes.
typedef struct __attribute__((aligned(2))) hr_thread_context_record {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t valid;
    uint8_t trace_flags;
    uint16_t attrs_data_size;
    uint8_t attrs_data[HR_THREAD_CONTEXT_ATTRS_CAPACITY];
} hr_thread_context_record;

/// Publishes a span as the calling thread's active context, one level above the spans it already has: trace and
/// span id (16 and 8 bytes, W3C order), trace flags, and one string attribute (`key` an index into the process
/// context's `threadlocal.attribute_key_map`; `value` UTF-8, cut to 255 bytes by the caller at a character
/// boundary). Returns the level to pass to `hr_thread_context_pop`, and in `owner` the calling thread's identity,
/// so an end on another thread can be recognised and left alone.
uint32_t hr_thread_context_push(const uint8_t *trace_id, const uint8_t *span_id, uint8_t trace_flags,
                                uint8_t key, const uint8_t *value, uint8_t value_length, const void **owner);

/// Ends the span published at `level` by `owner`: the record of the level below (its parent's) becomes the active
/// one, or none at level 0; spans published above it that did not end yet are dropped with it. Does nothing when
/// called on a thread other than `owner`, or when that level was already ended.
void hr_thread_context_pop(const void *owner, uint32_t level);

#endif
