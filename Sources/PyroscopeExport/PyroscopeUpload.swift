/// One profile to ship: what the sampler's `PprofEncoder` produced for one upload interval, its CPU or (`--wall`) its
/// wall profile.
public struct PyroscopeUpload: Sendable {
    /// A gzipped pprof `Profile` whose sample type is `cpu`/`nanoseconds` or `wall`/`nanoseconds`: the server names
    /// the series after it.
    public var profile: [UInt8]
    /// The first and last moment the profile covers, in nanoseconds since the Unix epoch (sent as `from`/`until`).
    public var startTime: Int64
    public var endTime: Int64
    /// Samples per second (`sampleRate`): the server scales counts by 1e9 / rate.
    public var sampleRate: Int
    /// Labels for this upload only, such as `trace_id` and `root_span_id`; they override static labels of the same name.
    public var labels: [PyroscopeLabel]
    /// The names of the string labels on the profile's samples (`PprofEncoder.stringLabelNames`). Pyroscope makes
    /// each a label of the series (except `span_id` and `trace_id`), so they count against its label limit.
    public var sampleLabelNames: [String]

    public init(profile: [UInt8], startTime: Int64, endTime: Int64, sampleRate: Int = 100, labels: [PyroscopeLabel] = [], sampleLabelNames: [String]) {
        self.profile = profile
        self.startTime = startTime
        self.endTime = endTime
        self.sampleRate = sampleRate
        self.labels = labels
        self.sampleLabelNames = sampleLabelNames
    }
}
