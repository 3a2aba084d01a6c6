import Foundation

/// What `/proc` says about processes a test started indirectly (the children of `hybrid-run`).
public enum ProcessTable {
    /// Pids whose parent is `pid`.
    public static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { parent(of: $0) == pid }
    }

    public static func parent(of pid: Int32) -> Int32? {
        fields(ofStatAt: "/proc/\(pid)/stat").flatMap { Int32($0[1]) }
    }

    /// The state letter of every thread (`R`, `S`, `T` stopped, `t` tracing stop, `Z` zombie…); empty once reaped.
    public static func threadStates(of pid: Int32) -> [Character] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { fields(ofStatAt: "/proc/\(pid)/task/\($0)/stat")?.first?.first }
    }

    /// User plus system CPU time of the whole process, in clock ticks.
    public static func cpuTicks(of pid: Int32) -> Int? {
        guard let fields = fields(ofStatAt: "/proc/\(pid)/stat"), fields.count > 12,
              let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    /// The fields after `pid (comm)`: state first, then the parent's pid, and so on.
    private static func fields(ofStatAt path: String) -> [String]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ").map(String.init)
    }
}
