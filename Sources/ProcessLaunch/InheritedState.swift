import Glibc

/// The signal state this process started with, which the child must start with too.
///
/// `exec` passes the signal mask and ignored signals on to the child. Threads of the Swift runtime block
/// signals, and libraries may ignore some (SIGPIPE is the usual one); the child must see what hybrid-run
/// itself was given.
public struct SignalDispositions: @unchecked Sendable {
    /// Standard signals (1–31) whose action was `SIG_DFL`, to be reset to it in the child.
    public let defaulted: [Int32]
    /// The main thread's signal mask at start-up.
    public let mask: sigset_t

    /// Read on first use: touch it first thing in `main`, before libraries set handlers.
    public static let atStartup = SignalDispositions()

    private init() {
        var defaulted: [Int32] = []
        for signal in Int32(1)..<32 where signal != SIGKILL && signal != SIGSTOP {
            var action = sigaction()
            if sigaction(signal, nil, &action) == 0, action.__sigaction_handler.sa_handler == nil {
                defaulted.append(signal)
            }
        }
        self.defaulted = defaulted
        var mask = sigset_t()
        sigprocmask(SIG_SETMASK, nil, &mask)
        self.mask = mask
    }
}
