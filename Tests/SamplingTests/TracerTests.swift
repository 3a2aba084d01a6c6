import Foundation
import ProfilerTestSupport
import TestSupport
import Testing

/// The ptrace sampler through `hybrid-run --sampler ptrace`: what its profile says against what the kernel
/// measured, independently of hybrid-run. Serialized: each run needs both CPUs.
@Suite(.serialized) struct TracerTests {
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-tracer-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func hybridRun(rate: Int, output: String, _ command: [String]) async throws -> RunResult {
        let result = try await ProcessRunner.run(try TestEnvironment.executable("hybrid-run"),
                                                 ["--sampler", "ptrace", "--rate", String(rate), "--output", output, "--"] + command,
                                                 environment: ProfilerEndToEndTests.environment, timeout: .seconds(300))
        #expect(result.status == 0, "\(result.stderr)")
        return result
    }

    /// Runs `command` under a Python parent that prints on stderr, as its last line, the CPU time (user + system,
    /// seconds) the kernel accounted to its reaped children (`getrusage(RUSAGE_CHILDREN)`): the command's own,
    /// measured by the kernel, not by the code under test.
    private func measured(_ command: [String]) throws -> [String] {
        let script = """
            import resource, subprocess, sys
            subprocess.run(sys.argv[1:], check=True)
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            print("children-cpu", usage.ru_utime + usage.ru_stime, file=sys.stderr)
            """
        return [try TestEnvironment.current.python.path, "-c", script] + command
    }

    private func childrenCPU(_ stderr: String) throws -> Double {
        let line = try #require(stderr.split(separator: "\n").last { $0.hasPrefix("children-cpu ") }, "\(stderr)")
        return try #require(Double(line.dropFirst("children-cpu ".count)))
    }

    /// Nanoseconds of CPU time a speedscope file gives the processes running `program`.
    private func profiledCPU(_ path: String, program: String) throws -> Double {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let profiles = try #require(json["profiles"] as? [[String: Any]])
        return profiles.filter { ($0["name"] as? String)?.hasPrefix("\(program) (pid ") == true }
            .compactMap { $0["weights"] as? [Double] }.joined().reduce(0, +)
    }

    /// Eight busy threads on this 2-core machine (the oversubscription of 64 on 16 cores): each thread is runnable
    /// three quarters of the time without running, and a sampler that counts a period per stop counts it
    /// (2.2× to 4× the CPU time, measured). A sample stands for the CPU time its thread used since its previous
    /// one, so the profile's total is the CPU time the kernel accounted, at any rate.
    ///
    /// 5 %: the profile misses what each thread runs after its last sample (at most a few periods each when the
    /// tracer is starved for CPU: under 1 % of 8 CPU-seconds at 100 Hz, measured) and the command's CPU before
    /// its exec; the workload spins on its own CPU time, so a loaded machine changes neither total.
    @Test(arguments: [100, 1000]) func theProfilesCPUTimeIsTheCPUTimeTheThreadsUsed(rate: Int) async throws {
        let file = directory.appendingPathComponent("threads-\(rate).speedscope.json").path
        let result = try await hybridRun(rate: rate, output: file, try measured([try Fixture.workload(), "threads", "8", "1"]))
        let real = try childrenCPU(result.stderr)
        let profiled = try profiledCPU(file, program: "workload") / 1e9
        #expect(real > 7.5, "the workload's 8 threads each spin 1 s of CPU time: \(result.stderr)")
        #expect(abs(profiled - real) / real < 0.05, "profile \(profiled) s of CPU, the kernel accounted \(real) s")
    }

    /// The tracer keeps two `/proc` files open per thread: under a soft open-file limit of 64 (hard 4,096), a
    /// command of 40 threads is still profiled whole, because hybrid-run raises its own soft limit (the command
    /// keeps 64, `PassThroughTests.theCommandGetsTheOpenFileLimitHybridRunWasGiven`). Without the raise, the
    /// threads whose files could not be opened were left out: half the CPU time or more.
    @Test func aLowOpenFileLimitLeavesNoThreadOut() async throws {
        let file = directory.appendingPathComponent("nofile.speedscope.json").path
        let command = ["--nofile=64:4096", try TestEnvironment.executable("hybrid-run").path, "--sampler", "ptrace", "--rate", "100",
                       "--output", file, "--"] + (try measured([try Fixture.workload(), "threads", "40", "0.2"]))
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/prlimit"), command,
                                                 environment: ProfilerEndToEndTests.environment, timeout: .seconds(300))
        #expect(result.status == 0, "\(result.stderr)")
        let real = try childrenCPU(result.stderr)
        let profiled = try profiledCPU(file, program: "workload") / 1e9
        #expect(real > 7.5, "the workload's 40 threads each spin 0.2 s of CPU time: \(result.stderr)")
        #expect(abs(profiled - real) / real < 0.05, "profile \(profiled) s of CPU, the kernel accounted \(real) s")
    }

    /// The warnings given while the tracer is behind and the summary at the end count the same samples in
    /// the same words: each warning states the counts as they stood then, never more than the summary's.
    @Test func theWarningsAndTheSummaryCountTheSameMissedSamples() async throws {
        let file = directory.appendingPathComponent("behind.folded").path
        // 5 kHz: a period of 200 µs, less than stopping four threads competing for two CPUs takes.
        let result = try await hybridRun(rate: 5000, output: file, [try Fixture.workload(), "threads", "4", "1"])
        let pattern = /(\d+) samples taken, (\d+) lost \((\d+) of them missed while the profiler was behind the requested rate\)/
        let lines = result.stderr.split(separator: "\n")
        let warnings = lines.filter { $0.contains("profiler is behind the requested rate of 5000.0 Hz: so far ") }
        let summaries = lines.filter { $0.hasPrefix("hybrid-run: profile: ") && $0.contains(" samples taken, ") }
        try #require(!warnings.isEmpty && summaries.count == 1, "\(result.stderr)")
        func counts(_ line: Substring) throws -> [Int] {
            let match = try #require(line.firstMatch(of: pattern), "\(line)")
            return [Int(match.1)!, Int(match.2)!, Int(match.3)!]
        }
        let total = try counts(summaries[0])
        #expect(total[2] > 0 && total[2] <= total[1], "\(summaries[0])")
        var previous = [0, 0, 0]
        for warning in warnings {
            let sofar = try counts(warning)
            #expect(zip(sofar, previous).allSatisfy { $0 >= $1 } && zip(sofar, total).allSatisfy { $0 <= $1 },
                    "\(warning) against \(summaries[0])")
            previous = sofar
        }
    }
}
