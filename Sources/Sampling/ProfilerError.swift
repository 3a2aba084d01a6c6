import Binaries
import Glibc
import ProcessLaunch
import SafeText

/// The child could not be sampled; it is still gated and can be released to run unprofiled.
public struct ProfilerError: Error, CustomStringConvertible {
    /// Why each way of sampling that was tried failed, and what would permit it.
    public let reasons: [String]
    /// Whether a perf buffer was refused for locked memory (a smaller one may fit).
    let isOutOfLockedMemory: Bool

    init(reasons: [String], isOutOfLockedMemory: Bool = false) {
        self.reasons = reasons
        self.isOutOfLockedMemory = isOutOfLockedMemory
    }

    public var description: String {
        "cannot profile the command (\(reasons.joined(separator: "; "))); running it unprofiled"
    }

    /// Both ways failed: the user is told why for each, so either can be fixed.
    static func combining(_ errors: ProfilerError...) -> ProfilerError {
        ProfilerError(reasons: errors.flatMap(\.reasons))
    }

    /// Explains a failed `PTRACE_SEIZE` from what this process can see of its own restrictions.
    static func seizeFailed(errno: Int32) -> ProfilerError {
        let reason = "ptrace: \(String(cString: strerror(errno)))"
        guard errno == EPERM || errno == EACCES else { return ProfilerError(reasons: [reason]) }
        var causes: [String] = []
        if let scope = ProcFile.read("/proc/sys/kernel/yama/ptrace_scope")?.trimmingWhitespace(), scope != "0", scope != "1" {
            causes.append("Yama kernel.yama.ptrace_scope is \(scope) (set it to 1: sysctl kernel.yama.ptrace_scope=1)")
        }
        let status = ProcFile.read("/proc/self/status") ?? ""
        if !OwnPrivileges.canTraceWithPrivileges {
            causes.append("this process lacks CAP_SYS_PTRACE (in a container: docker run --cap-add=SYS_PTRACE)")
        }
        causes += seccompCause(for: "ptrace", in: status)
        return ProfilerError(reasons: [reason + ": " + (causes.isEmpty ? "ptrace was refused" : causes.joined(separator: "; "))])
    }

    /// Tracing would cost the command the privilege its `exec` grants (the child is still gated, to run as is).
    static func losesPrivilegeWhenTraced(_ executable: PrivilegedExecutable) -> ProfilerError {
        ProfilerError(reasons: ["ptrace: \(ShownText.value(executable.path)) is \(executable.grants.joined(separator: ", ")), "
            + "which the kernel ignores for a program traced without CAP_SYS_PTRACE"])
    }

    /// Explains a failed `perf_event_open` the same way.
    static func perfEventFailed(errno: Int32) -> ProfilerError {
        let reason = "perf_event_open: \(String(cString: strerror(errno)))"
        switch errno {
        case ENOSYS, ENOENT, ENODEV:
            return ProfilerError(reasons: [reason + ": this kernel has no perf events"])
        case EPERM, EACCES:
            var causes: [String] = []
            if let level = ProcFile.read("/proc/sys/kernel/perf_event_paranoid")?.trimmingWhitespace(), let value = Int(level), value > 2 {
                causes.append("kernel.perf_event_paranoid is \(value) (set it to 2: sysctl kernel.perf_event_paranoid=2)")
            }
            causes += seccompCause(for: "perf_event_open", in: ProcFile.read("/proc/self/status") ?? "")
            return ProfilerError(reasons: [reason + ": " + (causes.isEmpty ? "perf events were refused" : causes.joined(separator: "; "))])
        default:
            return ProfilerError(reasons: [reason])
        }
    }

    /// A perf ring buffer of `dataPages` (and its header page) refused: the user's locked memory is used up.
    static func perfBuffersRefused(dataPages: Int) -> ProfilerError {
        let perCPU = ProcFile.read("/proc/sys/kernel/perf_event_mlock_kb")?.trimmingWhitespace() ?? "?"
        var limit = rlimit()
        let ulimit = getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) == 0 && limit.rlim_cur != rlim_t.max ? "\(limit.rlim_cur / 1024) KiB" : "unlimited"
        return ProfilerError(reasons: ["perf buffers: no locked memory left for \(dataPages + 1) pages a CPU (kernel.perf_event_mlock_kb is "
            + "\(perCPU) KiB a CPU and ulimit -l \(ulimit), shared by this user's perf buffers): raise ulimit -l, or kernel.perf_event_mlock_kb"],
                             isOutOfLockedMemory: true)
    }

    private static func seccompCause(for call: String, in status: String) -> [String] {
        guard let seccomp = field("Seccomp", in: status), seccomp != "0" else { return [] }
        return ["a seccomp filter is active and may forbid \(call) (docker: --security-opt seccomp=unconfined)"]
    }

    private static func field(_ name: String, in status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { String($0.dropFirst(name.count + 1).trimmingWhitespace()) }
    }
}
