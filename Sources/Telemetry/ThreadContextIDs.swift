import Logging

/// A span's trace id, span id and trace flags as a thread context record holds them (W3C byte order), read from
/// what swift-otel's logging metadata provider gives for the span (lowercase hex ids, decimal flags).
struct ThreadContextIDs {
    var traceID: (UInt64, UInt64)
    var spanID: UInt64
    var traceFlags: UInt8

    /// `nil` when the metadata has no span (tracing off) or an id is not the hex W3C Trace Context defines.
    init?(metadata: Logger.Metadata, traceIDKey: String = "trace_id", spanIDKey: String = "span_id", traceFlagsKey: String = "trace_flags") {
        guard case .string(var trace)? = metadata[traceIDKey], case .string(var span)? = metadata[spanIDKey],
              case .string(let flags)? = metadata[traceFlagsKey], let traceFlags = UInt8(flags),
              let (high, low) = trace.withUTF8({ $0.count == 32 ? (Self.hexWord($0, at: 0), Self.hexWord($0, at: 16)) : nil }),
              let high, let low,
              let spanID = span.withUTF8({ $0.count == 16 ? Self.hexWord($0, at: 0) : nil })
        else { return nil }
        // Big-endian in memory: the record's bytes are the id's bytes in the order its hex spells them.
        self.traceID = (high.bigEndian, low.bigEndian)
        self.spanID = spanID.bigEndian
        self.traceFlags = traceFlags
    }

    /// The 16 hex digits of `utf8` from `start` as a number; `nil` if one is not a hex digit. By hand rather than
    /// `UInt64(_:radix:)` on substrings, which was a third of what publishing a span cost
    /// (`scripts/bench-thread-context.sh`).
    private static func hexWord(_ utf8: UnsafeBufferPointer<UInt8>, at start: Int) -> UInt64? {
        var value: UInt64 = 0
        for byte in utf8[start..<start + 16] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
