import Dispatch
import Glibc
import Synchronization

/// Wakes the tracer at the sampling rate while it blocks in `waitpid`, so it handles tracee events the
/// moment they happen (a fork or signal never waits for a poll) and still samples on time.
///
/// A thread of its own sleeps until each jittered deadline, marks a tick due and sends ``wakeSignal`` to the
/// tracer thread, whose handler does nothing: the signal only makes `waitpid` return `EINTR`. A signal
/// that lands just before the tracer enters `waitpid` would be lost, so the tick is re-sent every
/// ``resendInterval`` until the tracer takes it.
final class Ticker: Sendable {
    /// A real-time signal of hybrid-run's own (glibc keeps the first two for itself, counted in SIGRTMIN).
    static let wakeSignal = __libc_current_sigrtmax() - 2
    private static let resendInterval: Int64 = 1_000_000
    private static let suspensionGap: Int64 = 1_000_000_000

    private let due = Atomic<Bool>(false)
    private let missed = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts ticking; call on the tracer thread, which is the one woken.
    init(period: Int64, jitter: Double) {
        Self.installWakeHandler()
        let tracer = pthread_self()
        let spread = Int64(Double(period) * jitter)
        DedicatedThread.start { [self] in
            var random = SystemRandomNumberGenerator()
            var deadline = Clock.monotonic()
            while !stopped.load(ordering: .acquiring) {
                deadline += spread > 0 ? period + Int64.random(in: -spread...spread, using: &random) : period
                let now = Clock.monotonic()
                if deadline < now - period {
                    // Behind by more than a tick (the machine is overloaded): skip to now. A gap of over a
                    // second is hybrid-run itself having been stopped (Ctrl-Z stops it with the child), not
                    // sampling falling behind: nothing was due while everything stood still.
                    if now - deadline < Self.suspensionGap { missed.add(Int((now - deadline) / period), ordering: .relaxed) }
                    deadline = now
                }
                Clock.sleep(until: deadline)
                if due.exchange(true, ordering: .acquiringAndReleasing) { missed.add(1, ordering: .relaxed) }
                while due.load(ordering: .acquiring), !stopped.load(ordering: .acquiring) {
                    pthread_kill(tracer, Self.wakeSignal)
                    Clock.sleep(until: Clock.monotonic() + Self.resendInterval)
                }
            }
            finished.signal()
        }
    }

    /// Whether a tick is due, clearing it.
    func takeTick() -> Bool { due.exchange(false, ordering: .acquiringAndReleasing) }

    /// Ticks that came while the previous one was still being sampled, since the last call.
    func takeMissedTicks() -> Int { missed.exchange(0, ordering: .relaxed) }

    /// Stops ticking and returns once the ticker thread is done signalling the tracer thread.
    func stop() {
        stopped.store(true, ordering: .releasing)
        finished.wait()
    }

    /// A handler that does nothing, installed without `SA_RESTART` so that a blocked `waitpid` returns.
    private static let handlerInstalled: Bool = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        return sigaction(wakeSignal, &action, nil) == 0
    }()

    private static func installWakeHandler() {
        precondition(handlerInstalled, "cannot install the profiler's wake-up signal handler")
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, wakeSignal)
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    }
}
