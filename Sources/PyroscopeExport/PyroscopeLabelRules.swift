/// Pyroscope's rules for what goes into the ingest `name` parameter, checked before sending so that nothing is
/// refused by the server (400 for a bad name, 422 for a bad series) after the profile was taken.
///
/// From the legacy `name` parser (`labelset.Parse`, grafana/pyroscope `pkg/og/flameql`) and the distributor's
/// limits: label names are `[A-Za-z0-9_.]`, `__name__` is reserved and other `__*` names are dropped; the
/// application name may also hold `-` and `/`; values end at `,` or `}` (there is no escaping); names are at
/// most 1024 and values 2048 characters; a series has at most 30 labels, three of which the server adds
/// (`__name__`, `service_name`, `pyroscope_spy`).
enum PyroscopeLabelRules {
    static let maximumNameLength = 1024
    static let maximumValueLength = 2048
    static let maximumLabelsPerUpload = 27

    /// What is wrong with `label` for Pyroscope, or nil when it can be sent.
    static func problem(with label: PyroscopeLabel) -> String? {
        if label.name.isEmpty || label.name.count > maximumNameLength {
            return "a label name must be 1 to \(maximumNameLength) characters"
        }
        if !label.name.allSatisfy(isLabelNameCharacter) { return "a label name may only contain letters, digits, '_' and '.'" }
        if label.name.hasPrefix("__") { return "label names starting with __ are reserved" }
        if label.value.contains(",") || label.value.contains("}") { return "a label value may not contain ',' or '}'" }
        if label.value.count > maximumValueLength { return "a label value may be at most \(maximumValueLength) characters" }
        return nil
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
