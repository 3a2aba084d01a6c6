import Instrumentation
import Logging
import OTel
import Tracing
import _COTelContextShims

/// The tracer the workloads' spans go through: each span is started by `base` (swift-otel) and, for as long as it
/// runs, published as its thread's OpenTelemetry thread context (OTEP 4947, `_COTelContextShims`), so a profiler
/// outside the process can tell which span every sample of that thread belongs to.
///
/// A record holds the span's trace id, span id and trace flags, and its name as the attribute `span_name` (key
/// index 0 of the `threadlocal.attribute_key_map` that ``ProcessContext`` publishes). A span is published on the
/// thread that starts it and ended there; see ``ThreadContextSpan`` for a span that ends on another thread.
struct ThreadContextTracer: Tracer {
    /// `threadlocal.attribute_key_map`: the attribute names, by the key index records use.
    static let attributeKeyMap = ["span_name"]
    /// The key index of the span's name in a record.
    static let spanNameKey: UInt8 = 0
    /// `threadlocal.schema_version`: the value the OTEP asks for while it is a development version.
    static let schemaVersion = "tlsdesc_v1_dev"

    let base: any Tracer
    /// swift-otel shows a span's ids only through propagation or this provider; the provider needs no propagator
    /// to be configured (`OTEL_PROPAGATORS=none` still publishes).
    private let identities = OTel.makeLoggingMetadataProvider()

    init(base: any Tracer) {
        self.base = base
    }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> ThreadContextSpan {
        let span: any Tracing.Span = base.startSpan(operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID, line: line)
        return ThreadContextSpan(base: span, publication: publish(span, named: operationName))
    }

    @available(*, deprecated)
    func forceFlush() { base.forceFlush() }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        base.extract(carrier, into: &context, using: extractor)
    }

    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        base.inject(context, into: &carrier, using: injector)
    }

    /// Publishes `span` on the calling thread; `nil` when it has no ids (tracing off: swift-otel is not running).
    private func publish(_ span: any Tracing.Span, named name: String) -> ThreadContextSpan.Publication? {
        let metadata = ServiceContext.withValue(span.context) { identities.get() }
        guard let ids = ThreadContextIDs(metadata: metadata) else { return nil }
        var owner: UnsafeRawPointer?
        let level = withUnsafeBytes(of: ids.traceID) { traceID in
            withUnsafeBytes(of: ids.spanID) { spanID in
                var name = name
                return name.withUTF8 { utf8 in
                    let value = UnsafeBufferPointer(rebasing: utf8[..<Self.attributeLength(utf8)])
                    return hr_thread_context_push(
                        traceID.baseAddress?.assumingMemoryBound(to: UInt8.self), spanID.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        ids.traceFlags, Self.spanNameKey, value.baseAddress, UInt8(value.count), &owner)
                }
            }
        }
        return owner.map { ThreadContextSpan.Publication(owner: UInt(bitPattern: $0), level: level) }
    }

    /// How many bytes of `utf8` fit a record's attribute (255, the OTEP's one-byte length) without cutting a
    /// character in two: readers get valid UTF-8.
    static func attributeLength(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        guard utf8.count > 255 else { return utf8.count }
        var length = 255
        // A continuation byte (10xxxxxx) at the cut means the character started before it.
        while length > 0 && utf8[length] & 0b1100_0000 == 0b1000_0000 { length -= 1 }
        return length
    }
}

extension Telemetry {
    /// `base` publishing each span it starts as its thread's context: what ``runProgram(_:operation:_:)`` runs the
    /// workloads under, and what `scripts/bench-thread-context.sh` measures whole.
    package static func threadContextTracer(base: any Tracer) -> any Tracer {
        ThreadContextTracer(base: base)
    }
}
