#ifndef HYBRID_RUN_PROCESS_CONTEXT_SHIMS_H
#define HYBRID_RUN_PROCESS_CONTEXT_SHIMS_H

#include <stdint.h>

/// The process context of OpenTelemetry's OTEP 4719 "Process Context"
/// (https://github.com/open-telemetry/opentelemetry-specification/blob/main/oteps/profiles/4719-process-ctx.md):
/// a mapping named `OTEL_CTX` whose 32-byte header (signature, version 2, payload size, publication time,
/// payload pointer) leads to a protobuf `ProcessContext`, for readers outside the process.
///
/// Why C: naming the mapping is `prctl`, which is variadic, and the header must be published with the protocol's
/// full memory barriers and a last aligned 64-bit store, which a reader in another process relies on.

/// Publishes `payload` (`size` bytes, an encoded `ProcessContext`) once for the whole process, following the
/// OTEP's "Publication Protocol": a memfd named OTEL_CTX (an anonymous mapping when memfd is refused), mapped
/// privately and not inherited by `fork`, the payload right after the header, the timestamp written last, the
/// mapping named. Returns 0, or an `errno` value: EALREADY when a context was already published (the OTEP allows
/// one per process), EINVAL for an empty payload, or what the failing step said (the context is then not
/// available, and nothing of it is left mapped).
int hr_process_context_publish(const uint8_t *payload, uint32_t size);

#endif
