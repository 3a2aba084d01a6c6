import Foundation
import Glibc

/// Waits for an untraced child on a thread of its own, so no Swift concurrency thread blocks in `waitpid`.
public enum ChildWaiter {
    public static func wait(pid: pid_t) async -> ChildTermination {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: termination(of: pid)) }
        }
    }

    /// Learns how the child ended, tells ``CrashGuard``, and only then reaps it: a crash of hybrid-run at any
    /// moment finds either the status recorded or the child still there (a zombie) to reap.
    private static func termination(of pid: pid_t) -> ChildTermination {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
            // Reaped elsewhere: nothing to report but failure.
            if errno != EINTR { return .exited(code: 125) }
        }
        let status = info._sifields._sigchld.si_status
        let termination: ChildTermination = info.si_code == CLD_EXITED ? .exited(code: status) : .signaled(signal: status)
        CrashGuard.childTerminated(termination)
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        return termination
    }
}
