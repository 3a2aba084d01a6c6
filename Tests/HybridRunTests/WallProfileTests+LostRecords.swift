import Foundation
import Glibc
import ProfileExport
import Profiles
import ProfilerTestSupport
import Testing
import TestSupport

extension WallProfileTests {
    /// With `--wall` the kernel writes a record at every context switch, and when the reader falls behind it drops
    /// records from full buffers, reporting only how many. A dropped switch record is no sample: the CPU time counted
    /// for lost samples cannot exceed what the command's process tree used, and the summary says that switch records
    /// were lost.
    ///
    /// The reader is stalled honestly, by stopping hybrid-run (SIGSTOP) while the child ping-pongs a byte between two
    /// threads 100,000 times: at least 400,000 switch records, many times what the buffers hold, for little CPU time.
    /// The child then ping-pongs a little more after hybrid-run continues, so that the kernel writes its loss records
    /// (it writes one ahead of the first record that fits again), and prints the CPU time of its whole tree with the
    /// shell's `times` (getrusage of itself and of its waited-for children, user and system).
    @Test func switchRecordsTheKernelDropsAreNoCPUTime() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let go = directory.appendingPathComponent("go").path
        let done = directory.appendingPathComponent("done").path
        try #require(mkfifo(go, 0o600) == 0 && mkfifo(done, 0o600) == 0)
        // Held open for reading and writing: neither side's open of a FIFO then waits for the other.
        let goDescriptor = open(go, O_RDWR | O_CLOEXEC)
        let doneDescriptor = open(done, O_RDWR | O_CLOEXEC)
        defer { close(goDescriptor); close(doneDescriptor) }
        try #require(goDescriptor >= 0 && doneDescriptor >= 0)
        let pingpong = try Fixture.pingpong()
        let pprof = directory.appendingPathComponent("run.pb.gz").path
        let script = "echo ready > \(done); read x < \(go); \(pingpong) 100000 0; echo stalled > \(done); read x < \(go); \(pingpong) 10000 0; times"
        let hybridRun = try RunningProcess(try HybridRunProcess.executable, ["--wall", "--sampler", "perf-event", "-o", pprof, "--", "/bin/sh", "-c", script],
                                           environment: HybridRunProcess.quietEnvironment)

        try #require(Self.line(from: doneDescriptor) == "ready", "\(hybridRun.stderrSoFar)")
        hybridRun.send(SIGSTOP)
        var stopped = siginfo_t()
        try #require(waitid(P_PID, id_t(hybridRun.pid), &stopped, WSTOPPED | WNOWAIT) == 0)
        try Self.say(goDescriptor)
        let stalled = Self.line(from: doneDescriptor)
        hybridRun.send(SIGCONT)
        try #require(stalled == "stalled", "\(hybridRun.stderrSoFar)")
        try Self.say(goDescriptor)
        let result = try await hybridRun.wait(timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")

        // `times`: the shell's user and system time, then its children's.
        let tree = result.stdoutText.matches(of: /(\d+)m([0-9.]+)s/).reduce(0.0) { $0 + Double($1.1)! * 60 + Double($1.2)! }
        try #require(tree > 0, "\(result.stdoutText)")
        let profile = try PprofReader.read(Array(try Data(contentsOf: URL(fileURLWithPath: pprof)))).profile
        let lost = Double(profile.processes.filter { $0.executablePath == ProcessProfile.lostSamplesName }
            .flatMap(\.threads).flatMap(\.stacks).reduce(0) { $0 + $1.cpuTime }) / 1e9
        // Counted as lost samples, the 300,000 and more dropped switch records would stand for thousands of seconds.
        // The samples taken are not checked against the tree's time: beside a release build, the kernel's cgroup
        // task-clock took 254 samples (3.06 s of CPU) for the 2.0 s `times` gave, ping-pong switching 90,000 times a
        // second; that is the kernel's sampling under such switching, not what this test is about.
        #expect(lost <= tree, "lost samples \(lost) s, the tree's CPU time \(tree) s\n\(result.stderr)")
        let lostRecords = result.stderr.firstMatch(of: /profile: (\d+) records of context switches, forks, execs, exits and mappings lost/)
        #expect(Int(lostRecords?.1 ?? "") ?? 0 > 0, "\(result.stderr)")
        #expect(result.stderr.contains("wall: context-switch records lost over "), "\(result.stderr)")
    }

    /// Writes a line to the FIFO the child reads its go-aheads from.
    static func say(_ descriptor: Int32) throws {
        try #require(write(descriptor, "\n", 1) == 1)
    }

    /// The next line the child writes to `descriptor`, or `nil` if none comes within 60 s.
    static func line(from descriptor: Int32) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while poll(&ready, 1, 60_000) == 1, read(descriptor, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
        return nil
    }
}
