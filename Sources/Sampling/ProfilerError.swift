import Binaries
import Glibc

/// The child could not be traced; it is still gated and can be released to run unprofiled.
public struct ProfilerError: Error, CustomStringConvertible {
    public let errno: Int32
    /// Why, and what would permit tracing here.
    public let description: String

    /// Explains a failed `PTRACE_SEIZE` from what this process can see of its own restrictions.
    static func seizeFailed(errno: Int32) -> ProfilerError {
        let reason = String(cString: strerror(errno))
        guard errno == EPERM || errno == EACCES else {
            return ProfilerError(errno: errno, description: "cannot profile the command (ptrace: \(reason)); running it unprofiled")
        }
        var causes: [String] = []
        if let scope = ProcFile.read("/proc/sys/kernel/yama/ptrace_scope")?.trimmingWhitespace, scope != "0", scope != "1" {
            causes.append("Yama kernel.yama.ptrace_scope is \(scope) (set it to 1: sysctl kernel.yama.ptrace_scope=1)")
        }
        let status = ProcFile.read("/proc/self/status") ?? ""
        if let capabilities = field("CapEff", in: status), let mask = UInt64(capabilities, radix: 16),
           mask & (1 << 19) == 0 {
            causes.append("this process lacks CAP_SYS_PTRACE (in a container: docker run --cap-add=SYS_PTRACE)")
        }
        if let seccomp = field("Seccomp", in: status), seccomp != "0" {
            causes.append("a seccomp filter is active and may forbid ptrace (docker: --security-opt seccomp=unconfined)")
        }
        let why = causes.isEmpty ? "ptrace was refused" : causes.joined(separator: "; ")
        return ProfilerError(errno: errno, description: "cannot profile the command (ptrace: \(reason)): \(why); running it unprofiled")
    }

    private static func field(_ name: String, in status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingWhitespace }
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
