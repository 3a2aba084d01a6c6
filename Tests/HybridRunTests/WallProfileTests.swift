import Foundation
import Glibc
import ProfilerTestSupport
import Testing
import TestSupport

/// `--wall` end to end, against the exactness fixture (`wall_phases.c`): its worker's four phases must have the wall
/// shares the fixture itself measured (CLOCK_MONOTONIC around each phase), its idle thread the run's wall time, and
/// the pprof file must be readable by `go tool pprof -sample_index=wall` (an independent decoder).
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct WallProfileTests {
    static let phases = ["compute_phase", "sleep_phase", "read_phase", "lock_phase"]

    /// What the fixture printed: `key=value` pairs (nanoseconds) on its last stderr line.
    struct FixtureMeasurements {
        var values: [String: Double] = [:]

        init(stderr: String) throws {
            let line = try #require(stderr.split(separator: "\n").first { $0.hasPrefix("wall_phases: ") }, "\(stderr)")
            for pair in line.split(separator: " ") {
                let parts = pair.split(separator: "=")
                if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
            }
        }

        func share(_ phase: String) -> Double {
            let key = String(phase.dropLast("_phase".count))
            let total = WallProfileTests.phases.reduce(0) { $0 + (values[String($1.dropLast("_phase".count))] ?? 0) }
            return 100 * (values[key] ?? 0) / max(total, 1)
        }
    }

    /// Cumulative wall time per function in milliseconds, as `go tool pprof -sample_index=wall -top -cum` reads it.
    static func cumulativeWall(inPprof path: String) throws -> [String: Double] {
        try cumulative(inPprof: path, sampleIndex: "wall")
    }

    /// Each function's cumulative milliseconds of `sampleIndex` (`wall`, `cpu`), as `go tool pprof` reads the file.
    static func cumulative(inPprof path: String, sampleIndex: String) throws -> [String: Double] {
        let output = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-sample_index=\(sampleIndex)", "-top", "-cum", "-unit=ms",
                                                          "-nodecount=10000", "-nodefraction=0", path])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput.contains("Type: \(sampleIndex)"), "\(output.standardOutput)")
        var result: [String: Double] = [:]
        // flat flat% sum% cum cum% name
        for line in output.standardOutput.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count == 6, columns[3].hasSuffix("ms"), let cum = Double(columns[3].dropLast(2)) else { continue }
            result[String(columns[5])] = cum
        }
        return result
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wall-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs the fixture for 3 s under `--wall` and checks its shares, its idle thread and the output files.
    ///
    /// Bounds: each phase's share within 6 points of the fixture's own (the issue's 3-point target is the
    /// benchmark's, on a quiet machine; here other developers' builds load the 2 cores and short blocks are
    /// estimated), the idle thread and the worker's phases within 5 % of their measured wall time (exact here; the
    /// margin covers the last records read at exit).
    func checkFixture(sampler: String, runAs prefix: [String] = [], directory: URL) async throws -> RunResult {
        let pprof = directory.appendingPathComponent("wall.pb.gz").path
        let folded = directory.appendingPathComponent("cpu.folded").path
        let (result, measured, wall, worker) = try await Self.runFixture(["--wall", "--sampler", sampler, "-o", pprof, "-o", folded],
                                                                          through: prefix, pprof: pprof)
        for phase in Self.phases {
            #expect((wall[phase] ?? 0) > 0, "\(phase) is in the wall profile\n\(result.stderr)")
        }
        try checkOutputs(result, measured: measured, wall: wall, pprof: pprof, folded: folded, directory: directory)
        // Exactness needs the probes to run while the blocks last: on a machine so loaded that the fixture's 20 ms of
        // CPU took more than 40 ms of wall time (the reader starved as much), blocks go unprobed and are estimated
        // (the summary says how much), and run-queue time before a thread's first sample has no stack.
        let stretch = (measured.values["compute"] ?? 0) / max(1, measured.values["worker_cpu"] ?? 0)
        guard stretch <= 2 else { return result }
        Self.expectShares(wall, worker: worker, measured: measured, stderr: result.stderr)
        let workerWall = (measured.values["worker_wall"] ?? 0) / 1e6
        #expect(abs(worker - workerWall) <= 0.05 * workerWall, "the worker's phases \(worker) ms, its life \(workerWall) ms\n\(result.stderr)")
        return result
    }

    /// Runs the fixture for 3 s under hybrid-run with `options`, through `prefix` (`setpriv`, `taskset`) when given, with
    /// `childPrefix` before the fixture; reads what the fixture measured and the wall profile `pprof`, and the worker's
    /// phases' sum in it (ms).
    static func runFixture(_ options: [String], through prefix: [String] = [], childPrefix: [String] = [], pprof: String) async throws
        -> (result: RunResult, measured: FixtureMeasurements, wall: [String: Double], worker: Double) {
        let arguments = options + ["--"] + childPrefix + [try Fixture.wallPhases(), "3"]
        let result: RunResult
        if prefix.isEmpty {
            result = try await HybridRunProcess.run(arguments)
        } else {
            result = try await ProcessRunner.run(URL(fileURLWithPath: prefix[0]), Array(prefix.dropFirst()) + [try HybridRunProcess.executable.path] + arguments,
                                                 environment: HybridRunProcess.quietEnvironment, timeout: .seconds(60))
        }
        #expect(result.status == 0, "\(result.stderr)")
        let measured = try FixtureMeasurements(stderr: result.stderr)
        let wall = try cumulativeWall(inPprof: pprof)
        return (result, measured, wall, phases.reduce(0) { $0 + (wall[$1] ?? 0) })
    }

    /// Each phase's share of the worker's wall time in the profile is within 6 points of the fixture's own.
    static func expectShares(_ wall: [String: Double], worker: Double, measured: FixtureMeasurements, stderr: String) {
        for phase in phases {
            let share = 100 * (wall[phase] ?? 0) / max(worker, 1)
            #expect(abs(share - measured.share(phase)) <= 6, "\(phase): profile \(share) %, fixture \(measured.share(phase)) %\n\(stderr)")
        }
    }

    /// The checks that hold however loaded the machine: the idle thread's exact wait, the CPU view, the files.
    func checkOutputs(_ result: RunResult, measured: FixtureMeasurements, wall: [String: Double], pprof: String, folded: String,
                      directory: URL) throws {
        let idle = try #require(wall["idle_wait"], "the idle thread's poll is in the wall profile\n\(result.stderr)")
        let idlePoll = (measured.values["idle_poll"] ?? 0) / 1e6
        #expect(abs(idle - idlePoll) <= 0.05 * idlePoll, "idle_wait \(idle) ms, fixture's poll \(idlePoll) ms")

        // The CPU view is the default and has no blocked time: the idle thread ran only to enter and leave poll
        // (microseconds). Sampled by cgroup, a sample lands on whichever thread runs when the cgroup's count runs
        // out, so now and then one lands there; its seconds of waiting counted as CPU would be all of its wall.
        let cpu = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-top", "-nodecount=10000", pprof])
        #expect(cpu.standardOutput.contains("Type: cpu"), "\(cpu.standardOutput)")
        let idleCPU = try Self.cumulative(inPprof: pprof, sampleIndex: "cpu")["idle_wait"] ?? 0
        #expect(idleCPU * 100 < idle, "idle_wait: \(idleCPU) ms of CPU for \(idle) ms of wall\n\(cpu.standardOutput)")

        // The folded file stays the CPU profile in samples (a stray one or two in idle_wait at most, as above, against
        // the seconds of waiting that would be there if they counted); its wall sibling has the idle thread, in
        // microseconds.
        let cpuFolded = try String(contentsOfFile: folded, encoding: .utf8)
        let idleSamples = cpuFolded.split(separator: "\n").filter { $0.contains("idle_wait") }
            .reduce(0) { $0 + (Int($1.split(separator: " ").last ?? "") ?? 0) }
        #expect(idleSamples <= 2, "\(idleSamples) CPU samples in idle_wait")
        let wallFolded = try String(contentsOfFile: directory.appendingPathComponent("cpu.wall.folded").path, encoding: .utf8)
        let idleMicroseconds = wallFolded.split(separator: "\n").filter { $0.contains("idle_wait") }
            .reduce(0.0) { $0 + (Double($1.split(separator: " ").last ?? "") ?? 0) }
        #expect(abs(idleMicroseconds / 1000 - idlePoll) <= 0.05 * idlePoll, "wall.folded idle \(idleMicroseconds) µs")
        #expect(result.stderr.contains("% off-CPU"), "the summary's wall lines\n\(result.stderr)")
    }

    @Test(arguments: ["perf-event", "ptrace"])
    func eachSamplerGivesEachPhaseItsMeasuredWallShare(sampler: String) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await checkFixture(sampler: sampler, directory: directory)
    }

    /// An ordinary user (nobody, `perf_event_paranoid` 2 on the test machine): context-switch records, `schedstat` and
    /// `/proc/TID/syscall` of its own child need no privilege.
    @Test(.enabled(if: getuid() == 0, "needs root to become another user"), arguments: ["perf-event", "ptrace"])
    func anUnprivilegedUserStillGetsTheWallProfile(sampler: String) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(chmod(directory.path, 0o777) == 0)
        let result = try await checkFixture(sampler: sampler, runAs: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
                                            directory: directory)
        #expect(!result.stderr.contains("warning: wall"), "\(result.stderr)")
    }
}

