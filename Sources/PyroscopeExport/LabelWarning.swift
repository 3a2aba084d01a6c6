/// How a dropped label is named in a warning: enough to find it, not a whole over-long value.
enum LabelWarning {
    static func shown(_ label: PyroscopeLabel) -> String {
        let name = label.name.count > 64 ? String(label.name.prefix(63)) + "…" : label.name
        let value = label.value.count > 64 ? String(label.value.prefix(63)) + "…" : label.value
        return "\(name)=\(value)"
    }
}
