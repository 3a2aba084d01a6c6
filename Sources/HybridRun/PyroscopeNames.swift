/// Pyroscope's rules for what a client sends, checked before anything is sent so nothing is refused later.
///
/// From the legacy ingest parser (`pkg/og/ingestion` in grafana/pyroscope): label names are
/// `[A-Za-z0-9_.]`, names starting `__` are reserved; the application name may also hold `-` and `/`;
/// values may not contain `,` or `}` (there is no escaping); `profile_id` makes folded uploads vanish.
/// Tenant ids are at most 150 of `[A-Za-z0-9!-_.*'()]`.
enum PyroscopeNames {
    static let maximumNameLength = 1024
    static let maximumValueLength = 2048

    static func problem(withLabel label: KeyValue) -> String? {
        if label.key.isEmpty || label.key.count > maximumNameLength { return "a tag name must be 1 to \(maximumNameLength) characters" }
        if !label.key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }) {
            return "a tag name may only contain letters, digits, '_' and '.'"
        }
        if label.key.hasPrefix("__") { return "names starting with __ are reserved" }
        if ["profile_id", "service_name", "trace_id", "root_span_id", "span_id"].contains(label.key) {
            return "\(label.key) is set by hybrid-run itself"
        }
        if label.value.contains(",") || label.value.contains("}") { return "a tag value may not contain ',' or '}'" }
        if label.value.count > maximumValueLength { return "a tag value may be at most \(maximumValueLength) characters" }
        return nil
    }

    static func problem(withApplicationName name: String) -> String? {
        if name.count > maximumNameLength { return "is longer than \(maximumNameLength) characters" }
        if !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-/".contains($0)) }) {
            return "may only contain letters, digits, '_', '.', '-' and '/'"
        }
        return nil
    }

    static func problem(withTenantID tenant: String) -> String? {
        if tenant.count > 150 { return "is longer than 150 characters" }
        if !tenant.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "!-_.*'()".contains($0)) }) {
            return "may only contain letters, digits and !-_.*'()"
        }
        return nil
    }

    static func problem(withServerAddress address: String) -> String? {
        let text = address.trimmingWhitespace()
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return "is not an http:// or https:// URL" }
        let rest = text.drop(while: { $0 != "/" }).dropFirst(2)
        if rest.isEmpty || rest.hasPrefix("/") { return "has no host" }
        return nil
    }
}
