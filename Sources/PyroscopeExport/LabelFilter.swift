/// Merges the user's tags with an upload's own labels and keeps what Pyroscope accepts.
enum LabelFilter {
    struct Rejection: Equatable {
        var label: PyroscopeLabel
        var problem: String
    }

    struct Outcome: Equatable {
        var kept: [PyroscopeLabel]
        /// Labels the server would refuse, with the reason.
        var rejected: [Rejection] = []
        /// Valid tags left out, from the last one back, because the series would have more label names than
        /// Pyroscope allows.
        var overLimit: [PyroscopeLabel] = []
    }

    /// `tags` (the user's, in order) then `uploadLabels` (e.g. `trace_id`), a later label replacing an earlier
    /// one that the server would store under the same name, in the earlier one's place.
    ///
    /// When the series would exceed Pyroscope's label limit (counted as the server counts it, over the labels it
    /// adds and the profile's string sample labels `sampleLabelNames`), tags are left out from the last one
    /// back until it fits, so the user's first tags and the upload's own labels are kept and the profile is
    /// stored rather than refused with 422.
    static func filter(tags: [PyroscopeLabel], uploadLabels: [PyroscopeLabel] = [], sampleLabelNames: [String] = []) -> Outcome {
        var kept: [(label: PyroscopeLabel, isTag: Bool)] = []
        var rejected: [Rejection] = []
        for (label, isTag) in tags.map({ ($0, true) }) + uploadLabels.map({ ($0, false) }) {
            if let problem = PyroscopeLabelRules.problem(with: label) {
                rejected.append(Rejection(label: label, problem: problem))
            } else if let index = kept.firstIndex(where: { PyroscopeLabelRules.storedName($0.label.name) == PyroscopeLabelRules.storedName(label.name) }) {
                kept[index] = (label, kept[index].isTag && isTag)
            } else {
                kept.append((label, isTag))
            }
        }
        var overLimit: [PyroscopeLabel] = []
        while PyroscopeLabelRules.seriesLabelNames(labels: kept.map(\.label), sampleLabelNames: sampleLabelNames).count > PyroscopeLabelRules.maximumLabelNamesPerSeries,
              let last = kept.lastIndex(where: \.isTag) ?? kept.indices.last {
            overLimit.insert(kept.remove(at: last).label, at: 0)
        }
        return Outcome(kept: kept.map(\.label), rejected: rejected, overLimit: overLimit)
    }
}
