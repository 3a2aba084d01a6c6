import Foundation
import Glibc

/// What this process was started with and the child must start with too: signal mask, signal actions, open
/// descriptors and the open-file limit.
///
/// `exec` passes the signal mask, ignored signals and descriptors without close-on-exec on to the child.
/// Threads of the Swift runtime block signals, libraries may ignore some (SIGPIPE is the usual one) or open
/// descriptors without close-on-exec; the child must see what hybrid-run itself was given, nothing more.
public struct InheritedState: @unchecked Sendable {
    /// Standard signals (1–31) whose action was `SIG_DFL`, to be reset to it in the child.
    public let defaultedSignals: [Int32]
    /// The main thread's signal mask at start-up.
    public let signalMask: sigset_t
    /// Descriptors from 3 up that were open at start-up, ascending: the child keeps these and no others.
    public let descriptors: [Int32]
    /// `RLIMIT_NOFILE` at start-up, which ``raiseOpenFileLimit()`` raises for this process only.
    public let openFileLimit: rlimit

    /// Read on first use: touch it first thing in `main`, before libraries start threads or open files.
    public static let atStartup = InheritedState()

    private init() {
        var defaulted: [Int32] = []
        for signal in Int32(1)..<32 where signal != SIGKILL && signal != SIGSTOP {
            var action = sigaction()
            if sigaction(signal, nil, &action) == 0, action.__sigaction_handler.sa_handler == nil {
                defaulted.append(signal)
            }
        }
        defaultedSignals = defaulted
        var mask = sigset_t()
        sigprocmask(SIG_SETMASK, nil, &mask)
        signalMask = mask
        descriptors = Self.openDescriptors()
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        openFileLimit = limit
    }

    /// Raises this process's soft open-file limit to its hard limit; the child is given ``openFileLimit`` back.
    ///
    /// The ptrace sampler keeps two `/proc` files open per traced thread, and the perf-event sampler one event
    /// per CPU and kind: a command with 1,000 threads needs more than the usual soft limit of 1,024, and a thread
    /// whose files cannot be opened would be left out of the profile. The soft limit is kept low only for
    /// programs that still use `select(2)`; hybrid-run does not. Go does the same for every Go program since 1.19
    /// (`os.init` raises the soft limit, `os/exec` restores it in children).
    public func raiseOpenFileLimit() {
        var raised = openFileLimit
        guard raised.rlim_cur < raised.rlim_max else { return }
        raised.rlim_cur = raised.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised)
    }

    private static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let listing = dirfd(directory)
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd >= 3, fd != listing { descriptors.append(fd) }
        }
        return descriptors.sorted()
    }
}