extension WallProfileTests {
    /// A tracer starved of CPU is slow to reap and resume the threads it stops, so each sample holds its thread stopped
    /// for milliseconds: wall time the interrupted phase really lasted, which `schedstat` counts as neither running nor
    /// waiting. Here the tracer shares one CPU with a spinner at nice -10 (it gets about a tenth of it) and the fixture
    /// shares another with two spinners. The stops must count in the phase they interrupted: counted as blocked time
    /// instead (at the thread's next block, the lock phase), they gave compute 43.1 and 41.8 % of the worker's wall time
    /// against the fixture's 52.0 and 49.7 %, and lock 24.8 and 23.2 % against 15.6 and 16.5 %, in this test.
    ///
    /// Not checked here: that the phases add up to the worker's life (``checkFixture(sampler:runAs:directory:)`` does,
    /// on a machine that lets the tracer run). A starved tracer looks at a new thread late and last looks at it early,
    /// and the time before the first look and after the last is in no phase: 164 ms of 3.1 s in one run of the suite.
    @Test(.enabled(if: getuid() == 0 && Self.allowedCPUs.count >= 2, "needs root (nice -10) and two CPUs"))
    func aStarvedTracersStopsCountInThePhaseTheyInterrupted() async throws {
        let (tracerCPU, childCPU) = (Self.allowedCPUs[0], Self.allowedCPUs[1])
        let spinners = try Self.startSpinners([["/usr/bin/taskset", "-c", "\(tracerCPU)", "/usr/bin/nice", "-n", "-10"],
                                               ["/usr/bin/taskset", "-c", "\(childCPU)"], ["/usr/bin/taskset", "-c", "\(childCPU)"]])
        defer { Self.stop(spinners) }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pprof = directory.appendingPathComponent("starved.pb.gz").path
        let (result, measured, wall, worker) = try await Self.runFixture(
            ["--wall", "--sampler", "ptrace", "-o", pprof], through: ["/usr/bin/taskset", "-c", "\(tracerCPU)"],
            childPrefix: ["/usr/bin/taskset", "-c", "\(childCPU)"], pprof: pprof)
        Self.expectShares(wall, worker: worker, measured: measured, stderr: result.stderr)
    }

