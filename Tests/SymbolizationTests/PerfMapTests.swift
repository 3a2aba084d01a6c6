import Foundation
import Glibc
import Symbolization
import Testing

/// `/tmp/perf-PID.map` is anyone's to write: what hybrid-run reads from it is bounded, checked and never fatal.
@Suite struct PerfMapTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-perfmap-\(UUID().uuidString)").path

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    private func write(_ bytes: [UInt8], to name: String = "perf-1.map") throws -> String {
        let path = "\(directory)/\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func write(_ text: String) throws -> String { try write(Array(text.utf8)) }

    @Test func namesAddressesFromTheLinesThatCoverThemTheLastLineWinning() throws {
        let path = try write("1000 10 first\n0x2000 0x20 LazyCompile:*fib /app/fib.js:1\n2010 8 py::reused:/app/x.py\n")
        let names = PerfMap.names(of: [0x1000, 0x100f, 0x1010, 0x2000, 0x2010, 0x2018, 0xfff], path: path)
        #expect(names == [0x1000: "first", 0x100f: "first", 0x2000: "LazyCompile:*fib /app/fib.js:1",
                          0x2010: "py::reused:/app/x.py", 0x2018: "LazyCompile:*fib /app/fib.js:1"])
    }

    @Test func skipsGarbageAndOverlongLinesAndReadsOn() throws {
        var bytes = Array("\nzzz 10 x\n1000 10\n1000  10 double\n10000000000000000 1 big\n-1000 10 negative\n".utf8)
        bytes += [0, 0xff, 0xfe, 0x20, 0x0a]
        bytes += Array(("1000 10 " + String(repeating: "a", count: 100_000) + "\n").utf8)
        bytes += Array("fffffffffffffff0 100 wraps\n3000 10 good\n4000 10 crlf\r\n5000 10 last".utf8)
        let names = PerfMap.names(of: [0x1000, 0x3000, 0x4000, 0x5000, UInt64.max], path: try write(bytes))
        #expect(names == [0x3000: "good", 0x4000: "crlf", 0x5000: "last", UInt64.max: "wraps"])
    }

    @Test func ignoresAFileNeitherRootNorWeOwn() throws {
        let path = try write("1000 10 planted\n")
        #expect(chown(path, 65534, 65534) == 0)
        #expect(PerfMap.names(of: [0x1000], path: path).isEmpty)
    }

    @Test func ignoresASymlinkAFIFOAndADirectory() throws {
        let target = try write(Array("1000 10 target\n".utf8), to: "target.map")
        #expect(PerfMap.names(of: [0x1000], path: target) == [0x1000: "target"])
        #expect(symlink(target, "\(directory)/link.map") == 0)
        #expect(PerfMap.names(of: [0x1000], path: "\(directory)/link.map").isEmpty)
        #expect(mkfifo("\(directory)/fifo.map", 0o600) == 0)
        #expect(PerfMap.names(of: [0x1000], path: "\(directory)/fifo.map").isEmpty, "and no wait for a writer")
        #expect(PerfMap.names(of: [0x1000], path: directory).isEmpty)
        #expect(PerfMap.names(of: [0x1000], path: "\(directory)/missing.map").isEmpty)
    }

    /// A (sparse) file larger than the bound is read up to the bound: lines past it are not.
    @Test func readsAHugeFileOnlyUpToTheBound() throws {
        let path = try write("5000 10 early\n")
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(PerfMap.maximumFileSize))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n6000 10 past\n".utf8))
        try handle.close()
        #expect(PerfMap.names(of: [0x5000, 0x6000], path: path) == [0x5000: "early"])
    }
}
