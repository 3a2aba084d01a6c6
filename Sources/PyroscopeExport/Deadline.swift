import Synchronization

/// Waiting for work that may never finish (a black-holed server, a client shutdown waiting on a connection)
/// without being held by it: the caller gets control back at the deadline and the work is left to end later.
///
/// A task group cannot do this: it waits for every child, and awaiting another task's value does not stop
/// when the waiting child is cancelled.
enum Deadline {
    /// Runs `work` in its own task; returns true if it finished by `deadline`, false otherwise.
    static func wait(until deadline: ContinuousClock.Instant, for work: @escaping @Sendable () async -> Void) async -> Bool {
        let resumption = Resumption()
        return await withCheckedContinuation { continuation in
            resumption.set(continuation)
            let timer = Task {
                guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                resumption.resume(returning: false)
            }
            Task {
                await work()
                resumption.resume(returning: true)
                timer.cancel()
            }
        }
    }

    /// Resumes the continuation once, from whichever of the two tasks comes first.
    private final class Resumption: Sendable {
        private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

        func set(_ continuation: CheckedContinuation<Bool, Never>) {
            self.continuation.withLock { $0 = continuation }
        }

        func resume(returning finished: Bool) {
            continuation.withLock { stored in
                defer { stored = nil }
                return stored
            }?.resume(returning: finished)
        }
    }
}