    /// Busy loops that load the machine, one per prefix (`taskset`, `nice`, or none), each under `timeout -s KILL 300`
    /// so that none outlives a test runner killed before its `defer` (timeout leads a process group of its own).
    static func startSpinners(_ prefixes: [[String]]) throws -> [Process] {
        try prefixes.map { prefix in
            try Process.run(URL(fileURLWithPath: "/usr/bin/timeout"),
                            arguments: ["-s", "KILL", "300"] + prefix + ["/bin/sh", "-c", "while :; do :; done"])
        }
    }

    /// Kills each spinner's process group (timeout and its loop). SIGKILL: they inherit the test runner's blocked
    /// signals, SIGTERM among them.
    static func stop(_ spinners: [Process]) {
        for spinner in spinners {
            kill(-spinner.processIdentifier, SIGKILL)
            spinner.waitUntilExit()
        }
    }

    /// The CPUs this process may run on (`Cpus_allowed_list` of its `status`, e.g. `0-3,6`), in order.
    static let allowedCPUs: [Int] = {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let list = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }?.split(separator: ":").last ?? ""
        return list.trimmingCharacters(in: .whitespaces).split(separator: ",").flatMap { range -> [Int] in
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            guard let first = bounds.first, let last = bounds.last, first <= last else { return [] }
            return Array(first...last)
        }
    }()
}

