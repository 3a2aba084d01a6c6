import Tracing
import _COTelContextShims

/// A span of ``ThreadContextTracer``: swift-otel's span, published as its thread's context from its start; ending
/// it makes its parent's record (or none) the thread's context again.
///
/// Only the thread that published a span may change its thread's record (OTEP 4947: readers read a stopped
/// thread, and only its own writes are ordered for them). A span ended on another thread, which an `async` body
/// that suspends can cause, therefore leaves the records alone; the publishing thread drops it when the span
/// it was started in ends there. The workloads' spans are synchronous (ARCHITECTURE.md, "Thread context").
final class ThreadContextSpan: Tracing.Span {
    /// Where a span was published: the thread (its records' address, compared, never dereferenced) and the level.
    struct Publication {
        var owner: UInt
        var level: UInt32
    }

    let base: any Tracing.Span
    private let publication: Publication?

    init(base: any Tracing.Span, publication: Publication?) {
        self.base = base
        self.publication = publication
    }

    var context: ServiceContext { base.context }

    var operationName: String {
        get { base.operationName }
        set { base.operationName = newValue }
    }

    var attributes: SpanAttributes {
        get { base.attributes }
        set { base.attributes = newValue }
    }

    var isRecording: Bool { base.isRecording }

    func setStatus(_ status: SpanStatus) { base.setStatus(status) }

    func addEvent(_ event: SpanEvent) { base.addEvent(event) }

    func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        base.recordError(error, attributes: attributes, at: instant())
    }

    func addLink(_ link: SpanLink) { base.addLink(link) }

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        if let publication { hr_thread_context_pop(UnsafeRawPointer(bitPattern: publication.owner), publication.level) }
        base.end(at: instant())
    }
}
