import Instrumentation

/// Reads and writes propagation fields in a process environment.
///
/// The OpenTelemetry spec ("Environment Variables as Context Propagation Carriers") normalizes a
/// propagator's key to upper case with every character outside `[A-Za-z0-9_]` replaced by `_`, so W3C
/// `traceparent` travels as `TRACEPARENT`.
struct EnvironmentCarrier: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[Self.variableName(forKey: key)]
    }

    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[Self.variableName(forKey: key)] = value
    }

    static func variableName(forKey key: String) -> String {
        String(key.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }
}
