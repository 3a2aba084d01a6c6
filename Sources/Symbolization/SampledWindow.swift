import Binaries
import Profiles

/// What the samplers counted over one window, before symbolization: raw instruction addresses per process
/// image and thread, with the modules each image had mapped. The input of the symbolization stage
/// (``ProfileSymbolizer``), which turns it into a ``Profile``.
public struct SampledWindow: Sendable {
    /// Wall-clock time of the window's first and last moment, in nanoseconds since the Unix epoch.
    public var startTime: Int64
    public var endTime: Int64
    /// In the order the images were first sampled.
    public var images: [SampledImage]
    public var statistics: SamplingStatistics
    public var timeline: SampleTimeline

    public init(startTime: Int64, endTime: Int64, images: [SampledImage], statistics: SamplingStatistics, timeline: SampleTimeline) {
        self.startTime = startTime
        self.endTime = endTime
        self.images = images
        self.statistics = statistics
        self.timeline = timeline
    }
}

/// One process image (a pid between two `exec`s) as sampled in a window.
public struct SampledImage: Sendable {
    /// Stable across windows for as long as the image lives; never reused.
    public var id: Int
    public var pid: Int32
    public var executablePath: String
    public var modules: ModuleMap
    /// Stacks counted per thread id in this window.
    public var threads: [Int32: SampledThread]
    /// The process exited or replaced its program: no later window has this image.
    public var hasExited: Bool

    public init(id: Int, pid: Int32, executablePath: String, modules: ModuleMap, threads: [Int32: SampledThread], hasExited: Bool) {
        self.id = id
        self.pid = pid
        self.executablePath = executablePath
        self.modules = modules
        self.threads = threads
        self.hasExited = hasExited
    }

    /// Counts a sample of thread `tid`, named `threadName` at the sample (``SampledThread/named(_:)``), with the
    /// image's pid and the counter's own copy of the stack (``SampledThread/add(_:cpuTime:span:)``).
    public mutating func add(_ stack: [UInt64], cpuTime: Int64, tid: Int32, threadName: String, span: SpanLabels?) -> (pid: Int32, stack: [UInt64]) {
        func count(_ thread: inout SampledThread) -> [UInt64] {
            thread.named(threadName)
            return thread.add(stack, cpuTime: cpuTime, span: span)
        }
        return (pid, count(&threads[tid, default: SampledThread(name: threadName)]))
    }
}

public struct SampledThread: Sendable {
    /// The name the thread had at its last sample whose name was known (``named(_:)``).
    public private(set) var name: String
    /// Stacks sampled outside any span the thread published.
    public var stacks = StackCounter()
    /// Stacks sampled in each span the thread published (OTEP 4947): one stack under two spans is two entries.
    public var spanStacks: [SpanLabels: StackCounter] = [:]

    public init(name: String) {
        self.name = name
    }

    /// Takes the name the thread has at a sample. An empty one, a thread gone before the sampler learnt its name
    /// (its records dropped, its `/proc` entry gone), says nothing: it never replaces the name seen before.
    public mutating func named(_ name: String) {
        if !name.isEmpty { self.name = name }
    }

    /// Counts a sample of `stack` in `span` (``StackCounter/add(_:cpuTime:)``).
    @discardableResult
    public mutating func add(_ stack: [UInt64], cpuTime: Int64, span: SpanLabels?) -> [UInt64] {
        guard let span else { return stacks.add(stack, cpuTime: cpuTime) }
        return spanStacks[span, default: StackCounter()].add(stack, cpuTime: cpuTime)
    }

    /// Counts `nanoseconds` off the CPU at `stack` in `span` (``StackCounter/addOffCPU(_:nanoseconds:)``): off-CPU time
    /// is labelled as CPU samples are.
    public mutating func addOffCPU(_ stack: [UInt64], nanoseconds: Int64, span: SpanLabels?) {
        guard let span else { return stacks.addOffCPU(stack, nanoseconds: nanoseconds) }
        spanStacks[span, default: StackCounter()].addOffCPU(stack, nanoseconds: nanoseconds)
    }

    /// Every counter, with the span it counts in (`nil`: none).
    public var counters: [(span: SpanLabels?, stacks: StackCounter)] {
        [(nil, stacks)] + spanStacks.map { ($0.key, $0.value) }
    }
}
