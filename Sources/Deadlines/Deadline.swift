import Synchronization

/// Waiting for work that may never finish (a black-holed server, a client shutdown waiting on a connection)
/// without being held by it: the caller gets control back at the deadline and the work is left to end later.
///
/// A task group cannot do this: it waits for every child, and awaiting another task's value does not stop
/// when the waiting child is cancelled.
public enum Deadline {
    /// Runs `work` in its own task; returns true if it finished by `deadline`, false otherwise.
    public static func wait(until deadline: ContinuousClock.Instant, for work: @escaping @Sendable () async -> Void) async -> Bool {
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

    /// Lets `task` (a delivery loop whose input was closed) finish what it has by `end`, without being held by it:
    /// at 80% of the time left (at most 300 ms before `end`) it is cancelled, which must end what it waits for at
    /// once, and it gets until halfway through that reserve to notice. Returns whether it finished by then.
    public static func drain(_ task: Task<Void, Never>, by end: ContinuousClock.Instant) async -> Bool {
        let left = max(ContinuousClock.now.duration(to: end), .zero)
        let reserve = min(left * 0.2, .milliseconds(300))
        if await wait(until: end.advanced(by: .zero - reserve), for: { await task.value }) { return true }
        task.cancel()
        return await wait(until: end.advanced(by: .zero - reserve / 2), for: { await task.value })
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
