import SafeText
import Telemetry

/// Booleans as people write them in environment variables: true/false, 1/0, yes/no, on/off, in any case.
enum BooleanText {
    static func parse(_ text: String) -> Bool? {
        switch text.trimmingWhitespace().lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off", "": false
        default: nil
        }
    }
}
