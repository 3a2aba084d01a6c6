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

    /// Writes `bytes` to a fresh temporary file and returns its path.
    public static func temporaryFile(_ bytes: Data, suffix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-\(UUID().uuidString)\(suffix)").path
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }
}
