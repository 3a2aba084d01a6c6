import Testing
@testable import Telemetry

@Suite struct IncomingTraceContextTests {
    let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    @Test func passesValidValuesToSwiftOTelNormalized() {
        let context = IncomingTraceContext(environment: ["TRACEPARENT": parent, "TRACESTATE": " rojo=1 ,, congo=2 "])
        #expect(context.carrier == ["TRACEPARENT": parent, "TRACESTATE": "rojo=1,congo=2"])
        #expect(context.forwarded == ["TRACEPARENT": parent, "TRACESTATE": " rojo=1 ,, congo=2 "])
        #expect(context.warnings.isEmpty)
    }

    /// "failure to parse tracestate MUST NOT affect the parsing of traceparent"
    @Test(arguments: ["!!!", "k=" + String(repeating: "x", count: 10_240), "a=1\nb=2"])
    func dropsAnInvalidTracestateAndKeepsTheTraceparent(_ state: String) throws {
        let context = IncomingTraceContext(environment: ["TRACEPARENT": parent, "TRACESTATE": state])
        #expect(context.carrier == ["TRACEPARENT": parent])
        #expect(context.forwarded == ["TRACEPARENT": parent])
        #expect(context.traceParent?.spanID == "b7ad6b7169203331")
        #expect(context.warnings.count == 1)
        let warning = try #require(context.warnings.first)
        #expect(warning.hasPrefix("TRACESTATE="))
        #expect(warning.hasSuffix("; dropped, the trace continues from TRACEPARENT"))
        #expect(!warning.contains("\n"))
        #expect(warning.count < 400)
    }

    /// "If the vendor failed to parse traceparent, it MUST NOT attempt to parse tracestate."
    @Test func ignoresTheTracestateOfAnInvalidTraceparent() {
        let context = IncomingTraceContext(environment: ["TRACEPARENT": "garbage", "TRACESTATE": "!!!"])
        #expect(context.carrier.isEmpty)
        #expect(context.forwarded.isEmpty)
        #expect(context.warnings == ["TRACEPARENT=garbage is not a valid W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>); starting a new trace"])
    }

    @Test func downgradesAHigherVersionForSwiftOTelAndForwardsItAsGiven() {
        let future = "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"
        let context = IncomingTraceContext(environment: ["TRACEPARENT": future])
        #expect(context.carrier == ["TRACEPARENT": parent])
        #expect(context.forwarded == ["TRACEPARENT": future])
        #expect(context.warnings.isEmpty)
    }

    @Test func anEmptyValueIsUnset() {
        let context = IncomingTraceContext(environment: ["TRACEPARENT": "", "TRACESTATE": ""])
        #expect(context.carrier.isEmpty)
        #expect(context.warnings.isEmpty)
        #expect(IncomingTraceContext(environment: ["TRACEPARENT": parent, "TRACESTATE": ""]).carrier == ["TRACEPARENT": parent])
    }
}
