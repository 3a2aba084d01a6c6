/// Pyroscope's rules for what goes into the ingest `name` parameter and the series it makes, checked before
/// sending so that nothing is refused by the server (400 for a bad name, 422 for a bad series) after the
/// profile was taken.
///
/// From grafana/pyroscope: the legacy `name` parser (`api/model/labelset`): label names are `[A-Za-z0-9_.]`,
/// `__name__` is reserved, values end at `,` or `}` (there is no escaping), the application name may also hold
/// `-` and `/`. Then the distributor (`pkg/validation/validate.go`, `ValidateLabels`), which counts bytes: a
/// name is at most 1024 and a value 2048 bytes, a name may not start with a digit (`SanitizeLegacyLabelName`),
/// its dots are read as `_` and two labels that are then the same name are refused, and a series has at most
/// 30 label names (`validation.max-label-names-per-series`, `pkg/validation/limits.go`), counted over every
/// label of the series: see ``seriesLabelNames(labels:sampleLabelNames:)``.
enum PyroscopeLabelRules {
    static let maximumNameLength = 1024
    static let maximumValueLength = 2048
    static let maximumLabelNamesPerSeries = 30

    /// The labels the server puts on every series of a legacy `/ingest` pprof upload besides the uploader's
    /// (`createLabels` in `pkg/og/convert/pprof/profile.go`); `service_name` is added too unless a label has it.
    static let serverLabelNames = ["__name__", "__delta__", "pyroscope_spy"]
    /// Sample labels the server keeps per sample instead of making them series labels
    /// (`pprofsplit.VisitSampleSeries`: `GroupSamplesWithoutLabels(trace_id, span_id)`, `profile_id` renamed
    /// `span_id`). Every other string sample label becomes a series label.
    static let perSampleLabelNames: Set = ["span_id", "trace_id", "profile_id"]

    /// Every label name of the series an upload makes: the server's own, `service_name`, `labels`, and the
    /// string sample labels of the profile that are not kept per sample (a label of the same name wins).
    static func seriesLabelNames(labels: [PyroscopeLabel], sampleLabelNames: [String]) -> [String] {
        var names = serverLabelNames
        for name in ["service_name"] + labels.map(\.name) + sampleLabelNames.filter({ !perSampleLabelNames.contains($0) }) where !names.contains(name) {
            names.append(name)
        }
        return names
    }

    /// What is wrong with `label` for Pyroscope, or nil when it can be sent.
    static func problem(with label: PyroscopeLabel) -> String? {
        if label.name.isEmpty || label.name.utf8.count > maximumNameLength {
            return "a label name must be 1 to \(maximumNameLength) bytes"
        }
        if !label.name.allSatisfy(isLabelNameCharacter) { return "a label name may only contain letters, digits, '_' and '.'" }
        if label.name.first?.isNumber == true { return "a label name may not start with a digit" }
        if label.name.hasPrefix("__") { return "label names starting with __ are reserved" }
        if label.name == "pyroscope_spy" { return "pyroscope_spy is set by the server (from the uploader's name)" }
        if label.value.contains(",") || label.value.contains("}") { return "a label value may not contain ',' or '}'" }
        if label.value.utf8.count > maximumValueLength { return "a label value may be at most \(maximumValueLength) bytes" }
        return nil
    }

    /// The name the server stores a label under: dots read as `_` (`SanitizeLegacyLabelName`). Two labels with
    /// the same stored name are one label to the server, which refuses them when their values differ.
    static func storedName(_ name: String) -> String {
        String(name.map { $0 == "." ? "_" : $0 })
    }

    /// What is wrong with `name` as an application name, or nil when it can be sent.
    static func problem(withApplicationName name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.count > maximumNameLength { return "is longer than \(maximumNameLength) characters" }
        if !name.allSatisfy(isApplicationNameCharacter) { return "may only contain letters, digits, '_', '.', '-' and '/'" }
        return nil
    }

    /// `name` with every character Pyroscope refuses replaced by `_`, so that a run still gets a findable series.
    static func sanitizedApplicationName(_ name: String) -> String {
        let replaced = String(name.prefix(maximumNameLength).map { isApplicationNameCharacter($0) ? $0 : "_" })
        return replaced.isEmpty ? "unknown_service" : replaced
    }

    /// What is wrong with a tenant id for `X-Scope-OrgID`, or nil (Mimir/Pyroscope `tenant.ValidTenantID`).
    static func problem(withTenantID tenant: String) -> String? {
        if tenant.isEmpty || tenant.count > 150 { return "must be 1 to 150 characters" }
        if !tenant.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "!-_.*'()".contains($0)) }) {
            return "may only contain letters, digits and !-_.*'()"
        }
        return nil
    }

    private static func isLabelNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == ".")
    }

    private static func isApplicationNameCharacter(_ character: Character) -> Bool {
        isLabelNameCharacter(character) || character == "-" || character == "/"
    }
}
