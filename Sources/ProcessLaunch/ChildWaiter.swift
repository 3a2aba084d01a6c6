import Foundation
import Glibc

/// Waits for an untraced child on a thread of its own, so no Swift concurrency thread blocks in `waitpid`.
public enum ChildWaiter {
    public static func wait(pid: pid_t) async -> ChildTermination {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while true {
                    let result = waitpid(pid, &status, 0)
                    if result == pid, let termination = ChildTermination(waitStatus: status) {
                        continuation.resume(returning: termination)
                        return
                    }
                    if result < 0 && errno != EINTR {
                        // Reaped elsewhere: nothing to report but failure.
                        continuation.resume(returning: .exited(code: 125))
                        return
                    }
                }
            }
        }
    }
}
