// The OpenTelemetry thread-context variable of OTEP 4947, as a writer outside hybrid-run would define it: built
// into the executable (span_writer-executable) or into a shared library with the TLSDESC dialect
// (libspan_context.so, `-mtls-dialect=gnu2`), with initial-exec (libspan_context-ie.so) or loaded by `dlopen`.
#include <stddef.h>

__attribute__((visibility("default"))) __thread const void *otel_thread_ctx_v1 = NULL;

/// Swaps the calling thread's active record, between compiler fences (the OTEP's publication protocol).
__attribute__((visibility("default"))) void span_context_set(const void *record) {
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    *(const void *volatile *)&otel_thread_ctx_v1 = record;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/// Where the calling thread's variable is, as an offset from its thread pointer (`fs_base`), for the tests of
/// readers that compute it from outside.
__attribute__((visibility("default"))) long span_context_offset(void) {
    return (long)((char *)&otel_thread_ctx_v1 - (char *)__builtin_thread_pointer());
}
