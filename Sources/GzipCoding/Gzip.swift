import CZlib

/// gzip (RFC 1952) with zlib: how profile.proto files are stored and how OTLP/HTTP bodies may be compressed.
public enum Gzip {
    /// `input` compressed (``Compressor``).
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        let compressor = Compressor()
        compressor.append(input)
        return compressor.finish()
    }

    /// Whether `bytes` start with gzip's magic number (RFC 1952, 2.3.1).
    public static func isCompressed(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x1f, 0x8b])
    }

    /// The first gzip member of `input`, inflated.
    /// - Parameter limit: the most bytes the result may have; a larger one is refused (a "zip bomb"
    ///   must not exhaust memory). Inflating stops at the first byte past it, and the result's buffer never
    ///   grows beyond it.
    public static func decompress(_ input: [UInt8], limit: Int) throws(GzipError) -> [UInt8] {
        // zlib counts its input in 32 bits; nothing that large is inflated here.
        guard input.count <= Int(UInt32.max) else { throw .tooLarge(limit: limit) }
        var stream = z_stream()
        // windowBits 15 + 16: gzip wrapper only. `inflateInit2` is a macro for this call.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { preconditionFailure("zlib cannot initialize inflate") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        return try input.withUnsafeMutableBufferPointer { source throws(GzipError) in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            while true {
                // Room for one byte past the limit at most: that byte is enough to refuse.
                let room = min(chunk.count, limit - output.count + 1)
                let (result, produced) = chunk.withUnsafeMutableBufferPointer { destination in
                    stream.next_out = destination.baseAddress
                    stream.avail_out = UInt32(room)
                    let result = inflate(&stream, Z_NO_FLUSH)
                    return (result, room - Int(stream.avail_out))
                }
                if output.count + produced > limit { throw .tooLarge(limit: limit) }
                if output.count + produced > output.capacity {
                    // Array's own growth doubles, which near the limit would reserve twice what is allowed.
                    output.reserveCapacity(min(limit, max(2 * output.capacity, output.count + produced)))
                }
                output.append(contentsOf: chunk[0..<produced])
                switch result {
                case Z_STREAM_END: return output
                case Z_OK: continue
                case Z_BUF_ERROR where stream.avail_in == 0: throw .truncated
                default: throw .corrupt
                }
            }
        }
    }
}

/// Why gzip data could not be inflated.
public enum GzipError: Error, Equatable, CustomStringConvertible {
    /// The data ends before the gzip stream does.
    case truncated
    /// Not gzip, or damaged (bad header, bad deflate data, checksum mismatch).
    case corrupt
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .truncated: "the gzip data is truncated"
        case .corrupt: "the gzip data is damaged"
        case .tooLarge(let limit): "the data inflates to more than \(limit) bytes"
        }
    }
}

extension Gzip {
    /// One gzip member, compressed as its bytes come, in 64 KiB steps into a result that grows as needed.
    ///
    /// A large run's pprof file is encoded piece by piece; compressed as it is made, its uncompressed bytes (several
    /// times the file, and copied once more when grown or joined) are never held whole, which at the end of a build
    /// of thousands of processes was a fifth of hybrid-run's peak heap (BENCHMARKS.md, "Peak memory of a build:
    /// windows, merges and the end"). Neither is a buffer of `deflateBound` (the input's size).
    public final class Compressor {
        /// Allocated, not a stored value: zlib's state points back at its stream (`deflateStateCheck`), which must
        /// not move.
        private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        private var output: [UInt8] = []
        private var chunk = [UInt8](repeating: 0, count: 1 << 16)
        private var finished = false

        public init() {
            stream.initialize(to: z_stream())
            // windowBits 15 + 16 selects the gzip wrapper. `deflateInit2` is a macro for this call.
            guard deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
            else { preconditionFailure("zlib cannot initialize deflate") }
        }

        deinit {
            deflateEnd(stream)
            stream.deallocate()
        }

        /// Compresses `bytes` (what zlib holds back goes out with later bytes or at ``finish()``).
        public func append(_ bytes: [UInt8]) {
            precondition(!finished, "a finished gzip member takes no more bytes")
            deflate(bytes, flush: Z_NO_FLUSH)
        }

        /// The whole member: everything appended, compressed, and gzip's trailer. Once.
        public func finish() -> [UInt8] {
            precondition(!finished, "a gzip member is finished once")
            deflate([], flush: Z_FINISH)
            finished = true
            return output
        }

        private func deflate(_ bytes: [UInt8], flush: Int32) {
            bytes.withUnsafeBufferPointer { source in
                // zlib does not write through `next_in`; its header only lacks the `const` (`z_const` is empty).
                stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.pointee.avail_in = UInt32(source.count)
                var result = Z_OK
                // Until zlib leaves room in the step: all the input taken (or, finishing, the trailer written).
                repeat {
                    let produced = chunk.withUnsafeMutableBufferPointer { destination in
                        stream.pointee.next_out = destination.baseAddress
                        stream.pointee.avail_out = UInt32(destination.count)
                        result = CZlib.deflate(stream, flush)
                        return destination.count - Int(stream.pointee.avail_out)
                    }
                    precondition(result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR,
                                 "deflate with room to write cannot fail")
                    output.append(contentsOf: chunk[0..<produced])
                } while flush == Z_FINISH ? result != Z_STREAM_END : stream.pointee.avail_out == 0
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
            }
        }
    }
}
