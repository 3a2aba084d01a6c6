import Logging
import Synchronization

/// A `LogHandler` that keeps every record, so tests can check what a library logged (and never logged).
public final class RecordingLogHandler: LogHandler, Sendable {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: String
    }

    private let records = Mutex<[Record]>([])
    private let storedMetadata = Mutex<Logger.Metadata>([:])

    public init() {}

    public var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    public var metadata: Logger.Metadata {
        get { storedMetadata.withLock { $0 } }
        set { storedMetadata.withLock { $0 = newValue } }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { storedMetadata.withLock { $0[key] } }
        set { storedMetadata.withLock { $0[key] = newValue } }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let record = Record(level: event.level, message: "\(event.message)", metadata: "\(merged)")
        records.withLock { $0.append(record) }
    }

    /// A logger at trace level that records into this handler.
    public var logger: Logger { Logger(label: "tests") { _ in self } }

    public var all: [Record] { records.withLock { $0 } }
    public var warnings: [String] { all.filter { $0.level >= .warning }.map(\.message) }
    /// Messages and metadata of every record, for checks that something never appears anywhere.
    public var everything: String { all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n") }
}
