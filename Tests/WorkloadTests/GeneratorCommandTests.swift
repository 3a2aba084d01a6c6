import Foundation
import Glibc
import TestSupport
import Testing

@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct GeneratorCommandTests {
    @Test func sameSeedWritesIdenticalBytesToFilesAndStandardOutput() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        for (name, seed) in [("a.jsonl", "5"), ("b.jsonl", "5"), ("c.jsonl", "6")] {
            let result = try await workload.generate(["2000", workload.path(name), "--seed", seed])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: workload.path("a.jsonl")))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: workload.path("b.jsonl")))))
        #expect(a != (try Data(contentsOf: URL(fileURLWithPath: workload.path("c.jsonl")))))
        let piped = try await workload.generate(["2000", "-", "--seed", "5"])
        #expect(Data(piped.stdout) == a)
    }

    @Test func printsOneSummaryLineAndNoProgressWhenStderrIsNotATerminal() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let result = try await workload.generate(["150000", workload.path("big.json")])
        #expect(result.status == 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("generator-otel: wrote 150000 records (") == true)
        #expect(lines.first?.contains("records/s") == true && lines.first?.contains("MB/s") == true)
        #expect(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workload.path("big.json")))) as? [Any] != nil)
    }

    @Test func showsProgressWhenStderrIsATerminal() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let generator = try TestEnvironment.executable("generator-otel").path
        // script(1) gives the generator a pseudo-terminal as stdin, stdout and stderr, and copies what it shows.
        let result = try await ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/script"), ["-qfec", "\(generator) 600000 \(workload.path("orders.jsonl"))", "/dev/null"],
            environment: Workload.environment())
        #expect(result.status == 0, "\(result.stderr)")
        let shown = result.stdoutText
        #expect(shown.contains(/\rgenerator-otel: \d+\/600000 records \(\d+%\)/), "\(shown.debugDescription)")
        #expect(shown.contains("generator-otel: wrote 600000 records"))
    }

    @Test(arguments: [[], ["10"], ["-3", "x.json"], ["ten", "x.json"], ["10", "x.json", "--seed", "-1"]])
    func badArgumentsExitWithUsageStatus(arguments: [String]) async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let result = try await workload.generate(arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.lowercased().contains("usage: generator-otel"), "\(result.stderr)")
    }

    @Test func unwritableFileExitsOneWithOneLineAndLeavesNoFile() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let target = workload.path("missing/out.json")
        let result = try await workload.generate(["100", target])
        #expect(result.status == 1)
        #expect(result.stderr == "generator-otel: error: cannot write \(target): directory \(workload.path("missing")) does not exist: create it first\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workload.directory.path).isEmpty)
    }

    @Test func aDirectoryIsRefusedBeforeAnyRecordIsWritten() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let target = workload.path("orders.json")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        let result = try await workload.generate(["100", target])
        #expect(result.status == 1)
        #expect(result.stderr == "generator-otel: error: cannot write \(target): it names a directory: give the name of a file\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workload.directory.path) == ["orders.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
    }

    @Test func aSymlinkIsWrittenThroughAndTheFileKeepsItsMode() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        try FileManager.default.createDirectory(atPath: workload.path("data"), withIntermediateDirectories: false)
        let target = workload.path("data/orders.json")
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        #expect(chmod(target, 0o600) == 0)
        #expect(symlink("data/orders.json", workload.path("latest.json")) == 0)

        let result = try await workload.generate(["100", workload.path("latest.json")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: workload.path("latest.json")) == "data/orders.json")
        var status = stat()
        #expect(lstat(target, &status) == 0 && status.st_mode & S_IFMT == S_IFREG)
        #expect(status.st_mode & 0o7777 == 0o600)
        #expect((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: target))) as? [Any])?.count == 100)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workload.path("data")) == ["orders.json"])
    }

    @Test func aFIFOIsWrittenInPlaceForItsReader() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let fifo = workload.path("orders.fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        let reader = try FIFOReader(path: fifo)
        let result = try await workload.generate(["3000", fifo, "--seed", "5"])
        let received = reader.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(received.sawEndOfFile, "the generator never opened the FIFO")
        #expect(received.bytes == (try await workload.generate(["3000", "-", "--seed", "5"])).stdout)
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
    }

    /// Enough records that the generator is still writing when the test has seen its temporary file grow.
    static let endlessCount = "3000000"

    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func aSignalMidWriteRemovesTheTemporaryFileAndEndsWithTheSignalsStatus(signal: Int32) async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let target = workload.path("orders.jsonl")
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: target))
        let generator = try RunningProcess(
            try TestEnvironment.executable("generator-otel"), [Self.endlessCount, target], environment: Workload.environment())
        try await workload.waitUntilATemporaryFileGrows(next: "orders.jsonl", written: generator)
        generator.send(signal)
        let result = try await generator.wait(timeout: .seconds(60))
        #expect(result.signal == signal && result.status == 128 + signal, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workload.directory.path) == ["orders.jsonl"])
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "old\n")
    }

    @Test func aHangUpIgnoredAtStartStaysIgnored() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let target = workload.path("orders.jsonl")
        // As under nohup: SIGHUP is ignored when the generator starts, so it must not end it (SIGTERM still does).
        let generator = try RunningProcess(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "trap '' HUP && exec \"$0\" \"$1\" \"$2\"", try TestEnvironment.executable("generator-otel").path,
                                              Self.endlessCount, target],
            environment: Workload.environment())
        try await workload.waitUntilATemporaryFileGrows(next: "orders.jsonl", written: generator)
        generator.send(SIGHUP)
        generator.send(SIGTERM)
        let result = try await generator.wait(timeout: .seconds(60))
        #expect(result.signal == SIGTERM, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workload.directory.path).isEmpty)
    }
}
