import Logging

/// A span's trace id, span id and trace flags as a thread context record holds them (W3C byte order), read from
/// what swift-otel's logging metadata provider gives for the span (lowercase hex ids, decimal flags).
struct ThreadContextIDs {
    var traceID: (UInt64, UInt64)
    var spanID: UInt64
    var traceFlags: UInt8

    /// `nil` when the metadata has no span (tracing off) or an id is not the hex W3C Trace Context defines.
    init?(metadata: Logger.Metadata, traceIDKey: String = "trace_id", spanIDKey: String = "span_id", traceFlagsKey: String = "trace_flags") {
        guard case .string(let trace)? = metadata[traceIDKey], case .string(let span)? = metadata[spanIDKey],
              case .string(let flags)? = metadata[traceFlagsKey], let traceFlags = UInt8(flags),
              trace.utf8.count == 32, span.utf8.count == 16,
              let high = UInt64(trace.prefix(16), radix: 16), let low = UInt64(trace.suffix(16), radix: 16),
              let spanID = UInt64(span, radix: 16)
        else { return nil }
        // Big-endian in memory: the record's bytes are the id's bytes in the order its hex spells them.
        self.traceID = (high.bigEndian, low.bigEndian)
        self.spanID = spanID.bigEndian
        self.traceFlags = traceFlags
    }
}
