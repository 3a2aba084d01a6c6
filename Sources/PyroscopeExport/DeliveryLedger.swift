import Synchronization

/// Counts outcomes as the delivery task reaches them and remembers which warnings were already given, so that a
/// server refusing every upload, or a bad label on every upload, is reported once rather than every interval.
final class DeliveryLedger: Sendable {
    private struct State {
        var delivered = 0
        var firstFailure: String?
        var warnings: Set<String> = []
    }

    private let state = Mutex(State())

    func recordDelivered() {
        state.withLock { $0.delivered += 1 }
    }

    /// Remembers why a profile was not stored; the report counts failures as whatever was neither delivered
    /// nor dropped, so that a profile still in flight at the deadline counts too.
    func recordFailure(_ reason: String) {
        state.withLock { state in
            if state.firstFailure == nil { state.firstFailure = reason }
        }
    }

    /// True the first time `key` is seen: warn then, and only log at debug level afterwards.
    func isFirstWarning(_ key: String) -> Bool {
        state.withLock { $0.warnings.insert(key).inserted }
    }

    var delivered: Int { state.withLock { $0.delivered } }
    var firstFailure: String? { state.withLock { $0.firstFailure } }
}
