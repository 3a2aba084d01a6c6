import Logging
import Synchronization

/// A `LogHandler` that keeps every record, so tests can check what the uploader said (and never said).
final class RecordingLogHandler: LogHandler, Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: String
    }

    private let records = Mutex<[Record]>([])
    private let storedMetadata = Mutex<Logger.Metadata>([:])

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    var metadata: Logger.Metadata {
        get { storedMetadata.withLock { $0 } }
        set { storedMetadata.withLock { $0 = newValue } }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { storedMetadata.withLock { $0[key] } }
        set { storedMetadata.withLock { $0[key] = newValue } }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let record = Record(level: event.level, message: "\(event.message)", metadata: "\(merged)")
        records.withLock { $0.append(record) }
    }

    /// A logger at trace level that records into this handler.
    var logger: Logger { Logger(label: "PyroscopeExportTests") { _ in self } }

    var all: [Record] { records.withLock { $0 } }
    var warnings: [String] { all.filter { $0.level >= .warning }.map(\.message) }
    /// Messages and metadata of every record, for checks that something never appears anywhere.
    var everything: String { all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n") }
}
