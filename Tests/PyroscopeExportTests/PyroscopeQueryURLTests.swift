import PyroscopeExport
import Testing

struct PyroscopeQueryURLTests {
    @Test func linkSelectsTheRunsServiceAndTraceOverWholeSeconds() {
        let link = PyroscopeQueryURL.forRun(
            serverAddress: "http://localhost:4040", applicationName: "generator-otel", traceID: "4bf92f3577b34da6a3ce929d0e0e4736",
            startTime: 1_700_000_000_900_000_000, endTime: 1_700_000_005_100_000_000
        )
        #expect(link == "http://localhost:4040/?query=process_cpu:cpu:nanoseconds:cpu:nanoseconds"
            + "%7Bservice_name%3D%22generator-otel%22%2Ctrace_id%3D%224bf92f3577b34da6a3ce929d0e0e4736%22%7D"
            + "&from=1700000000&until=1700000006")
    }

    /// `--wall`: the wall upload's series, as the server stores it, with the CPU link's selector and time range.
    @Test func theWallLinkSelectsTheWallTypeWithTheSameSelector() {
        let link = PyroscopeQueryURL.forRun(
            serverAddress: "http://localhost:4040", applicationName: "loader-otel", traceID: "4bf92f3577b34da6a3ce929d0e0e4736",
            startTime: 1_700_000_000_900_000_000, endTime: 1_700_000_005_100_000_000, profileType: PyroscopeQueryURL.wallProfileType
        )
        #expect(link == "http://localhost:4040/?query=wall:wall:nanoseconds:wall:nanoseconds"
            + "%7Bservice_name%3D%22loader-otel%22%2Ctrace_id%3D%224bf92f3577b34da6a3ce929d0e0e4736%22%7D"
            + "&from=1700000000&until=1700000006")
    }

    @Test func withoutATraceOnlyTheServiceIsSelected() {
        let link = PyroscopeQueryURL.forRun(serverAddress: "http://h:4040/", applicationName: "app", traceID: nil, startTime: 0, endTime: 0)
        #expect(link == "http://h:4040/?query=process_cpu:cpu:nanoseconds:cpu:nanoseconds%7Bservice_name%3D%22app%22%7D&from=0&until=0")
    }

    @Test func credentialsInTheAddressAreLeftOutAndAPrefixKept() throws {
        let link = try #require(PyroscopeQueryURL.forRun(
            serverAddress: "https://user:secret@grafana.example/pyroscope", applicationName: "app", traceID: nil, startTime: 0, endTime: 0
        ))
        #expect(link.hasPrefix("https://grafana.example/pyroscope/?query="))
        #expect(!link.contains("secret"))
        #expect(!link.contains("user"))
    }

    @Test func invalidAddressGivesNoLink() {
        #expect(PyroscopeQueryURL.forRun(serverAddress: "ftp://localhost:4040", applicationName: "app", traceID: nil, startTime: 0, endTime: 0) == nil)
    }
}
