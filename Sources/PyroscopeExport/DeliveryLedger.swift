import Synchronization

/// Counts outcomes as the delivery task reaches them and remembers which warnings were already given, so that a
/// server refusing every upload, or a bad label on every upload, is reported once rather than every interval.
final class DeliveryLedger: Sendable {
    private struct State {
        var delivered = 0
        var firstFailure: String?
        var announcedFailures = 0
        var warnings: Set<String> = []
    }

    private let state = Mutex(State())

    func recordDelivered() {
        state.withLock { $0.delivered += 1 }
    }

    /// Remembers why a profile was not stored; the report counts failures as whatever was neither delivered
    /// nor dropped, so that a profile still in flight at the deadline counts too.
    /// - Parameter announced: whether a warning line already told the user about this failure.
    func recordFailure(_ reason: String, announced: Bool = false) {
        state.withLock { state in
            if state.firstFailure == nil { state.firstFailure = reason }
            if announced { state.announcedFailures += 1 }
        }
    }

    /// True the first time `key` is seen: warn then, and only log at debug level afterwards.
    func isFirstWarning(_ key: String) -> Bool {
        state.withLock { $0.warnings.insert(key).inserted }
    }

    var delivered: Int { state.withLock { $0.delivered } }
    var firstFailure: String? { state.withLock { $0.firstFailure } }
    /// Failures a warning line has already reported: the report at exit need not repeat them.
    var announcedFailures: Int { state.withLock { $0.announcedFailures } }
}
