/// Booleans as people write them in environment variables: true/false, 1/0, yes/no, on/off, in any case.
///
/// One parser for every program, so `PYROSCOPE_ENABLE=on` means the same to hybrid-run and to the workloads.
public enum BooleanText {
    public static func parse(_ text: String) -> Bool? {
        switch text.trimmingWhitespace().lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off", "": false
        default: nil
        }
    }

    /// The variable `name` of `environment` as a boolean: `assumed` when it is unset, and also when it holds
    /// something else, with the warning that says so.
    public static func value(of name: String, in environment: [String: String], assumed: Bool) -> (value: Bool, warning: String?) {
        guard let text = environment[name] else { return (assumed, nil) }
        guard let value = parse(text) else {
            return (assumed, "\(name)=\(ShownText.value(text)) is not a boolean (true/false, 1/0, yes/no, on/off); assuming \(assumed)")
        }
        return (value, nil)
    }
}
