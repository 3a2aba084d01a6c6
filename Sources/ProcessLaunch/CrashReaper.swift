import _CProcessShims
import Foundation
import Glibc

/// hybrid-run's reap mode, the image a crash execs (``CrashGuard``): it sees the command to its end.
///
/// It relays signals to the child as hybrid-run did, lets go of every thread this process still traces, and
/// returns the child's exit status, or the status recorded before the crash when the child was reaped already.
public struct CrashReaper {
    let child: pid_t
    let recordedStatus: Int32?

    /// `nil` unless `arguments` are those of the reap mode.
    public init?(arguments: [String]) {
        guard arguments.count == 4, arguments[1] == CrashGuard.reapArgument, let child = pid_t(arguments[2]), child > 0
        else { return nil }
        self.child = child
        recordedStatus = Int32(arguments[3])
    }

    /// The child's exit status (128+N for signal N), or `nil` when it was reaped before the crash but its
    /// status was not recorded yet.
    public func run() -> Int32? {
        // The crashed image blocked every signal so that none took its default action across `exec`. Real-time
        // signals are hybrid-run's own (the tracer's wake-up), and SIGPIPE concerns none of this image's work.
        for signal in __libc_current_sigrtmin()...__libc_current_sigrtmax() { Glibc.signal(signal, SIG_IGN) }
        Glibc.signal(SIGPIPE, SIG_IGN)
        let forwarder = try? SignalForwarder()
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        if let recordedStatus { return recordedStatus }
        forwarder?.forward(to: child)
        defer { forwarder?.stop() }
        for tid in Self.tracees() { Self.release(tid) }
        while true {
            var raw: Int32 = 0
            let pid = waitpid(-1, &raw, __WALL)
            if pid < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if pid == child, let termination = ChildTermination(waitStatus: raw) { return termination.exitStatus }
            if hr_wifstopped(raw) != 0 {
                // A tracee reporting a stop: an interrupt asked for below, or a new thread or process auto-attached.
                let isEvent = (raw >> 16) & 0xff != 0
                Self.detach(pid, signal: isEvent ? 0 : hr_wstopsig(raw))
            }
        }
    }

    /// Threads this process traces (their `TracerPid` is its pid: the crashed thread took the leader's id).
    private static func tracees() -> [pid_t] {
        let me = getpid()
        func numbers(in directory: String) -> [pid_t] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { pid_t($0) }
        }
        return numbers(in: "/proc").flatMap { pid in
            numbers(in: "/proc/\(pid)/task").filter { tid in
                let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8)) ?? ""
                let tracer = status.split(separator: "\n").first { $0.hasPrefix("TracerPid:") }?.dropFirst(10)
                return tracer.flatMap { pid_t($0.trimmingCharacters(in: .whitespaces)) } == me
            }
        }
    }

    /// Lets `tid` go. One stopped in a stop the crashed tracer had already taken goes at once, with the signal
    /// it was stopped to deliver; any other is interrupted and goes when it reports that stop (`run`).
    private static func release(_ tid: pid_t) {
        var info = siginfo_t()
        guard hr_ptrace(Int32(PTRACE_GETSIGINFO.rawValue), tid, nil, &info) == 0 else {
            _ = hr_ptrace(Int32(PTRACE_INTERRUPT.rawValue), tid, nil, nil)
            return
        }
        // An event stop says SIGTRAP | event << 8; a signal-delivery stop, the signal's own code.
        let isEvent = info.si_signo == SIGTRAP && info.si_code >> 8 > 0
        detach(tid, signal: isEvent ? 0 : info.si_signo)
    }

    private static func detach(_ tid: pid_t, signal: Int32) {
        _ = hr_ptrace(Int32(PTRACE_DETACH.rawValue), tid, nil, UnsafeMutableRawPointer(bitPattern: Int(signal)))
    }
}
