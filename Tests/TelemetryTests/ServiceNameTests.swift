import Testing
import Telemetry

@Suite struct ServiceNameTests {
    let attributes = [KeyValue(key: "service.name", value: "first"), KeyValue(key: "team", value: "a"),
                      KeyValue(key: "service.name", value: "orders")]

    @Test func theEnvironmentVariableWinsOverTheResourceAttribute() {
        #expect(ServiceName.configured(environment: ["OTEL_SERVICE_NAME": "loader"], resourceAttributes: attributes) == "loader")
    }

    @Test func theLastResourceAttributeWinsWhenTheVariableIsBlankOrUnset() {
        #expect(ServiceName.configured(environment: ["OTEL_SERVICE_NAME": " \t"], resourceAttributes: attributes) == "orders")
        #expect(ServiceName.configured(environment: [:], resourceAttributes: attributes) == "orders")
    }

    @Test func nothingConfiguredLeavesTheCallersDefault() {
        #expect(ServiceName.configured(environment: ["OTEL_SERVICE_NAME": ""], resourceAttributes: [KeyValue(key: "team", value: "a")]) == nil)
    }
}
