import Binaries
import Glibc
import Unwinding

/// A traced process (thread group) and the unwinder for the program it currently runs.
final class TracedProcess {
    let pid: pid_t
    /// The profile record of the current program; `nil` until first sampled after start or `exec`.
    var imageID: Int?
    var unwinder: Unwinder?
    /// When `/proc/PID/maps` was last read (monotonic ns), to bound re-reads for code mapped later.
    var modulesReadAt: Int64 = 0
    /// Still hybrid-run's own forked image, on its way to `exec`: nothing of the command to sample yet.
    var isBeforeExec: Bool

    init(pid: pid_t, isBeforeExec: Bool) {
        self.pid = pid
        self.isBeforeExec = isBeforeExec
    }

    /// A new program replaced the old one: its modules and profile record start afresh.
    func execed() {
        isBeforeExec = false
        imageID = nil
        unwinder = nil
    }
}
