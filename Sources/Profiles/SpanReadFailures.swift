import Synchronization

/// Samples of threads in processes that publish their spans (OTEP 4947) whose span could not be read, so that they
/// kept the root span's ids: counted, as an unwinding failure is, so a profile with fewer span labels than expected
/// says why. A thread that publishes no span is not a failure and is not counted.
public struct SpanReadFailures: Sendable, Equatable {
    /// The pointer led to a record the reader refuses: not valid, unreadable, an odd address, no ids, or
    /// `attrs-data-size` over 640.
    public var refusedRecords: Int
    /// The variable's address could not be found for the thread: dynamic TLS (a library loaded late, general-dynamic
    /// code) the thread has not allocated yet, or unreadable.
    public var unlocatedVariables: Int
    /// perf events: the thread pointer is not in glibc's thread lists (a thread not yet listed, a process without
    /// glibc's lists, a recycled `struct pthread`).
    public var unknownThreads: Int
    /// The thread's pointer moved while its record was read: the record may have been half rewritten.
    public var recordsChangedWhileRead: Int

    public init(refusedRecords: Int = 0, unlocatedVariables: Int = 0, unknownThreads: Int = 0, recordsChangedWhileRead: Int = 0) {
        self.refusedRecords = refusedRecords
        self.unlocatedVariables = unlocatedVariables
        self.unknownThreads = unknownThreads
        self.recordsChangedWhileRead = recordsChangedWhileRead
    }

    public var total: Int { refusedRecords + unlocatedVariables + unknownThreads + recordsChangedWhileRead }

    public static func + (left: SpanReadFailures, right: SpanReadFailures) -> SpanReadFailures {
        SpanReadFailures(refusedRecords: left.refusedRecords + right.refusedRecords,
                         unlocatedVariables: left.unlocatedVariables + right.unlocatedVariables,
                         unknownThreads: left.unknownThreads + right.unknownThreads,
                         recordsChangedWhileRead: left.recordsChangedWhileRead + right.recordsChangedWhileRead)
    }

    /// "N samples …: R records refused, …", naming only the causes that occurred; `nil` when none did.
    public var text: String? {
        guard total > 0 else { return nil }
        let causes = [(refusedRecords, "records refused (not valid, no ids, or too large)"),
                      (unlocatedVariables, "thread-local variables not yet allocated"),
                      (unknownThreads, "threads not in glibc's thread list"),
                      (recordsChangedWhileRead, "records changing while read")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        return "\(total) samples of threads in processes that publish spans kept the root span: " + causes.joined(separator: ", ")
    }
}

/// Where the thread-context readers of a run count their failures, and the profile store takes them per window.
public final class SpanReadFailureCounter: Sendable {
    private let counts = Mutex(SpanReadFailures())

    public init() {}

    public func add(_ cause: WritableKeyPath<SpanReadFailures, Int>) {
        counts.withLock { $0[keyPath: cause] += 1 }
    }

    /// The failures counted since the previous call.
    public func take() -> SpanReadFailures {
        counts.withLock { counts in
            defer { counts = SpanReadFailures() }
            return counts
        }
    }
}
