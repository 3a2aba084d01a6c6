/// Sends export requests to the collector: OTLP/gRPC or OTLP/HTTP. Both carry ``ProfilesDevelopmentVersion``.
protocol OTLPProfileTransport: Sendable {
    /// One attempt; returns at once when the calling task is cancelled.
    func export(_ request: ExportProfilesRequest) async -> ExportOutcome
    /// Lets go of connections; never waits.
    func close()
}
