import Testing

@testable import PyroscopeExport

struct IngestRequestTests {
    let upload = PyroscopeUpload(profile: [0x1F, 0x8B, 0x00], startTime: 1_700_000_000_123_456_789, endTime: 1_700_000_010_000_000_000, sampleRate: 99, sampleLabelNames: [])

    @Test func queryCarriesTheEncodedSeriesNameTimesRateAndSpy() throws {
        let request = IngestRequest(
            server: try ServerAddress.parse("http://pyroscope:4040"), applicationName: "my-app",
            labels: [PyroscopeLabel(name: "env", value: "ci & test"), PyroscopeLabel(name: "trace_id", value: "abc")],
            upload: upload, spyName: "hybrid-run", boundary: "B"
        )
        #expect(request.url == "http://pyroscope:4040/ingest?name=my-app%7Benv%3Dci%20%26%20test%2Ctrace_id%3Dabc%7D"
            + "&from=1700000000123456789&until=1700000010000000000&sampleRate=99&spyName=hybrid-run")
        #expect(!request.url.contains("format="), "a format parameter makes the server misread the multipart body")
    }

    @Test func seriesNameWithoutLabelsKeepsTheBraces() {
        #expect(IngestRequest.seriesName(applicationName: "app", labels: []) == "app{}")
    }

    @Test func serverPathPrefixIsKept() throws {
        let request = IngestRequest(
            server: try ServerAddress.parse("https://proxy.example/pyroscope/"), applicationName: "a", labels: [], upload: upload,
            spyName: "s", boundary: "B"
        )
        #expect(request.url.hasPrefix("https://proxy.example/pyroscope/ingest?name=a%7B%7D&"))
    }

    @Test func bodyIsMultipartWithTheProfileAsItsOnlyPart() throws {
        let request = IngestRequest(server: try ServerAddress.parse("http://h"), applicationName: "a", labels: [], upload: upload, spyName: "s", boundary: "XYZ")
        #expect(request.contentType == "multipart/form-data; boundary=XYZ")
        let expected = Array("--XYZ\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            + upload.profile + Array("\r\n--XYZ--\r\n".utf8)
        #expect(request.body == expected)
    }

    @Test func boundariesDiffer() {
        var generator = SystemRandomNumberGenerator()
        #expect(IngestRequest.randomBoundary(using: &generator) != IngestRequest.randomBoundary(using: &generator))
    }
}
