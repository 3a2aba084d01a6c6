import Foundation
import OutputFiles

/// Streams `count` generated orders into an `OutputFile` with constant memory: records are encoded into
/// one reused buffer that is written out whenever it passes ``flushThreshold``.
public struct RecordFileGenerator: Sendable {
    /// How each record becomes JSON.
    public enum Encoder: String, Sendable, CaseIterable {
        /// ``OrderJSONWriter``, the hand-written byte writer.
        case bytes
        /// Foundation's `JSONEncoder`: the benchmark's baseline, same records, same member order.
        case foundation
    }

    public let generator: OrderGenerator
    public let format: RecordFileFormat
    public let encoder: Encoder
    static let flushThreshold = 1 << 20
    /// How many records pass between two calls of the progress callback.
    public static let progressInterval = 1 << 16

    public init(generator: OrderGenerator, format: RecordFileFormat, encoder: Encoder = .bytes) {
        self.generator = generator
        self.format = format
        self.encoder = encoder
    }

    /// - Parameter progress: called with the number of records written so far, every ``progressInterval`` records.
    /// - Returns: the number of bytes written.
    /// - Throws: `OutputFileError`, or an `EncodingError` from `JSONEncoder` (which these value types never cause).
    public func write(count: Int, to output: OutputFile, progress: (Int) -> Void = { _ in }) throws -> Int {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.flushThreshold + 64 * 1024)
        var bytes = 0
        let foundationEncoder = JSONEncoder()
        format.appendOpening(to: &buffer)
        for index in 0..<count {
            if index > 0 { format.appendSeparator(to: &buffer) }
            let record = generator.record(at: index)
            switch encoder {
            case .bytes:
                OrderJSONWriter.append(record, to: &buffer)
            case .foundation:
                buffer.append(contentsOf: try foundationEncoder.encode(record))
            }
            if buffer.count >= Self.flushThreshold {
                try output.write(buffer)
                bytes += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
            if (index + 1) % Self.progressInterval == 0 { progress(index + 1) }
        }
        format.appendClosing(hasRecords: count > 0, to: &buffer)
        try output.write(buffer)
        return bytes + buffer.count
    }
}
