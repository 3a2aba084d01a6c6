import Foundation

/// Links from a run to its profile in Pyroscope's own UI, for the root span's event and the line hybrid-run
/// prints at exit, so that a CI log carries the pivot from a trace to its flame graph.
public enum PyroscopeQueryURL {
    /// The CPU profile type as the query language names it (`__name__:type:unit:periodType:periodUnit`).
    public static let cpuProfileType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
    /// The wall profile type (`--wall`): what the server names the wall upload (`PprofEncoder.encodeWall`), as it
    /// names Java's and .NET's wall profiles.
    public static let wallProfileType = "wall:wall:nanoseconds:wall:nanoseconds"

    /// `SERVER/?query=PROFILE_TYPE{service_name="APP",trace_id="T"}&from=S&until=S`, the Pyroscope 1.x UI's link
    /// form, percent-encoded; `profileType` is ``cpuProfileType`` or ``wallProfileType``.
    ///
    /// `startTime`/`endTime` are nanoseconds since the Unix epoch and are widened to whole seconds (the UI's
    /// unit). The application name is made valid as ``PyroscopeUploader`` does, so the link finds the series it
    /// stored. Returns nil when `serverAddress` is not an http(s) URL; any credentials in it are left out.
    public static func forRun(serverAddress: String, applicationName: String, traceID: String?, startTime: Int64, endTime: Int64,
                              profileType: String = cpuProfileType) -> String? {
        guard let server = try? ServerAddress.parse(serverAddress) else { return nil }
        let serviceName = PyroscopeLabelRules.problem(withApplicationName: applicationName) == nil
            ? applicationName : PyroscopeLabelRules.sanitizedApplicationName(applicationName)
        var selectors = [(name: "service_name", value: serviceName)]
        if let traceID { selectors.append((name: "trace_id", value: traceID)) }
        let matchers = selectors.map { "\($0.name)=\"\(escaped($0.value))\"" }.joined(separator: ",")
        let from = startTime / 1_000_000_000
        let until = (endTime + 999_999_999) / 1_000_000_000
        let query = "query=" + PercentEncoding.encoded("\(profileType){\(matchers)}", keeping: [UInt8(ascii: ":")])
            + "&from=\(from)&until=\(until)"
        return server.base + "/?" + query
    }

    /// A label value inside `"…"` of the query language: backslash and quote escaped, as PromQL reads them.
    private static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
