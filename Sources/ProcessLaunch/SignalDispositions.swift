import Glibc

/// Which signals had their default action when this process started.
///
/// `exec` passes ignored signals on to the child. Libraries loaded into this process may ignore some
/// (SIGPIPE is the usual one); the child must see the dispositions hybrid-run itself was given.
public struct SignalDispositions: Sendable {
    /// Standard signals (1–31) whose action was `SIG_DFL`, to be reset to it in the child.
    public let defaulted: [Int32]

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
    }
}