extension WallProfileTests {
    /// A process that makes itself non-dumpable hides its `/proc/TID/syscall` from its own user: one line says the
    /// off-CPU stacks are not recorded, and the run and its CPU profile go on.
    @Test(.enabled(if: getuid() == 0, "needs root to become another user"))
    func unreadableBlockedStacksAreOneLineAndTheCPUProfileStays() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(chmod(directory.path, 0o777) == 0)
        let pprof = directory.appendingPathComponent("cpu.pb.gz").path
        let script = "import ctypes, time\nctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\nend = time.time() + 1\nwhile time.time() < end: pass\ntime.sleep(0.5)\n"
        let result = try await Self.runAsNobody(["--wall", "--sampler", "perf-event", "-q", "-o", pprof, "--", "/usr/bin/python3", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("hybrid-run: warning: wall: cannot read /proc/") == true, "\(result.stderr)")
        let cpu = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-top", pprof])
        #expect(cpu.status == 0 && cpu.standardOutput.contains("Type: cpu"), "\(cpu.standardOutput)\(cpu.standardError)")
    }

    /// A thread that has exited but whose process lives on (here the main thread, by `pthread_exit`) has released its
    /// memory: the kernel then refuses its `/proc/TID/syscall` and gives the file to root, as it does for a process
    /// that hides itself. That is no reason to warn, nor to stop reading the other threads' stacks.
    @Test(.enabled(if: getuid() == 0, "needs root to become another user"), arguments: ["perf-event", "ptrace"])
    func aThreadThatExitedBeforeItsProcessIsNoRefusal(sampler: String) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(chmod(directory.path, 0o777) == 0)
        let wall = directory.appendingPathComponent("run.wall.folded").path
        let script = "import ctypes, threading, time\nthreading.Thread(target=time.sleep, args=(1.5,)).start()\nctypes.CDLL(None).pthread_exit(None)\n"
        let result = try await Self.runAsNobody(["--wall", "--sampler", sampler, "-o", wall, "--", "/usr/bin/python3", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("warning: wall"), "\(result.stderr)")
        let folded = try String(contentsOfFile: wall, encoding: .utf8)
        #expect(folded.contains("clock_nanosleep"), "the worker's blocked stack is read: \(folded)")
    }

    /// hybrid-run with `arguments` as user nobody (the caller is root), quiet but for warnings.
    static func runAsNobody(_ arguments: [String]) async throws -> RunResult {
        try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                    ["--reuid=65534", "--regid=65534", "--clear-groups", try HybridRunProcess.executable.path] + arguments,
                                    environment: HybridRunProcess.quietEnvironment, timeout: .seconds(60))
    }
}

