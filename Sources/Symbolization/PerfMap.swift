import Binaries
import Glibc

/// Names of code compiled at run time, from the symbol map its runtime writes for perf:
/// `/tmp/perf-PID.map`, one `START SIZE NAME` line per function, START and SIZE in hex (linux
/// `tools/perf/Documentation/jit-interface.txt`). `node --perf-basic-prof`, `python3.12 -X perf`, the JVM's
/// perf-map-agent and .NET (`DOTNET_PerfMapEnabled`) write it.
///
/// It is read when a profile is symbolized, as `perf report` reads it after the run: the runtime appends a
/// line per function it compiles while it runs, and leaves the file behind when it exits, so the latest
/// read names the most. Where lines overlap (a JIT reuses memory) the last one wins: the newest code there.
///
/// The file is anyone's to write in `/tmp`, so it is read as hostile: a file not owned by root or by
/// hybrid-run's effective user is ignored (perf's rule for these maps, `dso__load` in `tools/perf/util/symbol.c`),
/// as is a symlink or anything but a regular file (a FIFO must not block the read). At most
/// ``maximumFileSize`` bytes are read; lines longer than ``maximumLineLength`` and lines that do not parse
/// are skipped. Memory stays bounded by the addresses asked about, however large the file.
public enum PerfMap {
    public static let maximumFileSize = 256 << 20
    public static let maximumLineLength = 4096

    /// The map of process `pid`.
    public static func path(pid: pid_t, directory: String = "/tmp") -> String { "\(directory)/perf-\(pid).map" }

    /// The names the map at `path` gives to `addresses`: those no line covers are absent.
    public static func names(of addresses: [UInt64], path: String) -> [UInt64: String] {
        guard !addresses.isEmpty else { return [:] }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
              status.st_uid == 0 || status.st_uid == geteuid()
        else { return [:] }
        var lookup = Lookup(addresses: addresses.sorted())
        var line: [UInt8] = []
        line.reserveCapacity(256)
        var skipping = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while total < maximumFileSize {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, maximumFileSize - total)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            total += count
            for byte in chunk[0..<count] {
                if byte == UInt8(ascii: "\n") {
                    if !skipping { lookup.apply(line: line) }
                    line.removeAll(keepingCapacity: true)
                    skipping = false
                } else if !skipping {
                    line.append(byte)
                    if line.count > maximumLineLength {
                        skipping = true
                        line.removeAll(keepingCapacity: true)
                    }
                }
            }
        }
        // A last line without its newline is complete only at the end of the file, not where the size bound cut it.
        if !skipping, total < maximumFileSize { lookup.apply(line: line) }
        return lookup.names
    }

    /// The sorted addresses asked about and the names found for them so far.
    private struct Lookup {
        let addresses: [UInt64]
        var names: [UInt64: String] = [:]

        init(addresses: [UInt64]) { self.addresses = addresses }

        mutating func apply(line: [UInt8]) {
            guard let (start, size, name) = Self.parse(line), size > 0 else { return }
            let (end, overflow) = start.addingReportingOverflow(size)
            var index = addresses.partitioningIndex { $0 >= start }
            while index < addresses.count, overflow || addresses[index] < end {
                names[addresses[index]] = name
                index += 1
            }
        }

        /// `START SIZE NAME`: hex numbers (an `0x` prefix allowed) separated by single spaces, then the
        /// name, which may hold spaces (`LazyCompile:*fib /app/fib.js:1`), up to the end of the line.
        private static func parse(_ line: [UInt8]) -> (UInt64, UInt64, String)? {
            var index = 0
            guard let start = hex(line, &index), index < line.count, line[index] == UInt8(ascii: " ") else { return nil }
            index += 1
            guard let size = hex(line, &index), index < line.count, line[index] == UInt8(ascii: " ") else { return nil }
            var name = line[(index + 1)...]
            while let last = name.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") { name = name.dropLast() }
            guard !name.isEmpty else { return nil }
            return (start, size, String(decoding: name, as: UTF8.self))
        }

        private static func hex(_ line: [UInt8], _ index: inout Int) -> UInt64? {
            if index + 1 < line.count, line[index] == UInt8(ascii: "0"), line[index + 1] | 0x20 == UInt8(ascii: "x") {
                index += 2
            }
            var value: UInt64 = 0
            let first = index
            while index < line.count, let digit = digit(line[index]) {
                guard value >> 60 == 0 else { return nil }
                value = value << 4 | digit
                index += 1
            }
            return index > first ? value : nil
        }

        private static func digit(_ byte: UInt8) -> UInt64? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(byte - UInt8(ascii: "A") + 10)
            default: nil
            }
        }
    }
}
