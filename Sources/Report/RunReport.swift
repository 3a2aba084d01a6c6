import Foundation
import Profiles
import TraceSpans

/// Everything the report of one `hybrid-run -- COMMAND` shows; ``html()`` makes the page.
///
/// The caller passes values that are safe to show: the command line redacted, span names redacted.
public struct RunReport: Sendable {
    /// The command and its arguments, secrets already masked.
    public var command: [String]
    public var exitStatus: Int32
    /// Wall-clock start and end of the run, nanoseconds since the Unix epoch.
    public var startTime: Int64
    public var endTime: Int64
    public var traceID: String?
    public var rootSpanID: String?
    public var serviceName: String?
    /// Where the run can be looked at further (Pyroscope's query, the trace in Grafana or Tempo).
    public var links: [Link]
    /// The CPU profile, when the command was profiled.
    public var cpuProfile: Profile?
    /// The root span and the spans the command and its children exported.
    public var spans: [TraceSpan]
    /// Lines a reader should know (e.g. why children's spans are missing).
    public var notes: [String]

    public struct Link: Sendable, Equatable {
        public var title: String
        public var url: String

        public init(title: String, url: String) {
            self.title = title
            self.url = url
        }
    }

    public init(command: [String], exitStatus: Int32, startTime: Int64, endTime: Int64, traceID: String? = nil,
                rootSpanID: String? = nil, serviceName: String? = nil, links: [Link] = [], cpuProfile: Profile? = nil,
                spans: [TraceSpan] = [], notes: [String] = []) {
        self.command = command
        self.exitStatus = exitStatus
        self.startTime = startTime
        self.endTime = endTime
        self.traceID = traceID
        self.rootSpanID = rootSpanID
        self.serviceName = serviceName
        self.links = links
        self.cpuProfile = cpuProfile
        self.spans = spans
        self.notes = notes
    }

    /// The self-contained page.
    public func html(generator: String) -> [UInt8] {
        let origin = ([startTime] + spans.map(\.startTime) + [cpuProfile?.startTime].compactMap { $0 }).min() ?? startTime
        var trie = StackTrie()
        var profiles: [FlameProfile] = []
        if let cpuProfile {
            profiles.append(FlameProfile.cpu(cpuProfile, into: &trie, origin: origin))
            if cpuProfile.hasWall { profiles.append(FlameProfile.wall(cpuProfile, into: &trie)) }
        }
        let processNames = Set(cpuProfile?.processes.map(\.executableName) ?? [])
        func microseconds(_ time: Int64) -> Int64 { (time - origin) / 1000 }
        let statistics = cpuProfile?.statistics
        let document = ReportDocument(
            generator: generator, origin: String(origin), frames: trie.frames, profiles: profiles,
            run: .init(command: command, exitStatus: exitStatus, durationNanos: max(0, endTime - startTime),
                       started: Self.iso8601(startTime), traceID: traceID, rootSpanID: rootSpanID, serviceName: serviceName,
                       samples: statistics.map { "\($0.samplesText); \($0.threadsSeen) threads and \($0.processesSeen) processes seen" },
                       links: links.map { .init(title: $0.title, url: $0.url) }),
            diff: nil,
            spans: spans.map { span in
                ReportDocument.Span(
                    spanID: span.spanID, parentSpanID: span.parentSpanID, name: span.name, service: span.serviceName,
                    start: microseconds(span.startTime), end: microseconds(span.endTime), error: span.isError,
                    pid: span.processID, processName: span.processID == nil && processNames.contains(span.serviceName) ? span.serviceName : nil,
                    tid: span.threadID)
            },
            notes: notes)
        let name = command.first.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "run"
        return ReportPage.render(document, title: "hybrid-run: \(name)")
    }

    static func iso8601(_ nanoseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(nanoseconds) / 1e9))
    }
}

extension FlameProfile {
    /// A CPU profile's stacks, named as the folded file names them (the process first), and its timeline.
    static func cpu(_ profile: Profile, into trie: inout StackTrie, origin: Int64) -> FlameProfile {
        var counts: [Int: Int] = [:]
        for stack in profile.namedStacks().sorted(by: { $0.names.lexicographicallyPrecedes($1.names) }) {
            counts[trie.node(for: stack.names), default: 0] += stack.count
        }
        var result = FlameProfile(id: "cpu", title: "CPU time", unit: "nanoseconds", sampleWeight: profile.sampleWeight,
                                  rootsAreProcesses: profile.processes.allSatisfy { !$0.executableName.isEmpty },
                                  nodes: [], selfCounts: [], baseSelfCounts: nil)
        if !profile.timeline.samples.isEmpty { result.addTimeline(profile, trie: &trie, origin: origin) }
        result.nodes = trie.nodes
        result.selfCounts = (0..<trie.nodeCount).map { counts[$0] ?? 0 }
        return result
    }

    /// The wall view (`--wall`): each stack's wall time in microseconds (as the `.wall.folded` file counts it), and
    /// of that the time off the CPU, so the page can say how much of a frame's wall time was spent waiting. No
    /// timeline: off-CPU time is counted per block, not per sample, so a span selects nothing in it.
    static func wall(_ profile: Profile, into trie: inout StackTrie) -> FlameProfile {
        func counts(_ weight: @escaping (StackCount) -> Int) -> [Int] {
            var counts: [Int: Int] = [:]
            for stack in profile.namedStacks(weight: weight).sorted(by: { $0.names.lexicographicallyPrecedes($1.names) }) {
                counts[trie.node(for: stack.names), default: 0] += stack.count
            }
            return (0..<trie.nodeCount).map { counts[$0] ?? 0 }
        }
        let wall = counts { Int($0.wallTime / 1000) }
        let offCPU = counts { Int(max(0, $0.wallTime - $0.cpuTime) / 1000) }
        return FlameProfile(id: "wall", title: "Wall time", unit: "nanoseconds", sampleWeight: 1000,
                            rootsAreProcesses: profile.processes.allSatisfy { !$0.executableName.isEmpty },
                            nodes: trie.nodes, selfCounts: wall,
                            baseSelfCounts: nil, offCPUSelfCounts: offCPU)
    }

    /// Each timeline sample as (time, thread, node): its stack found by process, thread and addresses.
    private mutating func addTimeline(_ profile: Profile, trie: inout StackTrie, origin: Int64) {
        struct Key: Hashable {
            var pid: Int32
            var tid: Int32
            var addresses: [UInt64]
        }
        var nodes: [Key: (thread: Int, node: Int)] = [:]
        var threads: [Thread] = []
        for process in profile.processes {
            let root = process.stackRoot
            for thread in process.threads {
                let index = threads.count
                threads.append(Thread(pid: process.pid, tid: thread.tid, name: thread.name, process: process.executableName))
                for stack in thread.stacks {
                    let node = trie.node(for: root + stack.frames.reversed().map(\.name))
                    nodes[Key(pid: process.pid, tid: thread.tid, addresses: stack.frames.map(\.address))] = (index, node)
                }
            }
        }
        var timeline = Timeline(time: [], thread: [], node: [])
        var previous = origin / 1000
        for sample in profile.timeline.samples.sorted(by: { $0.time < $1.time }) {
            guard let found = nodes[Key(pid: sample.pid, tid: sample.tid, addresses: sample.addresses)] else { continue }
            let time = sample.time / 1000
            timeline.time.append(time - previous)
            timeline.thread.append(found.thread)
            timeline.node.append(found.node)
            previous = time
        }
        self.threads = threads
        self.timeline = timeline
    }
}
