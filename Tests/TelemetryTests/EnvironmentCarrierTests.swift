import Testing
@testable import Telemetry

@Suite struct EnvironmentCarrierTests {
    @Test func normalizesPropagatorKeysToEnvironmentNames() {
        #expect(EnvironmentCarrier.variableName(forKey: "traceparent") == "TRACEPARENT")
        #expect(EnvironmentCarrier.variableName(forKey: "x-b3-traceid") == "X_B3_TRACEID")
    }

    @Test func injectsAndExtractsThroughUppercaseVariables() {
        var environment: [String: String] = [:]
        EnvironmentCarrier().inject("value", forKey: "tracestate", into: &environment)
        #expect(environment == ["TRACESTATE": "value"])
        #expect(EnvironmentCarrier().extract(key: "tracestate", from: environment) == "value")
    }
}
