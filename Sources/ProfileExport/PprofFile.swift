import Profiles

/// A pprof file read back: the names of its sample values and its samples as a ``Profile``.
public struct PprofFile: Sendable {
    /// `type/unit` of each sample value, in the file's order (hybrid-run's: `samples/count`, `cpu/nanoseconds`).
    public var sampleTypes: [String]
    /// The samples of the CPU value, grouped by the `pid`/`process` and `tid`/`thread` labels where samples
    /// carry them (hybrid-run's do); a profile without them (Go's) is one process with pid 0 and no name.
    public var profile: Profile

    public init(sampleTypes: [String], profile: Profile) {
        self.sampleTypes = sampleTypes
        self.profile = profile
    }
}
