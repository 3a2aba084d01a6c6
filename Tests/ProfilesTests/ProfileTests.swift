import Profiles
import ProfilerTestSupport
import Testing

@Suite struct ProfileTests {
    @Test func ranksFunctionsBySelfTime() {
        let ranked = SampleProfile.twoThreads.functionsBySelfTime()
        #expect(ranked.first == Profile.FunctionTime(name: "hot", selfSamples: 5, totalSamples: 5))
        #expect(ranked.first { $0.name == "main" } == Profile.FunctionTime(name: "main", selfSamples: 0, totalSamples: 4))
        #expect(SampleProfile.twoThreads.totalSamples == 6)
    }

    @Test func addsUpTheCPUTimeOfIdenticalStacks() {
        var counter = StackCounter()
        counter.add([1, 2, 3], cpuTime: 10)
        counter.add([1, 2, 3], cpuTime: 15)
        counter.add([4, 2, 3], cpuTime: 5)
        #expect(counter.cpuTimes == [RawStack([1, 2, 3]): 25, RawStack([4, 2, 3]): 5])
    }

    /// The unwinder fills one buffer sized for the deepest stack allowed; a stack kept by the counter must not keep
    /// that buffer alive (2 KB for every distinct stack of a run).
    @Test func keepsEachNewStackInAnArrayOfItsOwnSize() {
        var buffer: [UInt64] = []
        buffer.reserveCapacity(256)
        buffer.append(contentsOf: [1, 2, 3])
        var counter = StackCounter()
        let kept = counter.add(buffer, cpuTime: 10)
        #expect(kept == [1, 2, 3] && kept.capacity < 256)
        #expect(counter.cpuTimes.keys.allSatisfy { $0.addresses.capacity < 256 })
    }

    /// One stack sampled in two spans is two stacks, in every window and once merged.
    @Test func mergingKeepsAStackInTwoSpansApart() {
        var window = SampleProfile.twoThreads
        var inSpan = window.processes[0].threads[0].stacks[0]
        inSpan.span = SpanLabels(traceID: String(repeating: "ab", count: 16), spanID: String(repeating: "01", count: 8), name: "first")
        window.processes[0].threads[0].stacks.append(inSpan)
        let merged = window.merged(with: window).processes[0].threads[0].stacks
        let hot = merged.filter { $0.frames == inSpan.frames }
        #expect(hot.count == 2)
        #expect(hot.first { $0.span == nil }?.count == 6)
        #expect(hot.first { $0.span == inSpan.span }?.count == 6)
    }

    /// Each window's lost samples are one marker entry; the run's profile adds them up into one, however many
    /// processes were kept apart before it first appeared.
    @Test func mergingAddsUpTheLostSamplesOfEveryWindowInOneEntry() {
        var window = SampleProfile.twoThreads
        window.processes.append(.lostSamples(cpuTime: 30, count: 3))
        window.statistics.lostCPUTime = 30
        let merged = window.merged(with: window)
        let lost = merged.processes.filter { $0.executablePath == ProcessProfile.lostSamplesName }
        #expect(lost.count == 1)
        #expect(lost.first?.threads.flatMap(\.stacks).map(\.count) == [6])
        #expect(lost.first?.threads.flatMap(\.stacks).map(\.cpuTime) == [60])
        #expect(merged.statistics.lostCPUTime == 60)
    }

    /// A thread renamed in a later window is named by its last name, as within a window; a later window that did
    /// not learn its name (empty) keeps the one before.
    @Test func mergingNamesAThreadByTheLastNameKnown() {
        var renamed = SampleProfile.twoThreads
        renamed.processes[0].threads[0].name = "renamed"
        var unnamed = SampleProfile.twoThreads
        unnamed.processes[0].threads[0].name = ""
        let merged = SampleProfile.twoThreads.merged(with: renamed).merged(with: unnamed)
        #expect(merged.processes[0].threads.map(\.name) == ["renamed", "helper; \"quoted\""])
    }

    @Test func mergingAddsCountsAndCPUTimes() {
        let twice = SampleProfile.twoThreads.merged(with: SampleProfile.twoThreads)
        #expect(twice.totalSamples == 12)
        #expect(twice.totalCPUTime == 2 * SampleProfile.twoThreads.totalCPUTime)
        #expect(SampleProfile.twoThreads.totalCPUTime == 60_000_000)
    }