extension WallProfileTests {
    /// Pyroscope gets the wall profile as an upload of its own, typed so the server files it as a wall profile
    /// (`wall:wall:nanoseconds:wall:nanoseconds`, the stand-in deriving types as the server does), with the same tags
    /// and correlation labels as the CPU upload, which stays `process_cpu` only.
    @Test func pyroscopeReceivesTheWallProfileBesideTheCPUOneWithTheSameLabels() async throws {
        let application = PyroscopeShippingTests.uniqueApplication()
        let receiver = try PyroscopeReceiver.shared
        let result = try await HybridRunProcess.run(
            ["--wall", "--upload-interval", "1", "--", try Fixture.wallPhases(), "2"],
            environment: try PyroscopeShippingTests.environment(application: application, server: receiver.url, ["PYROSCOPE_TAGS": "team=wall"]))
        #expect(result.status == 0, "\(result.stderr)")
        let uploads = try await receiver.waitForUploads(app: application, count: 2)
        let wall = uploads.filter { $0.profileType == "wall" }
        let cpu = uploads.filter { $0.profileType == "process_cpu" }
        #expect(wall.count + cpu.count == uploads.count, "\(uploads.map { $0.profileType ?? "-" })")
        #expect(!wall.isEmpty && !cpu.isEmpty, "\(uploads.map { $0.profileType ?? "-" })")
        #expect(wall.allSatisfy { $0.profileTypes == ["wall:samples:count:wall:nanoseconds", "wall:wall:nanoseconds:wall:nanoseconds"] },
                "\(wall.map { $0.profileTypes ?? [] })")
        #expect(cpu.allSatisfy { $0.profileTypes == ["process_cpu:samples:count:cpu:nanoseconds", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"] },
                "\(cpu.map { $0.profileTypes ?? [] })")
        let traceID = try #require(uploads.first?.labels?["trace_id"])
        let rootSpanID = try #require(uploads.first?.labels?["root_span_id"])
        #expect(uploads.allSatisfy { $0.labels?["trace_id"] == traceID && $0.labels?["root_span_id"] == rootSpanID && $0.labels?["team"] == "wall" })
        #expect(uploads.allSatisfy { $0.serviceName == application })
        let wallSamples = wall.compactMap(\.profile).flatMap(\.samples)
        #expect(wallSamples.allSatisfy { $0.labels["span_id"] == rootSpanID && $0.labels["trace_id"] == traceID })
        let idleWall = wallSamples.filter { $0.stack.contains("idle_wait") }.reduce(0) { $0 + $1.values[1] }
        let idleCPU = cpu.compactMap(\.profile).flatMap(\.samples).filter { $0.stack.contains("idle_wait") }.reduce(0) { $0 + $1.values[1] }
        #expect(idleWall > 0, "the idle thread's wait is in the wall profile")
        // At most a stray sample of its entering or leaving poll (``checkOutputs``), not its waiting.
        #expect(idleCPU * 100 < idleWall, "and not in the CPU one: \(idleCPU) ns of CPU, \(idleWall) ns of wall")
    }
}

extension WallProfileTests {
    /// A command that only waits has wall time but next to no CPU samples: its windows are still shipped, as wall.
    @Test func aCommandThatOnlyWaitsIsShippedAsWall() async throws {
        let application = PyroscopeShippingTests.uniqueApplication()
        let receiver = try PyroscopeReceiver.shared
        let result = try await HybridRunProcess.run(
            ["--wall", "--upload-interval", "1", "--", "/bin/sleep", "2.5"],
            environment: try PyroscopeShippingTests.environment(application: application, server: receiver.url))
        #expect(result.status == 0, "\(result.stderr)")
        let wall = try await receiver.waitForUploads(app: application, count: 2).filter { $0.profileType == "wall" }
        #expect(wall.count >= 2, "one wall upload per interval of the sleep")
        #expect(wall.compactMap(\.profile).allSatisfy { $0.samples.contains { $0.stack.contains { $0.contains("nanosleep") } } },
                "\(wall.compactMap(\.profile).map(\.functionNames))")
    }
}

extension WallProfileTests {
    /// A folded output named as a wall variant asks for the wall profile alone: no CPU file, no sibling of the sibling.
    @Test func aFoldedFileNamedWallIsTheWallVariantAlone() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("only.wall.folded").path
        let result = try await HybridRunProcess.run(["--wall", "-o", path, "--", "/bin/sleep", "0.5"])
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let sleeping = text.split(separator: "\n").filter { $0.contains("nanosleep") }
            .reduce(0.0) { $0 + (Double($1.split(separator: " ").last ?? "") ?? 0) }
        #expect(sleeping >= 400_000, "the sleep's wall time in µs\n\(text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["only.wall.folded"])
    }
}

