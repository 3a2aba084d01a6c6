/// The local profile files hybrid-run writes, chosen by `--format` or the file's extension.
public enum ProfileFormat: String, Sendable, CaseIterable {
    /// `root;…;leaf COUNT` lines: flamegraph.pl, inferno and speedscope read them.
    case folded
    /// speedscope's JSON file format, one profile per thread.
    case speedscope
    /// gzipped `profile.proto`, for `go tool pprof` and Pyroscope.
    case pprof
    /// A self-contained page (no network request): the run, flame graphs, top functions and the trace.
    case html

    /// The format a file name asks for: `.folded`, `.speedscope.json`, `.pb.gz`, `.pprof` or `.html`.
    public init?(fileName: String) {
        let name = fileName.lowercased()
        if name.hasSuffix(".folded") || name.hasSuffix(".collapsed") {
            self = .folded
        } else if name.hasSuffix(".speedscope.json") {
            self = .speedscope
        } else if name.hasSuffix(".pb.gz") || name.hasSuffix(".pprof") {
            self = .pprof
        } else if name.hasSuffix(".html") || name.hasSuffix(".htm") {
            self = .html
        } else {
            return nil
        }
    }

    /// The format of `path`: `explicit` when given, else from the extension; `nil` when neither says.
    public static func resolve(path: String, explicit: String?) -> ProfileFormat? {
        if let explicit { return ProfileFormat(rawValue: explicit.lowercased()) }
        return ProfileFormat(fileName: path)
    }
}