    /// `--wall`: merged windows add up each stack's wall time and the wall counts; a window without wall time (the
    /// recorder dropped) leaves the other's.
    @Test func mergingAddsWallTimesAndWallCounts() {
        let twice = SampleProfile.withWall.merged(with: SampleProfile.withWall)
        #expect(SampleProfile.withWall.totalWallTime == 145_000_000)
        #expect(twice.totalWallTime == 290_000_000)
        #expect(twice.statistics.wall?.blockedTime == 170_000_000 && twice.statistics.wall?.blockedIntervals == 8)
        #expect(SampleProfile.twoThreads.merged(with: SampleProfile.withWall).statistics.wall == SampleProfile.withWall.statistics.wall)
        #expect(!SampleProfile.twoThreads.hasWall && twice.hasWall)
    }

    @Test func offCPUTimeIsCountedApartFromCPUTimeOnTheSameStack() {
        var counter = StackCounter()
        counter.add([1, 2, 3], cpuTime: 10)
        counter.addOffCPU([1, 2, 3], nanoseconds: 40)
        counter.addOffCPU([5, 3], nanoseconds: 7)
        counter.addOffCPU([5, 3], nanoseconds: 8)
        #expect(counter.cpuTimes == [RawStack([1, 2, 3]): 10])
        #expect(counter.offCPUTimes == [RawStack([1, 2, 3]): 40, RawStack([5, 3]): 15])
    }

    /// A window of one process of the compiler `cc1`, which loads its library elsewhere each time (ASLR): `leaf` at
    /// the same offset in it, called from `main`, for two samples.
    private func compiler(pid: Int32, leaf: (name: String, offset: UInt64) = ("parse", 0x1234)) -> Profile {
        let base = 0x7f00_0000_0000 + UInt64(pid) * 0x10_0000
        let library = Mapping(start: base, end: base + 0x8000, fileOffset: 0, path: "/usr/lib/libcc.so", buildID: "ab")
        let stack = StackCount(frames: [Frame(address: base + leaf.offset, mapping: 0, name: leaf.name, symbolName: leaf.name),
                                        Frame(address: base + 0x100, mapping: 0, name: "main", symbolName: "main")],
                               count: 2, cpuTime: 20_000_000)
        return Profile(startTime: 0, endTime: 1, sampleWeight: 10_000_000,
                       processes: [ProcessProfile(pid: pid, executablePath: "/usr/bin/cc1", mappings: [library],
                                                  threads: [ThreadProfile(tid: pid, name: "cc1", stacks: [stack])])],
                       statistics: SamplingStatistics(samplesTaken: 2))
    }

    /// A build runs thousands of short processes of a few programs: past the processes kept apart, each new one is
    /// counted under its program, its identical stacks added up wherever its modules were loaded, so the run's
    /// profile stays the size of its programs. Nothing is lost: every sample and every process is counted.
    @Test func countsProcessesBeyondThoseKeptApartUnderTheirProgram() {
        let count = Profile.processesKeptApart + 100
        var run = compiler(pid: 1)
        for pid in 2...Int32(count) { run = run.merged(with: compiler(pid: pid)) }
        // The same process seen again in a later window is not counted twice.
        run = run.merged(with: compiler(pid: Int32(count)))

        #expect(run.processes.count == Profile.processesKeptApart + 1)
        let program = run.processes.last!
        #expect(program.pid == 0 && program.executablePath == "/usr/bin/cc1" && program.processCount == 100)
        #expect(program.mappings.count == 1 && program.threads.count == 1)
        #expect(program.threads[0].stacks.count == 1, "the processes' identical stacks are one")
        #expect(program.threads[0].stacks[0].count == 2 * 101 && program.threads[0].stacks[0].frames[0].address == program.mappings[0].start + 0x1234)
        #expect(run.totalSamples == 2 * (count + 1))
        #expect(run.statistics.samplesTaken == 2 * (count + 1))
    }

    /// A frame that one merge moved into a program's entry is the frame a later merge moves there again, from another
    /// window's process: each window's copy of every frame its processes ran in was most of a build's growing memory.
    @Test func aFrameMovedIntoAProgramInALaterWindowIsTheOneMovedBefore() {
        var run = compiler(pid: 1)
        var moves = Profile.MovedFrames()
        for pid in 2...Int32(Profile.processesKeptApart) { run.merge(compiler(pid: pid), sharing: &moves) }
        run.merge(compiler(pid: 1000), sharing: &moves)
        run.merge(compiler(pid: 1001, leaf: ("lex", 0x2000)), sharing: &moves)

        let stacks = run.processes.last!.threads[0].stacks
        #expect(run.processes.last!.pid == 0 && stacks.count == 2)
        #expect(stacks[0].frames[1] == stacks[1].frames[1])
        #expect(stacks[0].frames[1].sharesStorage(with: stacks[1].frames[1]), "main, moved from each window, is one frame")
    }
}
