/// What the report page's script reads (the JSON in `#report-data`; `Resources/report.js` says how it is
/// drawn). Times are microseconds from ``origin``, an instant in nanoseconds since the Unix epoch given as
/// text: JavaScript numbers cannot hold nanoseconds since 1970 exactly.
struct ReportDocument: Encodable {
    var generator: String
    var origin: String
    /// Function names; profiles refer to them by index.
    var frames: [String]
    /// One per sample type: CPU, and with `--wall` the wall view (`id` "wall"), each drawn under its own tab.
    var profiles: [FlameProfile]
    var run: RunSummary?
    var diff: DiffSummary?
    var spans: [Span]
    var notes: [String]

    struct RunSummary: Encodable {
        var command: [String]
        var exitStatus: Int32
        var durationNanos: Int64
        /// The start, ISO 8601 in UTC.
        var started: String
        var traceID: String?
        var rootSpanID: String?
        var serviceName: String?
        /// "N samples taken, M lost" as the summary says it (``SamplingStatistics/samplesText``).
        var samples: String?
        var links: [Link]
    }

    struct Link: Encodable {
        var title: String
        var url: String
    }

    struct DiffSummary: Encodable {
        var base: String
        var new: String
        var baseSamples: Int
        var newSamples: Int
    }

    /// A span of the waterfall and what selects its samples: `pid` (its resource's `process.pid`), else
    /// `processName` (the processes whose executable is named like its service), and `tid` (its `thread.id`).
    struct Span: Encodable {
        var spanID: String
        var parentSpanID: String
        var name: String
        var service: String
        var start: Int64
        var end: Int64
        var error: Bool
        var pid: Int32?
        var processName: String?
        var tid: Int32?
    }
}

/// One sample type's stacks as a trie: node `i` is `nodes[2i]` (its parent, -1 for a root) and
/// `nodes[2i+1]` (its frame); parents come before their children.
struct FlameProfile: Encodable {
    var id: String
    var title: String
    var unit: String
    /// What one sample stands for, in `unit`.
    var sampleWeight: Int64
    /// Whether the first frame of every stack is a process (its executable's name), not a function.
    var rootsAreProcesses: Bool
    var nodes: [Int]
    /// Samples whose leaf is the node (NEW's, in a diff).
    var selfCounts: [Int]
    /// BASE's, in a diff.
    var baseSelfCounts: [Int]?
    /// Of ``selfCounts``, the part spent off the CPU (the wall view, `--wall`).
    var offCPUSelfCounts: [Int]? = nil
    /// The threads the timeline refers to.
    var threads: [Thread]?
    /// Every sample in time order (`time`: microseconds since the previous sample, the first since the origin;
    /// `thread`: index into ``threads``; `node`: its stack), when the profile has one.
    var timeline: Timeline?

    struct Thread: Encodable, Hashable {
        var pid: Int32
        var tid: Int32
        var name: String
        /// The process's executable name.
        var process: String
    }

    struct Timeline: Encodable {
        var time: [Int64]
        var thread: [Int]
        var node: [Int]
    }
}
