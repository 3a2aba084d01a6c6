import Foundation
import Logging
import Testing
@testable import Telemetry

@Suite struct StderrLogHandlerTests {
    let metadata: Logger.Metadata = ["trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331", "trace_flags": "1"]

    @Test func textLinesNameTheProgramLevelAndTraceIDs() {
        let handler = StderrLogHandler(programName: "loader-otel", level: .info, format: .text, metadataProvider: nil)
        #expect(handler.textLine(level: .warning, message: "slow", metadata: metadata)
            == "loader-otel: warning: slow span_id=b7ad6b7169203331 trace_id=0af7651916cd43dd8448eb211c80319c")
        #expect(handler.textLine(level: .info, message: "done", metadata: [:]) == "loader-otel: done")
    }

    @Test func aTextLineStaysOneLineWhateverItQuotes() {
        let handler = StderrLogHandler(programName: "hybrid-run", level: .info, format: .text, metadataProvider: nil)
        let line = handler.textLine(level: .warning, message: "TRACEPARENT=x\nhybrid-run: fine\u{1b}[2J", metadata: ["k": "a\rb"])
        #expect(line == "hybrid-run: warning: TRACEPARENT=x\\nhybrid-run: fine\\e[2J k=a\\rb")
    }

    @Test func jsonLinesCarryEveryFieldAndParse() throws {
        let handler = StderrLogHandler(programName: "loader-otel", level: .info, format: .json, metadataProvider: nil)
        let line = handler.jsonLine(level: .error, message: "a \"quoted\"\nline", metadata: metadata)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["program"] == "loader-otel")
        #expect(object["level"] == "error")
        #expect(object["message"] == "a \"quoted\"\nline")
        #expect(object["trace_id"] == "0af7651916cd43dd8448eb211c80319c")
        #expect(object["span_id"] == "b7ad6b7169203331")
    }
}
