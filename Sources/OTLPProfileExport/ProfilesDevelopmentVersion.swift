/// The OTLP profiles development version of the generated code, sent with every export so that a version-aware
/// collector refuses a format it cannot read instead of misreading it: the profiles SIG's
/// `otlp-profiles-development-version` gRPC metadata and `OTLP-Profiles-Development-Version` HTTP header, "1" for
/// the `v1development` format of opentelemetry-proto 1.45 (opentelemetry-proto `docs/specification.md`, "Profiles
/// development version", PR #857; the collector's `pdata/internal/otlp.ProfilesDevelopmentVersion`).
enum ProfilesDevelopmentVersion {
    static let value = "1"
    static let grpcMetadataKey = "otlp-profiles-development-version"
    static let httpHeader = "OTLP-Profiles-Development-Version"
}
