/// Why a file is not a pprof CPU profile hybrid-run can read.
public enum PprofReadError: Error, Equatable, CustomStringConvertible {
    /// The gzip data ends early.
    case truncated
    /// Neither gzip nor a `perftools.profiles.Profile` message (or one that breaks profile.proto's rules).
    case notPprof(String)
    /// A profile, but no sample value is CPU time (e.g. a heap profile).
    case noCPUSampleType(sampleTypes: [String])
    /// Some samples count negatively: the output of `pprof -diff_base`, not a profile.
    case negativeSampleValues

    public var description: String {
        switch self {
        case .truncated: "the file is truncated"
        case .notPprof(let reason): "not a pprof profile (\(reason))"
        case .negativeSampleValues: "negative sample values (a pprof diff, not a profile)"
        case .noCPUSampleType(let types): "no cpu sample type (it has \(types.isEmpty ? "none" : types.joined(separator: ", ")))"
        }
    }
}
