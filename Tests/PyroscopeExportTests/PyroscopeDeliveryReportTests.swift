import PyroscopeExport
import Testing

struct PyroscopeDeliveryReportTests {
    @Test func completeRunSaysHowManyWereDelivered() {
        let report = PyroscopeDeliveryReport(delivered: 1, dropped: 0, failed: 0, firstFailure: nil)
        #expect(report.isComplete)
        #expect(report.description == "1 profile delivered to Pyroscope")
    }

    @Test func lossesAreNamedOnOneLine() {
        let report = PyroscopeDeliveryReport(delivered: 3, dropped: 2, failed: 1, firstFailure: "http://h:4040: connection refused")
        #expect(!report.isComplete)
        #expect(report.description
            == "3 profiles delivered to Pyroscope, 2 dropped (queue full or after shutdown), 1 failed (first: http://h:4040: connection refused)")
    }
}
