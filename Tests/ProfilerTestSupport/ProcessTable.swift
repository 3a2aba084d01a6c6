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

    /// `pid` and every process descended from it that is still there.
    public static func tree(of pid: Int32) -> [Int32] {
        [pid] + children(of: pid).flatMap { tree(of: $0) }
    }

    /// The `TracerPid` of every thread of `pid` (0 when nothing traces it); empty once reaped.
    public static func tracers(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { task in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("TracerPid:") })
            else { return nil }
            return Int32(line.dropFirst("TracerPid:".count).trimmingCharacters(in: .whitespaces))
        }
    }

    /// The command line of `pid`, its arguments split.
    public static func arguments(of pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
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
