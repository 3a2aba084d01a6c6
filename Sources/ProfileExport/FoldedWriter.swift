import Profiles

/// Folded stacks (Brendan Gregg's collapsed format): one line per distinct stack, `root;…;leaf COUNT`,
/// as flamegraph.pl, inferno and speedscope read it.
///
/// Each process contributes its executable's name as the root frame, so a process tree reads as one
/// flame graph split by program. Threads of a process fold together.
public enum FoldedWriter {
    /// - Parameter wall: the wall variant (`--wall`, `*.wall.folded`): each stack's wall time in microseconds
    ///   (folded files have no unit; a sample count would hide blocked time, which has no samples).
    public static func write(_ profile: Profile, wall: Bool = false) -> String {
        var counts: [String: Int] = [:]
        for stack in profile.namedStacks(weight: wall ? { Int($0.wallTime / 1000) } : { $0.count }) {
            counts[line(stack.names), default: 0] += stack.count
        }
        // A stack of less than half a period of CPU time (ptrace) can round to no sample: it has no line.
        return counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
    }

    /// The frames part of a line: names escaped and joined by `;`.
    package static func line(_ names: [String]) -> String {
        names.map(escaped).joined(separator: ";")
    }

    /// `;` separates frames and a newline ends the line, so names lose them; spaces stay (readers split the
    /// count off at the last space, and demangled Swift and C++ names are full of them).
    static func escaped(_ name: String) -> String {
        // Looked for in the bytes first: mapping every name's `Character`s was a fifth of the end of a build's run.
        guard name.utf8.contains(where: { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "\n") }) else { return name }
        return String(name.map { $0 == ";" ? ":" : ($0 == "\n" ? " " : $0) })
    }
}