extension WallProfileTests {
    /// With Pyroscope configured, `--wall` gives the run a second UI link, to its wall series: printed at exit beside the
    /// CPU one and carried by the root span's `pyroscope.profile` event (received here by the OTLP stand-in); without
    /// `--wall`, neither. The link is read back as the UI reads it: its `query` parameter names the wall profile type
    /// (the one the Pyroscope stand-in derives from the wall upload, as the server does) for this run's service and trace.
    @Test(arguments: [true, false])
    func theWallLinkIsPrintedAndOnTheSpanEventOnlyWithWall(wall: Bool) async throws {
        let application = PyroscopeShippingTests.uniqueApplication()
        let receiver = try PyroscopeReceiver.shared
        let result = try await HybridRunProcess.run((wall ? ["--wall"] : []) + ["--"] + PyroscopeShippingTests.busyLoop,
                                                    environment: try PyroscopeShippingTests.environment(application: application, server: receiver.url))
        #expect(result.status == 0, "\(result.stderr)")
        let traceID = try #require(try await receiver.waitForUploads(app: application).first?.labels?["trace_id"])
        let spans = try await OTLPReceiver.shared.waitForSpans(traceID: traceID) { (spans: [ReceivedSpan]) in
            spans.contains { $0.serviceName == "hybrid-run" }
        }
        let root = try #require(spans.first { $0.serviceName == "hybrid-run" })
        let event = try #require(root.events.first { $0.name == "pyroscope.profile" }, "\(root.events)")
        #expect(event.attributes["pyroscope.query.url"]?.stringValue != nil, "the CPU link is there either way")
        let wallLines = result.stderr.split(separator: "\n").filter { $0.contains("wall profile for trace \(traceID): ") }
        guard wall else {
            #expect(event.attributes["pyroscope.wall.query.url"] == nil, "\(event.attributes)")
            #expect(wallLines.isEmpty && !result.stderr.contains("wall:wall:nanoseconds"), "\(result.stderr)")
            return
        }
        let link = try #require(event.attributes["pyroscope.wall.query.url"]?.stringValue, "\(event.attributes)")
        #expect(wallLines.count == 1 && wallLines.first?.hasSuffix(": " + link) == true, "\(result.stderr)")
        let query = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "query" }?.value, "\(link)")
        #expect(query == "wall:wall:nanoseconds:wall:nanoseconds{service_name=\"\(application)\",trace_id=\"\(traceID)\"}", "\(query)")
        let wallTypes = try await receiver.waitForUploads(app: application, count: 2).filter { $0.profileType == "wall" }.compactMap(\.profileTypes)
        #expect(wallTypes.contains { $0.contains("wall:wall:nanoseconds:wall:nanoseconds") }, "the series the link asks for was uploaded: \(wallTypes)")
    }
}

extension WallProfileTests {
    /// A busy thread the ptrace sampler watches is never blocked, though it waits for a CPU most of the time: the
    /// kernel adds a run-queue wait to `schedstat` only once the thread runs, so a look during the wait must not count
    /// it as blocked (nor the time the tracer holds the thread stopped to sample it). Spinning processes outside the
    /// tree, two per CPU (at least four), make the thread wait on any machine.
    ///
    /// Bound: 0.3 s of its ~2 s of CPU time, for the blocks a real process has (loading, page faults): 0.0 s measured in
    /// 10 runs beside the spinners at load 20, but 0.06 s in one block on a new machine's first full suite (the fixture's
    /// pages not yet cached). Each look that finds the thread waiting counted the wait so far as blocked before (the
    /// surplus at the next look was dropped): 1.35–1.61 s with this test's spinners (commit a360893; 0.10–0.11 s on a
    /// quiet machine from the stops alone, 0.3–0.6 s at load 7, 3.1–3.4 s at load 20).
    ///
    /// Nor is it stopped at every tick it ran at all: each stop sends it back to the run queue for a round of the
    /// spinners' slices, so it ran 0.2 ms between stops and took 31–60+ s instead of 5 (2,464–12,064 samples for 2 s of
    /// CPU time at 1 kHz, debug build). A thread that waited longer than it ran is stopped once per period of its CPU
    /// time: 2,000 samples at most while it waits, 10 % more allowed for looks at which it happened not to (1,363–1,669
    /// measured in 17 runs).
    @Test func aBusyThreadUnderPtraceIsNotBlockedWhileItWaitsForACPU() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spinners = try Self.startSpinners(Array(repeating: [], count: max(4, 2 * Self.allowedCPUs.count)))
        defer { Self.stop(spinners) }
        let result = try await HybridRunProcess.run(["--wall", "--sampler", "ptrace", "--rate", "1000",
                                                     "-o", directory.appendingPathComponent("busy.pb.gz").path,
                                                     "--", try Fixture.workload(), "split", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let headline = try #require(result.stderr.split(separator: "\n").first { $0.contains("of thread time") && $0.contains("(blocked ") })
        let blocked = try #require(Double(headline.split(separator: "(blocked ").last?.split(separator: " ").first ?? ""))
        #expect(blocked <= 0.3, "\(headline)")
        let summary = try #require(result.stderr.firstMatch(of: /profile: (\d+) samples taken/), "\(result.stderr)")
        #expect(Int(summary.1)! <= 2_200, "\(result.stderr)")
    }
}
