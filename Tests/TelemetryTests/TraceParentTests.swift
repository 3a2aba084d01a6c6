import Testing
@testable import Telemetry

@Suite struct TraceParentTests {
    @Test func parsesAValidValue() throws {
        let parent = try #require(TraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        #expect(parent.traceID == "0af7651916cd43dd8448eb211c80319c")
        #expect(parent.spanID == "b7ad6b7169203331")
        #expect(parent.isSampled)
        #expect(parent.description == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    }

    @Test(arguments: [
        "",
        "garbage",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01extra",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0",
        "01-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01",
    ])
    func rejectsMalformedValues(_ value: String) {
        #expect(TraceParent(value) == nil)
    }

    /// "If a higher version is detected, the implementation SHOULD try to parse it": the first 55 characters in the
    /// version-00 layout, then the end or a dash; only the sampled flag is taken, and version 00 is propagated.
    @Test(arguments: [
        ("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "01"),
        ("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds", "01"),
        ("02-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-fe-x", "00"),
        ("fe-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09-", "01"),
    ])
    func parsesAHigherVersionByTheCurrentLayout(value: String, flags: String) throws {
        let parent = try #require(TraceParent(value))
        #expect(parent.traceID == "0af7651916cd43dd8448eb211c80319c")
        #expect(parent.spanID == "b7ad6b7169203331")
        #expect(parent.flags == flags)
        #expect(parent.description == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-\(flags)")
    }

    @Test func unsampledFlagIsReported() throws {
        let parent = try #require(TraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"))
        #expect(!parent.isSampled)
    }
}
