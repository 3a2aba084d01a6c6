/// Merges static and per-upload labels and keeps only what Pyroscope accepts.
enum LabelFilter {
    struct Rejection: Equatable {
        var label: PyroscopeLabel
        var problem: String
    }

    /// Later labels override earlier ones of the same name (in the earlier one's place); invalid labels and those
    /// beyond Pyroscope's per-series limit are rejected with the reason.
    static func filter(_ labels: [PyroscopeLabel]) -> (kept: [PyroscopeLabel], rejected: [Rejection]) {
        var kept: [PyroscopeLabel] = []
        var rejected: [Rejection] = []
        for label in labels {
            if let problem = PyroscopeLabelRules.problem(with: label) {
                rejected.append(Rejection(label: label, problem: problem))
            } else if let index = kept.firstIndex(where: { $0.name == label.name }) {
                kept[index] = label
            } else if kept.count >= PyroscopeLabelRules.maximumLabelsPerUpload {
                rejected.append(Rejection(label: label, problem: "Pyroscope keeps at most \(PyroscopeLabelRules.maximumLabelsPerUpload) labels per series"))
            } else {
                kept.append(label)
            }
        }
        return (kept, rejected)
    }
}
