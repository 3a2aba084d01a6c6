import Logging
import Testing
@testable import Telemetry

@Suite struct DiagnosticRecorderTests {
    struct ExportFailed: Error, CustomStringConvertible {
        var description: String { "requestFailed(400 Bad Request)" }
    }

    @Test func aSettingSwiftOTelRefusedAtStartUpIsNoReasonForDroppedSpans() {
        let recorder = DiagnosticRecorder()
        var logger = recorder.makeLogger()
        logger[metadataKey: "environment_key"] = "OTEL_FUTURE_SETTING"
        logger[metadataKey: "environment_value"] = "s3cret"
        logger[metadataKey: "hint"] = "Value must be a non-negative integer"
        logger.warning("Failed to update configuration from environment")
        #expect(recorder.finishStartup() == ["Failed to update configuration from environment: OTEL_FUTURE_SETTING (Value must be a non-negative integer)"])
        #expect(recorder.problem == nil)
    }

    @Test func theFirstProblemAfterStartUpIsTheReasonWithItsError() {
        let recorder = DiagnosticRecorder()
        _ = recorder.finishStartup()
        let logger = recorder.makeLogger()
        logger.info("Exported batch.")
        logger.warning("Failed to export batch.", error: ExportFailed())
        logger.warning("Failed to export batch.", metadata: ["error": "second"])
        #expect(recorder.problem == "Failed to export batch.: requestFailed(400 Bad Request)")
    }

    /// swift-otel sets its logger's level from the process's OTEL_LOG_LEVEL; `error` must not hide the warnings.
    @Test func keepsWarningsWhateverLevelTheLoggerIsSetTo() {
        let recorder = DiagnosticRecorder()
        _ = recorder.finishStartup()
        var logger = recorder.makeLogger()
        logger.logLevel = .error
        logger.warning("Failed to export batch.")
        #expect(recorder.problem == "Failed to export batch.")
    }
}
