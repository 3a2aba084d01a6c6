import _CProcessShims
import Glibc

/// Keeps a bug in hybrid-run from costing the command it runs.
///
/// Once the child exists, a fatal signal in any thread of this process (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
/// SIGABRT, SIGTRAP) prints one line and replaces this process's image with hybrid-run in its reap mode
/// (``CrashReaper``). `exec` keeps the pid, so the child is still this process's child: the new image waits
/// for it, relays signals to it, and exits with its status. Letting hybrid-run die instead would leave the
/// command running orphaned, its exit status lost to whoever started hybrid-run (a CI step, a script).
///
/// `exec` ends every other thread, and the kernel detaches a tracer thread's tracees as it exits; perf event
/// descriptors are close-on-exec. Only a crash on the tracer thread itself leaves tracees attached to the
/// thread that lives on as the new image: ``CrashReaper`` lets them go.
///
/// A closed stderr (`hybrid-run … 2>&1 | head`) is no reason to end either: SIGPIPE is ignored from then on,
/// and a message that cannot be written is dropped.
public enum CrashGuard {
    /// The first argument of the reap mode (`hybrid-run --reap-after-internal-error CHILD STATUS`).
    public static let reapArgument = "--reap-after-internal-error"

    /// From now on a crash hands `child` to ``CrashReaper`` instead of leaving it orphaned. (The child has its
    /// own signal dispositions already: it starts with SIGPIPE as hybrid-run was given it, `InheritedState`.)
    public static func install(child: pid_t, programName: String) {
        signal(SIGPIPE, SIG_IGN)
        hr_crash_guard_install(programName, reapArgument, child)
    }

    /// The child has been reaped: after a crash from now on, the reap mode exits with this status at once.
    public static func childTerminated(_ termination: ChildTermination) {
        hr_crash_guard_record_status(termination.exitStatus)
    }

    /// Gives the calling thread (one of hybrid-run's own, long-lived) an alternate stack for the crash
    /// handler, so that even its own stack overflowing is handled.
    public static func prepareThread() { hr_crash_guard_prepare_thread() }
}
