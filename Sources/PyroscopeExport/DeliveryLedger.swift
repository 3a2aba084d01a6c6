import Synchronization

/// Counts outcomes as the delivery task reaches them and decides which line reports each failure, so that every
/// profile that is not stored is reported by exactly one warning line:
/// - during the run, by a warning of its own the first time its kind comes up (a server refusing every upload
///   is reported once, not every interval; later failures of that kind are covered by that line);
/// - once shutdown has begun, by the delivery report's line at the end. Whether the retries run out or the
///   shutdown deadline comes first is a race; either way the failure is reported by the same line.
final class DeliveryLedger: Sendable {
    private struct State {
        var delivered = 0
        var firstFailure: String?
        var announcedFailures = 0
        var warnings: Set<String> = []
        var shuttingDown = false
    }

    /// What the delivery report is made of, read at one instant.
    struct Outcomes: Equatable {
        var delivered: Int
        var firstFailure: String?
        /// Failures a warning line has already reported: the report at exit need not repeat them.
        var announcedFailures: Int
    }

    private let state = Mutex(State())

    func recordDelivered() {
        state.withLock { $0.delivered += 1 }
    }

    /// Remembers why a profile was not stored; the report counts failures as whatever was neither delivered
    /// nor dropped, so that a profile still in flight at the deadline counts too.
    /// - Parameter kind: what a warning about this failure would repeat for the next failure of the same kind
    ///   (e.g. `rejected 422`); nil when no line of its own reports it.
    /// - Returns: whether the caller is to warn about it now: before shutdown, the first time `kind` comes up.
    @discardableResult
    func recordFailure(_ reason: String, kind: String? = nil) -> Bool {
        state.withLock { state in
            if state.firstFailure == nil { state.firstFailure = reason }
            guard let kind, !state.shuttingDown else { return false }
            state.announcedFailures += 1
            return state.warnings.insert(kind).inserted
        }
    }

    /// From now on failures are left to the delivery report, whatever ends their delivery.
    func beginShutdown() {
        state.withLock { $0.shuttingDown = true }
    }

    /// True the first time `key` is seen: warn then, and only log at debug level afterwards.
    func isFirstWarning(_ key: String) -> Bool {
        state.withLock { $0.warnings.insert(key).inserted }
    }

    var outcomes: Outcomes {
        state.withLock { Outcomes(delivered: $0.delivered, firstFailure: $0.firstFailure, announcedFailures: $0.announcedFailures) }
    }
}
