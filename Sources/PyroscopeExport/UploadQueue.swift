import Synchronization

/// The bounded queue between `enqueue` (any thread, never waits) and the one delivery task.
///
/// When full it drops the oldest profile: the newest windows are the ones a user looks at first, and the final
/// profile of a run, enqueued just before shutdown, must not be the one lost.
final class UploadQueue: Sendable {
    enum Admission: Equatable {
        case queued
        case queuedDroppingOldest
        case refusedAfterClose
    }

    private struct State {
        var items: [PyroscopeUpload] = []
        var head = 0
        var closed = false
        var consumerCancelled = false
        var waiter: CheckedContinuation<PyroscopeUpload?, Never>?
        var dropped = 0
        var enqueued = 0

        var count: Int { items.count - head }

        mutating func popFirst() -> PyroscopeUpload? {
            guard head < items.count else { return nil }
            let first = items[head]
            head += 1
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return first
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// Adds `upload`, dropping the oldest waiting one when full; after ``close()`` the upload itself is dropped.
    func enqueue(_ upload: PyroscopeUpload) -> Admission {
        let (admission, waiter) = state.withLock { state -> (Admission, CheckedContinuation<PyroscopeUpload?, Never>?) in
            state.enqueued += 1
            if state.closed {
                state.dropped += 1
                return (.refusedAfterClose, nil)
            }
            if let waiter = state.waiter {
                state.waiter = nil
                return (.queued, waiter)
            }
            var admission = Admission.queued
            if state.count >= capacity {
                _ = state.popFirst()
                state.dropped += 1
                admission = .queuedDroppingOldest
            }
            state.items.append(upload)
            return (admission, nil)
        }
        waiter?.resume(returning: upload)
        return admission
    }

    /// The next upload, waiting for one; nil once the queue is closed and empty, or when the calling task is
    /// cancelled (what is still queued then stays and counts as not delivered).
    func next() async -> PyroscopeUpload? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<PyroscopeUpload?, Never>) in
                let ready: PyroscopeUpload?? = state.withLock { state in
                    if state.consumerCancelled { return .some(nil) }
                    if let first = state.popFirst() { return .some(first) }
                    if state.closed { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if case .some(let upload) = ready { continuation.resume(returning: upload) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.consumerCancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Stops accepting uploads; the consumer still gets what is queued, then nil.
    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Whether the consumer is waiting in ``next()`` (tests wait for this, so that they exercise the handover).
    var hasWaitingConsumer: Bool {
        state.withLock { $0.waiter != nil }
    }

    /// Uploads handed to ``enqueue(_:)`` so far, and how many of them were dropped.
    var counts: (enqueued: Int, dropped: Int) {
        state.withLock { ($0.enqueued, $0.dropped) }
    }
}
