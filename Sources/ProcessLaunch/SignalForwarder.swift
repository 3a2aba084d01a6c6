import _CProcessShims
import Foundation
import Glibc
import Synchronization

/// Relays the signals a user or a CI runner sends to hybrid-run on to the child, so the wrapper is transparent.
///
/// A terminal sends Ctrl-C (SIGINT), Ctrl-\ (SIGQUIT), hang-up and window-size changes to the whole
/// foreground process group, the child included; relaying those again would deliver them twice. The
/// kernel marks such signals `SI_KERNEL`, so only signals sent by a process (`kill`, `sigqueue`) are
/// relayed — unless the child has left our process group, in which case it did not get them itself.
/// SIGTSTP and SIGCONT are left to their default actions so job control (Ctrl-Z, `fg`) works on both.
public final class SignalForwarder: Sendable {
    public static let relayedSignals: [Int32] = [SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM]

    private struct State {
        var target: pid_t?
        var pending: [Int32] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let onRelay: @Sendable (Int32) -> Void

    /// Catches the relayed signals from now on; call before spawning so none is lost.
    /// - Parameter onRelay: told of each signal relayed (for a debug log line).
    public init(onRelay: @escaping @Sendable (Int32) -> Void = { _ in }) throws(SpawnError) {
        self.onRelay = onRelay
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SpawnError(errno: errno) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        let error = Self.relayedSignals.withUnsafeBufferPointer {
            hr_install_relay_handlers($0.baseAddress, Int32($0.count), fds[1])
        }
        guard error == 0 else { throw SpawnError(errno: error) }
        let readEnd = fds[0]
        Thread.detachNewThread { [self] in
            var relayed = hr_relayed_signal()
            while true {
                let count = withUnsafeMutableBytes(of: &relayed) { read(readEnd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count == MemoryLayout<hr_relayed_signal>.size else { return }
                self.received(signal: relayed.signal, code: relayed.code)
            }
        }
    }

    /// Starts relaying to `pid`, first delivering anything caught before it existed.
    public func forward(to pid: pid_t) {
        let pending = state.withLock { state in
            state.target = pid
            defer { state.pending = [] }
            return state.pending
        }
        for signal in pending { deliver(signal, to: pid) }
    }

    /// Stops relaying (the child has been reaped, so its pid may be reused).
    public func stop() {
        state.withLock { $0.stopped = true; $0.target = nil }
    }

    private func received(signal: Int32, code: Int32) {
        let sentByProcess = code <= 0
        let target: pid_t? = state.withLock { state in
            guard !state.stopped else { return nil }
            guard let target = state.target else {
                if sentByProcess { state.pending.append(signal) }
                return nil
            }
            return target
        }
        guard let target else { return }
        if sentByProcess || getpgid(target) != getpgrp() {
            deliver(signal, to: target)
        }
    }

    private func deliver(_ signal: Int32, to pid: pid_t) {
        if kill(pid, signal) == 0 { onRelay(signal) }
    }
}
