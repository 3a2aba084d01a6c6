/// How a dropped label or a replaced name is quoted in a warning: enough to find it, not a whole over-long value.
enum LabelWarning {
    static func shown(_ label: PyroscopeLabel) -> String {
        "\(shortened(label.name))=\(shortened(label.value))"
    }

    static func shortened(_ text: String) -> String {
        text.count > 64 ? String(text.prefix(63)) + "…" : text
    }
}
