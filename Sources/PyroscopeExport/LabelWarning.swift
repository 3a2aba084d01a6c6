import SafeText

/// How a label is quoted in a warning: enough to find it, never a whole over-long value or a control character.
enum LabelWarning {
    static func shown(_ label: PyroscopeLabel) -> String {
        "\(ShownText.value(label.name, limit: 64))=\(ShownText.value(label.value, limit: 64))"
    }
}
