import Profiles

/// A small hand-made profile: one process, two threads, a hot function shared by both.
public enum SampleProfile {
    static func frame(_ name: String, _ address: UInt64, symbol: String? = nil) -> Frame {
        Frame(address: address, mapping: 0, name: name, symbolName: symbol ?? name)
    }

    public static let twoThreads = Profile(
        startTime: 1_700_000_000_000_000_000, endTime: 1_700_000_002_000_000_000, sampleWeight: 10_000_000,
        processes: [ProcessProfile(
            pid: 42, executablePath: "/usr/bin/work",
            mappings: [Mapping(start: 0x1000, end: 0x9000, fileOffset: 0, path: "/usr/bin/work", buildID: "abcd")],
            threads: [
                ThreadProfile(tid: 42, name: "work", stacks: [
                    StackCount(frames: [frame("hot", 0x1100), frame("main", 0x1200)], count: 3, cpuTime: 3 * 10_000_000),
                    StackCount(frames: [frame("Work.cold(x: Swift.Int) -> ()", 0x1300, symbol: "$s4Work4cold1xySi_tF"),
                                        frame("main", 0x1210)], count: 1, cpuTime: 1 * 10_000_000),
                ]),
                ThreadProfile(tid: 43, name: "helper; \"quoted\"", stacks: [
                    StackCount(frames: [frame("hot", 0x1100), frame("helper", 0x1400)], count: 2, cpuTime: 2 * 10_000_000),
                ]),
            ])],
        statistics: SamplingStatistics(samplesTaken: 6, samplesLost: 1, threadsSeen: 2, processesSeen: 1))

    /// ``twoThreads`` recorded with `--wall`: each stack's wall time is its CPU time plus 5 ms, and the helper thread
    /// also waited 70 ms in `poll` (a stack with no CPU time).
    public static var withWall: Profile {
        var profile = twoThreads
        profile.statistics.wall = WallStatistics(blockedTime: 70_000_000 + 15_000_000, blockedIntervals: 4, observedIntervals: 4)
        for thread in profile.processes[0].threads.indices {
            for stack in profile.processes[0].threads[thread].stacks.indices {
                profile.processes[0].threads[thread].stacks[stack].wallTime = profile.processes[0].threads[thread].stacks[stack].cpuTime + 5_000_000
            }
        }
        profile.processes[0].threads[1].stacks.append(
            StackCount(frames: [frame("poll", 0x1500), frame("helper", 0x1410)], count: 0, cpuTime: 0, wallTime: 70_000_000))
        return profile
    }

    /// `main` calls `grows` (self time) and `rest`, which calls `leaf`; shares are the counts given.
    public static func knownShares(grows: Int, rest: Int, other: Int = 0) -> Profile {
        var stacks = [
            StackCount(frames: [frame("grows", 0x1100), frame("main", 0x1200)], count: grows, cpuTime: Int64(grows) * 1_000_000),
            StackCount(frames: [frame("leaf", 0x1300), frame("rest", 0x1400), frame("main", 0x1210)], count: rest, cpuTime: Int64(rest) * 1_000_000),
            StackCount(frames: [frame("other", 0x1500), frame("main", 0x1220)], count: other, cpuTime: Int64(other) * 1_000_000),
        ]
        stacks.removeAll { $0.count == 0 }
        return Profile(startTime: 1_700_000_000_000_000_000, endTime: 1_700_000_001_000_000_000, sampleWeight: 1_000_000,
                       processes: [ProcessProfile(pid: 1, executablePath: "/bin/app",
                                                  mappings: [Mapping(start: 0x1000, end: 0x9000, fileOffset: 0, path: "/bin/app", buildID: nil)],
                                                  threads: [ThreadProfile(tid: 1, name: "app", stacks: stacks)])],
                       statistics: SamplingStatistics(samplesTaken: grows + rest + other))
    }
}
