import OTLPProto
import SafeText

/// A collector that took the request but rejected profiles in it says so in `partial_success`
/// (https://opentelemetry.io/docs/specs/otlp/#partial-success): that is a failure of those profiles.
enum PartialSuccess {
    static func outcome(_ partialSuccess: Opentelemetry_Proto_Collector_Profiles_V1development_ExportProfilesPartialSuccess?) -> ExportOutcome {
        guard let partialSuccess, partialSuccess.rejectedProfiles > 0 else { return .exported }
        let reason = partialSuccess.errorMessage.isEmpty ? "" : ": \(ShownText.value(partialSuccess.errorMessage))"
        return .failed("the collector rejected \(partialSuccess.rejectedProfiles) profiles\(reason)")
    }
}
