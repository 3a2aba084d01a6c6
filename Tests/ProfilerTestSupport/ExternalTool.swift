import Foundation

/// Runs a program that checks our output independently (a decoder or validator the code under test did
/// not write) and returns what it printed.
public enum ExternalTool {
    public struct Output: Sendable {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
    }

    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        let standardInput = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = standardInput
        try process.run()
        if let input { standardInput.fileHandleForWriting.write(input) }
        try standardInput.fileHandleForWriting.close()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
                      standardError: String(decoding: errData, as: UTF8.self))
    }

    /// A Python with `module` importable: the project's venv first, then `python3` on `PATH`.
    public static func python(with module: String) throws -> String {
        let root = Fixture.sourceDirectory.deletingLastPathComponent().deletingLastPathComponent().path
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["\(root)/.venv/bin/python"] + path.split(separator: ":").map { "\($0)/python3" }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            if (try? run(candidate, ["-c", "import \(module)"]))?.status == 0 { return candidate }
        }
        throw FixtureError("no Python with \(module) (add it to scripts/standins/requirements.txt)")
    }

    /// Runs a Python `script` that fills a `profile_pb2.Profile` (the official profile.proto's generated code, as
    /// `sys.argv[1]` holds it) and writes it to `sys.argv[2]`; returns the file's bytes. For pprof files shaped
    /// unlike ours (Go's, heap profiles, empty ones), made by a writer we did not write.
    public static func pprofMadeByPython(_ script: String) throws -> [UInt8] {
        let root = Fixture.sourceDirectory.deletingLastPathComponent().deletingLastPathComponent().path
        let path = try temporaryFile(Data(), suffix: ".pb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run("\(root)/.venv/bin/python", ["-c", script, "\(root)/.venv/standins-gen", path])
        guard result.status == 0 else { throw FixtureError("python: \(result.standardError)") }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// What `pprof -diff_base` writes: the base's samples negated beside the new ones (here `main`, 500 samples
    /// of 10 ms both sides), so that values sum to the difference.
    public static func pprofDiffMadeByPython() throws -> [UInt8] {
        try pprofMadeByPython("""
            import sys
            sys.path.insert(0, sys.argv[1])
            import profile_pb2
            p = profile_pb2.Profile()
            p.string_table.extend(["", "samples", "count", "cpu", "nanoseconds", "main"])
            p.sample_type.add(type=1, unit=2)
            p.sample_type.add(type=3, unit=4)
            p.function.add(id=1, name=5)
            p.location.add(id=1).line.add(function_id=1)
            p.sample.add(location_id=[1], value=[500, 5000000000])
            p.sample.add(location_id=[1], value=[-500, -5000000000])
            open(sys.argv[2], "wb").write(p.SerializeToString())
            """)
    }

    /// A "gzip bomb": `count` zero bytes gzipped by gzip(1), streamed from /dev/zero (never held in memory here).
    public static func gzippedZeros(count: Int) throws -> [UInt8] {
        let path = try temporaryFile(Data(), suffix: ".gz")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run("/bin/sh", ["-c", "head -c \(count) /dev/zero | gzip -c -1 > \"$0\"", path])
        guard result.status == 0 else { throw FixtureError("gzip: \(result.standardError)") }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    public static func temporaryFile(_ bytes: Data, suffix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-\(UUID().uuidString)\(suffix)").path
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }
}
