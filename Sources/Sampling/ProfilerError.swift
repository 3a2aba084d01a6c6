import Binaries
import Glibc
import ProcessLaunch
import SafeText

/// The child could not be sampled; it is still gated and can be released to run unprofiled.
public struct ProfilerError: Error, CustomStringConvertible {
    /// Why each way of sampling that was tried failed, and what would permit it.
    public let reasons: [String]
    /// Whether a perf buffer was refused for (locked) memory, where a smaller one may fit.
    let smallerBufferMayFit: Bool

    init(reasons: [String], smallerBufferMayFit: Bool = false) {
        self.reasons = reasons
        self.smallerBufferMayFit = smallerBufferMayFit
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

    /// A perf ring buffer of `dataPages` (and its header page) refused by `mmap` with `errno`: for locked memory
    /// (`EPERM`) or memory (`ENOMEM`), where a smaller one may fit; `nil` for any other reason.
    static func bufferRefused(errno: Int32, dataPages: Int) -> ProfilerError? {
        guard errno == EPERM || errno == ENOMEM else { return nil }
        let kilobytes = (dataPages + 1) * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
        let reason = "perf buffers: \(kilobytes) KiB refused (\(String(cString: strerror(errno))))"
        guard errno == EPERM else { return ProfilerError(reasons: [reason], smallerBufferMayFit: true) }
        let perCPU = ProcFile.read("/proc/sys/kernel/perf_event_mlock_kb")?.trimmingWhitespace() ?? "?"
        var limit = rlimit()
        let ulimit = getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) != 0 ? "?"
            : limit.rlim_cur == rlim_t.max ? "unlimited" : "\(limit.rlim_cur / 1024) KiB"
        return ProfilerError(reasons: [reason + ": a user may lock kernel.perf_event_mlock_kb (\(perCPU) KiB) per online CPU for perf "
            + "buffers and a process ulimit -l (\(ulimit)) more; raise ulimit -l, or kernel.perf_event_mlock_kb"],
                             smallerBufferMayFit: true)
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
