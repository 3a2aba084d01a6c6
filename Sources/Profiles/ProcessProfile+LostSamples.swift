extension ProcessProfile {
    /// The name of the entry, thread and single frame that stand for lost samples' CPU time.
    public static let lostSamplesName = "[lost samples]"

    /// The CPU time of samples that were lost (``SamplingStatistics/lostCPUTime``), as a stack of its own: one frame
    /// named ``lostSamplesName`` in an entry of that name, with no pid or tid (it is no process's).
    ///
    /// Marked, not scaled. Scaling every stack by taken + lost over taken would assume the lost samples fell where the
    /// taken ones did, but the kernel drops records when the reader is behind, which happens in bursts (many processes
    /// starting at once, the reader descheduled), so scaled totals would invent a distribution that was never
    /// measured. Marking keeps every stack's value what was measured and the profile's total the CPU time that was
    /// due, so each function's share is of the whole run's CPU time, a lower bound whose uncertainty (the marker's
    /// own share) is shown beside it, in the flame graph and in the summary's top functions. It is what the pprof
    /// format's origin does: Go's `runtime/pprof` (proto.go, `addCPUData`) turns the runtime's overflow record into a
    /// sample of the count it lost, at a single frame `runtime/pprof.lostProfileEvent`, weighted by the period like
    /// any other, so `go tool pprof` lists it among the functions. `perf report` only counts them in its header
    /// (`# Total Lost Samples`), which a flame graph or a Pyroscope series never shows.
    ///
    /// Outputs name the entry by its frame alone: the folded line is `[lost samples] N` and the speedscope profile
    /// `[lost samples]`, not the program, process count and thread name of an entry standing for many processes
    /// (``stackRoot``).
    public static func lostSamples(cpuTime: Int64, count: Int) -> ProcessProfile {
        let frame = Frame(address: 0, mapping: nil, name: lostSamplesName, symbolName: nil)
        return ProcessProfile(pid: 0, executablePath: lostSamplesName, mappings: [], threads: [
            ThreadProfile(tid: 0, name: lostSamplesName, stacks: [StackCount(frames: [frame], count: count, cpuTime: cpuTime)]),
        ])
    }

    /// Whether this entry stands for lost samples (``lostSamples(cpuTime:count:)``), made so or read back from a file.
    public var isLostSamples: Bool { pid == 0 && executablePath == Self.lostSamplesName }

    /// The names flame graphs put above this entry's stacks: its program's, none for an entry without a program, and
    /// none for the lost samples', whose one frame names it (a root `[lost samples]` above that frame said it twice).
    public var stackRoot: [String] { executableName.isEmpty || isLostSamples ? [] : [executableName] }
}
