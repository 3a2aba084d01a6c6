import Glibc

/// Reads a process's memory layout from `/proc/PID/maps`.
public enum ProcessMaps {
    /// The mappings of `pid` in address order; empty when the process is gone.
    public static func read(pid: pid_t) -> [MemoryMapping] {
        guard let text = ProcFile.read("/proc/\(pid)/maps") else { return [] }
        return parse(text)
    }

    public static func parse(_ text: String) -> [MemoryMapping] {
        var text = text
        return text.withUTF8 { bytes in
            bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
                MemoryMapping(mapsLine: UnsafeBufferPointer(rebasing: line))
            }
        }
    }
}

/// Whole-file reads of `/proc` and `/sys` files (their size is unknown until read).
package enum ProcFile {
    package static func read(_ path: String) -> String? {
        bytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    package static func bytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }
}

extension ProcessMaps {
    /// The path of the program `pid` runs, or its command name when the process is gone or not ours to read.
    public static func executablePath(pid: pid_t) -> String {
        executableLink(pid: pid) ?? threadName(pid: pid, tid: pid) ?? "?"
    }

    /// The path of the program `pid` runs, as `/proc/PID/exe` links to it; `nil` when the process is gone or not ours to read.
    public static func executableLink(pid: pid_t) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A live thread's name, as `prctl(PR_SET_NAME)` or the program name set it; `nil` once it is gone.
    public static func threadName(pid: pid_t, tid: pid_t) -> String? {
        guard let name = ProcFile.read("/proc/\(pid)/task/\(tid)/comm"), !name.isEmpty else { return nil }
        return name.hasSuffix("\n") ? String(name.dropLast()) : name
    }
}
