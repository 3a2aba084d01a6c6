import Foundation

/// What this process's own credentials allow, as `/proc/self/status` shows them: whether a program it
/// traces keeps the privileges its `exec` would grant, and whether an `exec` may grant any.
public enum OwnPrivileges {
    /// CAP_SYS_PTRACE in the effective set. A program traced by this process then keeps what its `exec`
    /// grants; without it, the kernel runs the program with the tracer's credentials instead (set-user-ID
    /// and set-group-ID ignored, file capabilities dropped).
    public static var canTraceWithPrivileges: Bool {
        guard let mask = field("CapEff").flatMap({ UInt64($0, radix: 16) }) else { return false }
        return mask & (1 << 19) != 0
    }

    /// `PR_SET_NO_NEW_PRIVS` (inherited by every child): no `exec` grants anything.
    public static var hasNoNewPrivileges: Bool { field("NoNewPrivs") == "1" }

    private static func field(_ name: String) -> String? {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }
}
