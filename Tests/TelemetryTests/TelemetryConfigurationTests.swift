import SafeText
@testable import Telemetry
import Testing

@Suite struct TelemetryConfigurationTests {
    @Test func defaultsBoundShutdownToTwoSeconds() {
        let configuration = TelemetryConfiguration(defaultServiceName: "p")
        #expect(configuration.shutdownTimeout == .seconds(2))
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .text)
    }

    @Test func readsOverridesFromTheEnvironment() {
        var configuration = TelemetryConfiguration(defaultServiceName: "p")
        let warnings = configuration.applyEnvironmentOverrides([
            "HYBRID_OTEL_SHUTDOWN_TIMEOUT": "500", "HYBRID_LOG_LEVEL": "DEBUG", "HYBRID_LOG_FORMAT": "json",
        ])
        #expect(warnings.isEmpty)
        #expect(configuration.shutdownTimeout == .milliseconds(500))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
    }

    @Test func warnsAndKeepsDefaultsForInvalidValues() {
        var configuration = TelemetryConfiguration(defaultServiceName: "p")
        let warnings = configuration.applyEnvironmentOverrides([
            "HYBRID_OTEL_SHUTDOWN_TIMEOUT": "soon", "HYBRID_LOG_LEVEL": "loud", "HYBRID_LOG_FORMAT": "xml",
        ])
        #expect(warnings.count == 3)
        #expect(warnings.allSatisfy { $0.contains("using") })
        #expect(configuration == TelemetryConfiguration(defaultServiceName: "p"))
    }

    @Test(arguments: [("2s", 2000), ("1.5s", 1500), ("250ms", 250), ("250", 250), (" 3s ", 3000)])
    func parsesDurations(text: String, milliseconds: Int64) {
        #expect(DurationText.parse(text, bareUnit: .milliseconds) == .milliseconds(milliseconds))
    }

    @Test(arguments: ["", "-1", "abc", "1e30s", "nan"])
    func rejectsInvalidDurations(_ text: String) {
        #expect(DurationText.parse(text, bareUnit: .seconds) == nil)
    }

    @Test func formatsDurationsAsTheyAreParsed() {
        #expect(DurationText.format(.seconds(2)) == "2s")
        #expect(DurationText.format(.milliseconds(1500)) == "1.5s")
        #expect(DurationText.format(.milliseconds(250)) == "250ms")
    }
}
