import Foundation
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
        #expect(result.stderr == "generator-otel: error: cannot create \(target): No such file or directory\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workload.directory.path).isEmpty)
    }
}
