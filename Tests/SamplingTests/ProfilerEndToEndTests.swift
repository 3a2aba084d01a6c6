import _CProcessShims
import Foundation
import Glibc
import ProfilerTestSupport
import TestSupport
import Testing

/// The profiler as users run it: `hybrid-run --sampler … --output … -- COMMAND`, one process per test
/// (the ptrace tracer waits for any child, which only a process of its own can do), each with both ways
/// of sampling. Serialized: the CPU split is measured.
@Suite(.serialized) struct ProfilerEndToEndTests {
    static let samplers = ["perf-event", "ptrace"]

    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-profiles-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    static let environment = ProcessRunner.environment(
        adding: ["OTEL_SDK_DISABLED": "true"],
        removing: ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("PYROSCOPE_") || $0.hasPrefix("OTEL_") })

    private func output(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func arguments(_ sampler: String, rate: Int, outputs: [String], command: [String]) -> [String] {
        ["--sampler", sampler, "--rate", String(rate)] + outputs.flatMap { ["--output", $0] } + ["--"] + command
    }

    private func profile(_ sampler: String, _ command: [String], rate: Int = 200, outputs: [String]) async throws -> RunResult {
        let result = try await ProcessRunner.run(try TestEnvironment.executable("hybrid-run"),
                                                 arguments(sampler, rate: rate, outputs: outputs, command: command),
                                                 environment: Self.environment, timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("cannot profile"), "\(result.stderr)")
        return result
    }

    /// Starts hybrid-run on `command` and returns once its child runs the workload: `threads` threads (so the
    /// exec is done) that have used 100 ms of CPU between them (so they are being sampled). Polled on `/proc`.
    private func start(_ sampler: String, _ command: [String], rate: Int, threads: Int) async throws -> (RunningProcess, child: Int32) {
        let running = try RunningProcess(try TestEnvironment.executable("hybrid-run"),
                                         arguments(sampler, rate: rate, outputs: [output("run.folded")], command: command),
                                         environment: Self.environment)
        do {
            let child = try await Poll.until(timeout: .seconds(60), interval: .milliseconds(10), "the workload to run under hybrid-run") { () -> Int32? in
                guard let child = ProcessTable.children(of: running.pid).first,
                      ProcessTable.threadStates(of: child).count >= threads,
                      let ticks = ProcessTable.cpuTicks(of: child), ticks >= sysconf(Int32(_SC_CLK_TCK)) / 10 else { return nil }
                return child
            }
            return (running, child)
        } catch {
            running.send(SIGKILL)
            throw error
        }
    }

    /// Folded lines as flamegraph.pl reads them: frames root first, then the count.
    private func folded(_ path: String) throws -> [(frames: [String], count: Int)] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let space = try #require(line.lastIndex(of: " "))
            return (line[..<space].split(separator: ";").map(String.init), try #require(Int(line[line.index(after: space)...])))
        }
    }

    private func samples(_ lines: [(frames: [String], count: Int)], containing function: String) -> Int {
        lines.filter { $0.frames.contains(function) }.reduce(0) { $0 + $1.count }
    }

    @Test(arguments: samplers) func measuresTheSplitBetweenTwoHotFunctions(sampler: String) async throws {
        let file = output("split.folded")
        _ = try await profile(sampler, [try Fixture.workload(), "split", "2"], outputs: [file])
        let lines = try folded(file)
        let major = samples(lines, containing: "hot_three_quarters")
        let minor = samples(lines, containing: "hot_one_quarter")
        #expect(major + minor > 200)
        let share = Double(major) / Double(major + minor)
        #expect(abs(share - 0.75) < 0.1, "hot_three_quarters has \(share) of the samples")
        #expect(lines.allSatisfy { $0.frames.first == "workload" })
        #expect(lines.contains { Array($0.frames.prefix(3)) == ["workload", "_start", "__libc_start_main"] })
    }

    /// Work that repeats exactly at the sampling period (or at the period 1/97 longer that this sampler used, fixed,
    /// before it drew its periods at random: 57a3a72) is sampled at one phase of every round by a fixed period:
    /// 47–79 % and 60–97 % measured then, for a function taking 75 % of each round.
    @Test(arguments: [4000.0, 4000.0 * 98 / 97]) func aWorkloadRepeatingAtTheSamplingPeriodIsNotAliased(roundMicroseconds: Double) async throws {
        let file = output("periodic.folded")
        _ = try await profile("perf-event", [try Fixture.workload(), "periodic", String(roundMicroseconds), "3"], rate: 250, outputs: [file])
        let (share, count) = try share(of: "hot_three_quarters_until", against: "hot_one_quarter_until", in: file)
        #expect(count > 500)
        // Random sampling gives ±1.6 points (one standard deviation) at 750 samples; a draw whose period comes within
        // a few per cent of the round samples up to about a hundred times at one phase: ±3 points in all.
        #expect(abs(share - 0.75) < 0.12, "hot_three_quarters_until has \(share) of the samples")
    }

    /// Each process of `workload startup` spends 20 % of its CPU time in early_phase, then 80 % in late_phase, living
    /// 2.5 periods at 250 Hz. An event inherited by a process counts from 0 at its fork, so its first sample came a
    /// period (±25 %) after its start, always in late_phase: early_phase had 0.16 % of the samples before the command was
    /// sampled by cgroup, where each process starts at the phase its CPU's count is at.
    /// 750 samples of random phase give ±1.5 points (one standard deviation) around 20 %: the bound is four of them.
    @Test func shortProcessesAreSampledFromTheirFirstInstruction() async throws {
        let file = output("startup.folded")
        _ = try await profile("perf-event", [try Fixture.workload(), "startup", "300"], rate: 250, outputs: [file])
        let (share, count) = try share(of: "early_phase", against: "late_phase", in: file)
        #expect(count > 500)
        #expect(abs(share - 0.2) < 0.06, "early_phase has \(share) of the samples")
    }

    /// A process is sampled in its exit, after its address space is gone (by cgroup, even after its exit record): no
    /// user registers, no stack, but its own CPU time, counted under it as `[kernel]`, as `perf report` counts it in the
    /// kernel. Counted among lost samples before, which put a `[lost samples]` line no process's in a profile of 300
    /// processes (12–18 such samples at 1 kHz, measured) and made the summary report a loss that never happened.
    /// Kernel time is sampled as root (or with `perf_event_paranoid` ≤ 1); otherwise user time alone.
    @Test(.enabled(if: getuid() == 0, "samples in the kernel need root here"))
    func aProcessSampledInItsExitCountsItUnderItsKernelFrame() async throws {
        let file = output("exits.folded")
        _ = try await profile("perf-event", [try Fixture.workload(), "startup", "300"], rate: 1000, outputs: [file])
        let exits = try folded(file).filter { $0.frames.contains("[kernel]") }
        #expect(exits.reduce(0) { $0 + $1.count } > 0)
        #expect(exits.allSatisfy { $0.frames == ["workload", "[kernel]"] }, "\(exits.map(\.frames))")
    }

    /// The share of `function`'s samples among those of `function` and `other` in the folded file, and their number.
    private func share(of function: String, against other: String, in file: String) throws -> (share: Double, count: Int) {
        let lines = try folded(file)
        let (mine, theirs) = (samples(lines, containing: function), samples(lines, containing: other))
        return (Double(mine) / Double(max(1, mine + theirs)), mine + theirs)
    }

    /// The lines of `/proc/PID/cgroup` for cgroup v2 (`0::PATH`), of a process and of this one.
    private func cgroup(of pid: String = "self") -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("0::") }.map(String.init)
    }

    /// The command runs in a cgroup of its own under ours; a process it leaves running goes back to ours, and the
    /// cgroup is removed.
    @Test func aProcessThatOutlivesTheCommandIsMovedBackAndTheCgroupRemoved() async throws {
        let script = "grep ^0:: /proc/self/cgroup; sleep 30 >/dev/null 2>&1 & echo $!"
        let result = try await profile("perf-event", ["/bin/sh", "-c", script], outputs: [output("outlives.folded")])
        let printed = result.stdoutText.split(separator: "\n").map(String.init)
        let (commandCgroup, daemon) = (try #require(printed.first), try #require(printed.last))
        defer { kill(pid_t(daemon) ?? 0, SIGKILL) }
        let own = try #require(cgroup())
        #expect(commandCgroup.hasPrefix(own.hasSuffix("/") ? own + "hybrid-run-" : own + "/hybrid-run-"), "\(commandCgroup)")
        #expect(cgroup(of: daemon) == own)
        #expect(!FileManager.default.fileExists(atPath: try cgroupDirectory(commandCgroup)), "\(commandCgroup) is left")
    }

    /// A hybrid-run killed with SIGKILL cannot remove its cgroup: the next run removes it, empty and of a hybrid-run
    /// that no longer exists, and leaves a live one's alone.
    @Test func aCgroupLeftByAKilledRunIsRemovedByTheNextRun() async throws {
        let parent = try cgroupDirectory(try #require(cgroup()))
        let exited = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "echo $$"], environment: Self.environment)
        let left = "\(parent)/hybrid-run-\(try #require(pid_t(exited.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))))"
        let live = "\(parent)/hybrid-run-\(getpid())"
        #expect(mkdir(left, 0o755) == 0 && mkdir(live, 0o755) == 0, "\(String(cString: strerror(errno)))")
        defer { rmdir(left); rmdir(live) }
        let result = try await profile("perf-event", ["true"], outputs: [output("leftover.folded")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: left), "\(left) is left")
        #expect(FileManager.default.fileExists(atPath: live), "a live hybrid-run's cgroup was removed")
    }

    /// The directory of `cgroup` (a `0::/PATH` line) in the cgroup v2 hierarchy.
    private func cgroupDirectory(_ cgroup: String) throws -> String {
        let mountPoint = try #require(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: " ") }.first { $0.contains("cgroup2") }?[4])
        return String(mountPoint) + cgroup.dropFirst(3)
    }

    /// Unprivileged, the kernel refuses cgroup events (and the cgroup file system a new cgroup): the command is
    /// sampled per task, in our cgroup, without a word about it.
    @Test func anUnprivilegedRunSamplesPerTaskWithoutAWarning() async throws {
        let script = "grep ^0:: /proc/self/cgroup; exec \(try Fixture.workload()) startup 100"
        let result = try await profileAsNobody("perf-event", ["/bin/sh", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("warning") && !result.stderr.contains("cgroup"), "\(result.stderr)")
        #expect(result.stdoutText.split(separator: "\n").first.map(String.init) == cgroup())
        #expect(samples(try folded(output("nobody.folded")), containing: "late_phase") > 100)
    }

    /// The names of the profiles (one per thread) in a speedscope file.
    private func speedscopeProfileNames(_ path: String) throws -> [String] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        return try #require(json["profiles"] as? [[String: Any]]).compactMap { $0["name"] as? String }
    }

    @Test(arguments: samplers) func samplesEveryThreadOfAMultiThreadedChild(sampler: String) async throws {
        let file = output("threads.speedscope.json")
        _ = try await profile(sampler, [try Fixture.workload(), "threads", "3", "1"], outputs: [file])
        let names = try speedscopeProfileNames(file)
        for worker in ["worker-0", "worker-1", "worker-2"] {
            #expect(names.contains { $0.contains(worker) }, "\(names)")
        }
    }

    /// A thread is sampled under its creator's name until it names itself, as every worker thread does first
    /// thing (on a busy machine a sample can come first). Once it has ended, its profile keeps the last name
    /// seen, as a running thread's does, not the first.
    @Test(arguments: samplers) func namesAThreadThatEndedByTheLastNameItHad(sampler: String) async throws {
        let file = output("renamed.speedscope.json")
        let script = """
            import ctypes, threading, time
            def spin(seconds):
                end = time.thread_time() + seconds
                while time.thread_time() < end: pass
            def work():
                spin(0.5)
                ctypes.CDLL(None).prctl(15, b"renamed-late")  # PR_SET_NAME
                spin(0.5)
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
            spin(0.3)
            """
        _ = try await profile(sampler, [try TestEnvironment.current.python.path, "-c", script], outputs: [file])
        let names = try speedscopeProfileNames(file)
        #expect(names.contains { $0.contains("renamed-late") }, "\(names)")
    }

    @Test(arguments: samplers) func followsForkAndExecIntoGrandchildren(sampler: String) async throws {
        let file = output("tree.folded")
        let workload = try Fixture.workload()
        _ = try await profile(sampler, ["/bin/sh", "-c", "'\(workload)' split 1 & wait"], outputs: [file])
        let lines = try folded(file)
        #expect(samples(lines.filter { $0.frames.first == "workload" }, containing: "hot_three_quarters") > 50)
    }

    @Test(arguments: samplers) func profilesTheProgramAnExecReplacesItsProcessWith(sampler: String) async throws {
        let file = output("exec.folded")
        _ = try await profile(sampler, ["/bin/sh", "-c", "exec '\(try Fixture.workload())' split 1"], outputs: [file])
        let lines = try folded(file)
        let hot = lines.filter { $0.frames.contains("hot_three_quarters") }
        #expect(hot.reduce(0) { $0 + $1.count } > 50)
        #expect(hot.allSatisfy { $0.frames.first == "workload" }, "\(hot.map(\.frames))")
    }

    @Test(arguments: samplers) func countsOnlyTimeOnTheCPU(sampler: String) async throws {
        let file = output("blocked.folded")
        let workload = try Fixture.workload()
        _ = try await profile(sampler, ["/bin/sh", "-c", "'\(workload)' sleep 1; '\(workload)' split 1"], outputs: [file])
        let lines = try folded(file)
        let working = samples(lines, containing: "spin_until")
        let total = lines.reduce(0) { $0 + $1.count }
        #expect(working > 100)
        // A second asleep at 200 Hz would be 200 samples if blocked time counted.
        #expect(total - working < 20, "\(lines.filter { !$0.frames.contains("spin_until") })")
    }

    @Test(arguments: samplers) func showsSwiftFramesDemangled(sampler: String) async throws {
        let file = output("swift.folded")
        _ = try await profile(sampler, [try Fixture.swiftWorkload(), "1"], outputs: [file])
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("Checksummer.mix(rounds: Swift.Int) -> Swift.UInt64"))
        #expect(text.contains("spinChecksums(for: Swift.Double)"))
        #expect(!text.contains(";$s") && !text.contains(";_$s"))
    }

    @Test(arguments: samplers) func writesAPprofFileGoPprofReads(sampler: String) async throws {
        let file = output("cpu.pb.gz")
        _ = try await profile(sampler, [try Fixture.workload(), "split", "1"], outputs: [file])
        let result = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-top", "-cum", file])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("hot_three_quarters"))
        #expect(result.standardOutput.contains("Type: cpu"))
    }

    /// Profiles `command` at 1000 Hz, the rate at which hybrid-run used to die of what a sampled process did
    /// (SIGILL: an empty stack copy), and returns the profile it wrote after exiting with `status`.
    private func survives(_ sampler: String, _ command: [String], status: Int32, file: String) async throws -> [(frames: [String], count: Int)] {
        try await survivesSaying(sampler, command, status: status, file: file).lines
    }

    /// ``survives(_:_:status:file:)``, with what hybrid-run said on stderr.
    private func survivesSaying(_ sampler: String, _ command: [String], status: Int32, file: String) async throws
        -> (lines: [(frames: [String], count: Int)], stderr: String) {
        let result = try await ProcessRunner.run(try TestEnvironment.executable("hybrid-run"),
                                                 arguments(sampler, rate: 1000, outputs: [output(file)], command: command),
                                                 environment: Self.environment, timeout: .seconds(120))
        #expect(result.status == status, "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        return (try folded(output(file)), result.stderr)
    }

    /// Every sample is under the shell's program, also one taken in the kernel during an `exec`, before
    /// the new program is mapped (it used to be named "?" with every later sample of that program). Only
    /// when no sample was lost: records the kernel dropped can take a program's mappings with them.
    @Test(arguments: samplers) func survivesAnExecStorm(sampler: String) async throws {
        let (lines, stderr) = try await survivesSaying(sampler, ["/bin/sh", Fixture.execStorm, "1000"], status: 7, file: "storm.folded")
        #expect(lines.reduce(0) { $0 + $1.count } > 50)
        let shell = URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().lastPathComponent
        if stderr.contains(" samples taken, 0 lost") {
            #expect(Set(lines.map { $0.frames.first }) == [shell], "\(Set(lines.map { $0.frames.first }))")
        }
    }

    @Test(arguments: samplers) func survivesABurstOfShortLivedProcesses(sampler: String) async throws {
        let command = ["/bin/sh", "-c", "for i in $(seq 2000); do /bin/true; done; exit 3"]
        let lines = try await survives(sampler, command, status: 3, file: "burst.folded")
        // Few: perf events count each process's CPU time from zero, and a /bin/true ends before one period.
        #expect(lines.reduce(0) { $0 + $1.count } > 0)
    }

    /// Go's own frames unwind (`churn` recurses up to 200 deep). The counts are kept small: the program runs for 2 s
    /// of wall time whatever CPU it gets, and ptrace's stops land on the runtime's system calls far more often than
    /// their share (BENCHMARKS.md, "ptrace system-call bias"), so `churn` has about a fifth of its samples on a quiet
    /// machine and a clean-clone run under load saw 49.
    @Test(arguments: samplers) func survivesAndProfilesAGoProgram(sampler: String) async throws {
        let lines = try await survives(sampler, [try Fixture.goWorkload(), "8", "2"], status: 0, file: "go.folded")
        let churning = lines.filter { $0.frames.contains("main.churn") }
        #expect(churning.reduce(0) { $0 + $1.count } > 10)
        #expect(churning.contains { $0.frames.filter { $0 == "main.churn" }.count > 10 }, "\(churning.map(\.frames))")
    }

    @Test(arguments: samplers) func survivesAStackPointerThatIsNotAStack(sampler: String) async throws {
        let lines = try await survives(sampler, [try Fixture.workload(), "foreignstack", "1"], status: 0, file: "foreign.folded")
        let spinning = lines.filter { $0.frames.contains("spin_on_foreign_stack") }
        #expect(spinning.reduce(0) { $0 + $1.count } > 50)
        #expect(lines.allSatisfy { $0.frames.count <= 1 + 256 }, "at most the maximum number of frames, after the process name")
    }

    /// hybrid-run run by nobody, an unprivileged user (its tracer thread has no CAP_SYS_PTRACE), profiling `command`;
    /// with `lockedMemory`, under that `ulimit -l` (bytes); as `user` (and group), another unprivileged id.
    private func profileAsNobody(_ sampler: String, _ command: [String], lockedMemory: Int? = nil, user: Int = 65534) async throws -> RunResult {
        try #require(chmod(directory.path, 0o777) == 0)
        let hybridRun = try TestEnvironment.executable("hybrid-run").path
        let asNobody = ["/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups", hybridRun]
            + arguments(sampler, rate: 200, outputs: [output("nobody.folded")], command: command)
        let limited = lockedMemory.map { ["/usr/bin/prlimit", "--memlock=\($0)"] + asNobody } ?? asNobody
        return try await ProcessRunner.run(URL(fileURLWithPath: limited[0]), Array(limited.dropFirst()),
                                           environment: Self.environment, timeout: .seconds(60))
    }

    /// Unprivileged, perf buffers come out of `kernel.perf_event_mlock_kb` per online CPU, plus `ulimit -l`. With no
    /// `ulimit -l`, the first CPU's sample buffer took nearly all of it, and a later buffer (the next CPU's, or on one
    /// CPU the side-band one) was refused, and with it perf events altogether (the run fell back to ptrace, or with
    /// `--sampler perf-event` ran unprofiled). Every CPU now gets buffers of one size, the largest that fit. The run
    /// is by an id no other test uses: the kernel counts the per-CPU allowance per user, and another test's run as
    /// nobody beside this one (`HYBRID_TEST_PARALLEL=1`) would hold it.
    @Test func anUnprivilegedRunWithoutLockedMemorySamplesWithPerfEvents() async throws {
        let result = try await profileAsNobody("perf-event", [try Fixture.workload(), "startup", "100"], lockedMemory: 0, user: 65533)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("cannot profile"), "\(result.stderr)")
        #expect(samples(try folded(output("nobody.folded")), containing: "late_phase") > 100, "\(result.stderr)")
    }

    /// A copy of `program`, root's, set-user-ID (the tests run as root).
    private func setUserIDCopy(of program: String) throws -> String {
        let path = output(URL(fileURLWithPath: program).lastPathComponent + "-setuid")
        try FileManager.default.copyItem(atPath: program, toPath: path)
        try #require(chmod(path, 0o4755) == 0)
        return path
    }

    /// A traced program loses its set-user-ID unless the tracer has CAP_SYS_PTRACE; perf events take no samples of
    /// it. Either way it must run with its privilege, and one line say why it is not profiled.
    @Test(arguments: samplers) func aSetUserIDCommandKeepsItsPrivilege(sampler: String) async throws {
        let id = try setUserIDCopy(of: "/usr/bin/id")
        let result = try await profileAsNobody(sampler, [id])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("euid=0(root)"), "\(result.stdoutText)")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains(id) }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.contains("is set-user-ID root") == true, "\(lines)")
        #expect(lines.first?.contains(sampler == "ptrace" ? "running it unprofiled" : "perf events take no samples") == true, "\(lines)")
    }

    @Test func aCommandWithFileCapabilitiesKeepsThemUnderPtrace() async throws {
        let cat = output("cat-with-capabilities")
        try FileManager.default.copyItem(atPath: "/bin/cat", toPath: cat)
        // vfs_cap_data, revision 2 (linux/capability.h): effective; permitted CAP_NET_RAW (13); nothing inheritable.
        let capabilities: [UInt32] = [0x0200_0001, 1 << 13, 0, 0, 0]
        try #require(capabilities.withUnsafeBytes { setxattr(cat, "security.capability", $0.baseAddress, $0.count, 0) } == 0)
        let result = try await profileAsNobody("ptrace", [cat, "/proc/self/status"])
        #expect(result.status == 0, "\(result.stderr)")
        let permitted = result.stdoutText.split(separator: "\n").first { $0.hasPrefix("CapPrm:") }
        #expect(permitted?.hasSuffix("0000000000002000") == true, "\(result.stdoutText)")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains(cat) }
        #expect(lines.count == 1 && lines.first?.contains("file capabilities") == true, "\(result.stderr)")
    }

    /// The kernel decides at the exec, before the tracer hears of it: a descendant's privileged program runs
    /// without its privilege under ptrace, and hybrid-run can only say so, once per program.
    @Test func aDescendantsSetUserIDProgramIsSaidToRunWithoutItsPrivilegeUnderPtrace() async throws {
        let id = try setUserIDCopy(of: "/usr/bin/id")
        let result = try await profileAsNobody("ptrace", ["/bin/sh", "-c", "'\(id)'; '\(id)'"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdoutText.contains("euid="), "what the line says happened: \(result.stdoutText)")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains(id) }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.contains("(set-user-ID root) runs without its privilege") == true, "\(lines)")
    }

    /// hybrid-run under a seccomp filter that refuses `calls` (comma-separated), as a container may.
    private func profileRefusing(_ calls: String, sampler: String, _ command: [String], outputs: [String]) async throws -> RunResult {
        try await ProcessRunner.run(URL(fileURLWithPath: try Fixture.denySyscalls()),
                                    [calls, "--", try TestEnvironment.executable("hybrid-run").path]
                                        + arguments(sampler, rate: 200, outputs: outputs, command: command),
                                    environment: Self.environment, timeout: .seconds(60))
    }

    private func refusals(_ result: RunResult) -> [Substring] {
        result.stderr.split(separator: "\n").filter { $0.contains("cannot profile the command") }
    }

    @Test func fallsBackToPtraceWhenPerfEventsAreRefused() async throws {
        let file = output("fallback.folded")
        let result = try await profileRefusing("perf_event_open", sampler: "auto", [try Fixture.workload(), "split", "1"], outputs: [file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(refusals(result).isEmpty, "\(result.stderr)")
        #expect(samples(try folded(file), containing: "hot_three_quarters") > 50)
    }

    @Test func runsTheCommandUnprofiledSayingWhyWhenNoSamplerIsPermitted() async throws {
        let file = output("refused.folded")
        let result = try await profileRefusing("perf_event_open,ptrace", sampler: "auto", ["/bin/sh", "-c", "echo out; exit 3"], outputs: [file])
        #expect(result.status == 3)
        #expect(result.stdout == Array("out\n".utf8))
        let lines = refusals(result)
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.contains("(perf_event_open: Permission denied: a seccomp filter is active") == true, "\(lines)")
        #expect(lines.first?.contains("; ptrace: Permission denied: ") == true, "\(lines)")
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test func anExplicitSamplerThatIsRefusedIsNotReplaced() async throws {
        let file = output("explicit.folded")
        let result = try await profileRefusing("perf_event_open", sampler: "perf-event", ["/bin/sh", "-c", "exit 0"], outputs: [file])
        #expect(result.status == 0)
        let lines = refusals(result)
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.contains("perf_event_open: Permission denied") == true && lines.first?.contains("ptrace") == false, "\(lines)")
    }

    @Test(arguments: samplers) func leavesNoStoppedOrZombieProcessWhenTheChildIsKilledMidSample(sampler: String) async throws {
        let (running, child) = try await start(sampler, [try Fixture.workload(), "threads", "4", "30"], rate: 1000, threads: 5)
        kill(child, SIGKILL)
        let result = try await running.wait(timeout: .seconds(20))
        #expect(result.status == 128 + SIGKILL)
        #expect(ProcessTable.threadStates(of: child).isEmpty, "the child was reaped")
    }

    @Test(arguments: samplers) func childRunsOnWhenTheProfilerIsKilled(sampler: String) async throws {
        // The orphan must not hold hybrid-run's output pipes open, or waiting for hybrid-run's output would wait for it.
        let command = "exec '\(try Fixture.workload())' threads 2 30 >/dev/null 2>&1"
        let (running, child) = try await start(sampler, ["/bin/sh", "-c", command], rate: 1000, threads: 3)
        defer { kill(child, SIGKILL) }
        running.send(SIGKILL)
        _ = try await running.wait(timeout: .seconds(20))
        // hybrid-run is reaped: the kernel has detached what it traced and closed its events.
        #expect(!ProcessTable.threadStates(of: child).contains { $0 == "t" || $0 == "T" })
        let before = try #require(ProcessTable.cpuTicks(of: child))
        _ = try await Poll.until(timeout: .seconds(30), "the child to go on using CPU") {
            (ProcessTable.cpuTicks(of: child) ?? 0) > before ? true : nil
        }
    }

    @Test(arguments: samplers) func stopAndContinueWorkAsWithoutProfiling(sampler: String) async throws {
        let (running, child) = try await start(sampler, [try Fixture.workload(), "threads", "1", "1"], rate: 200, threads: 2)
        kill(child, SIGSTOP)
        func allStopped() -> Bool {
            let states = ProcessTable.threadStates(of: child)
            return !states.isEmpty && states.allSatisfy { $0 == "t" || $0 == "T" }
        }
        _ = try await Poll.until(timeout: .seconds(30), "every thread to stop") { allStopped() ? true : nil }
        let stopped = try #require(ProcessTable.cpuTicks(of: child))
        // A window to observe, not a wait for an event: a profiler that resumed a stopped thread would let it spin here.
        try await Task.sleep(for: .milliseconds(500))
        #expect(ProcessTable.cpuTicks(of: child) == stopped, "no CPU while stopped")
        #expect(allStopped())
        kill(child, SIGCONT)
        // The worker still has most of its second of CPU time to do: it runs again, then ends normally.
        _ = try await Poll.until(timeout: .seconds(30), "the child to use CPU again after SIGCONT") {
            (ProcessTable.cpuTicks(of: child) ?? 0) > stopped ? true : nil
        }
        let result = try await running.wait(timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")
    }
}

/// Frames are never given a symbol that does not cover them: code past an unsized symbol's section, a second
/// mapping of a file, JIT code in anonymous memory; and each process is counted once.
extension ProfilerEndToEndTests {
    private func leafSamples(_ lines: [(frames: [String], count: Int)], where matches: (String) -> Bool) -> Int {
        lines.filter { $0.frames.last.map(matches) ?? false }.reduce(0) { $0 + $1.count }
    }

    /// The section after `zero_size_marker`'s, as readelf (not the code under test) places it.
    private func section(_ name: String, of binary: String) throws -> Range<UInt64> {
        let result = try ExternalTool.run("/usr/bin/readelf", ["-SW", binary])
        let line = try #require(result.standardOutput.split(separator: "\n").first { $0.contains(" \(name) ") })
        let fields = line.split(separator: "]", maxSplits: 1)[1].split(separator: " ")
        let address = try #require(UInt64(fields[2], radix: 16))
        return address..<(address + (try #require(UInt64(fields[4], radix: 16))))
    }

    @Test(arguments: samplers) func namesCodePastAnUnsizedSymbolsSectionByItsModule(sampler: String) async throws {
        let file = output("beyond.folded")
        let names = try Fixture.names()
        _ = try await profile(sampler, [names, "beyond", "1"], outputs: [file])
        let lines = try folded(file)
        let beyond = try section("beyond_text", of: names)
        let total = lines.reduce(0) { $0 + $1.count }
        #expect(samples(lines, containing: "zero_size_marker") == 0, "\(lines)")
        let inSection = leafSamples(lines) { name in
            name.hasPrefix("names+0x") && UInt64(name.dropFirst("names+0x".count), radix: 16).map(beyond.contains) == true
        }
        #expect(inSection > total / 2, "\(lines)")
    }

    @Test(arguments: samplers) func namesCodeRunFromASecondMappingOfItsFile(sampler: String) async throws {
        let file = output("remap.folded")
        _ = try await profile(sampler, [try Fixture.names(), "remap", "1"], outputs: [file])
        let lines = try folded(file)
        let total = lines.reduce(0) { $0 + $1.count }
        #expect(leafSamples(lines) { $0 == "remapped_spin" } > total / 2, "\(lines)")
        #expect(samples(lines, containing: "_fini") == 0, "\(lines)")
    }

    @Test(arguments: samplers) func namesJITCodeFromThePerfMapItsProcessWrote(sampler: String) async throws {
        let file = output("jit.folded")
        let result = try await profile(sampler, [try Fixture.names(), "jit", "1"], outputs: [file])
        let pid = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { unlink("/tmp/perf-\(pid).map") }
        let lines = try folded(file)
        let total = lines.reduce(0) { $0 + $1.count }
        #expect(leafSamples(lines) { $0 == "jitted_loop" } > total / 2, "\(lines)")
    }

    @Test(arguments: samplers) func countsEachProcessOfAForkBurstOnce(sampler: String) async throws {
        let result = try await profile(sampler, [try Fixture.names(), "forks", "300"], outputs: [output("forks.folded")])
        #expect(result.stderr.contains(" and 301 processes seen"), "\(result.stderr)")
    }
}
