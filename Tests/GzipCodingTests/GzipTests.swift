import Foundation
import GzipCoding
import Testing

@Suite struct GzipTests {
    /// gzip(1) compresses (`-c -9`) or decompresses (`-d -c`): an encoder and a decoder we did not write.
    private func gzipTool(_ input: [UInt8], arguments: [String] = ["-c", "-9"]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        // Written from another thread: gzip's output fills the pipe before it has read all of a large input.
        let writer = Thread { stdin.fileHandleForWriting.write(Data(input)); try? stdin.fileHandleForWriting.close() }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(output)
    }

    private let text = Array(String(repeating: "hybrid-run flame graph ", count: 5000).utf8)

    @Test func inflatesWhatGzipWrote() throws {
        #expect(try Gzip.decompress(try gzipTool(text), limit: 1 << 20) == text)
    }

    @Test func roundTrips() throws {
        let compressed = Gzip.compress(text)
        #expect(Gzip.isCompressed(compressed))
        #expect(compressed.count < text.count / 10)
        #expect(try Gzip.decompress(compressed, limit: 1 << 20) == text)
        #expect(try Gzip.decompress(Gzip.compress([]), limit: 1 << 20) == [])
    }

    /// Input that does not compress comes out in many of the encoder's 64 KiB steps, all of them kept.
    @Test func aStreamLongerThanOneStepIsWholeForGzip() throws {
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<400_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let compressed = Gzip.compress(noise)
        #expect(compressed.count > 4 * 65536)
        #expect(try gzipTool(compressed, arguments: ["-d", "-c"]) == noise)
    }

    /// Bytes appended piece by piece (empty ones, and ones longer than a step) are one gzip member of them all.
    @Test func aMemberAppendedInPiecesIsThePiecesJoined() throws {
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<150_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let pieces: [[UInt8]] = [Array(text.prefix(10)), [], noise, Array(text.dropFirst(10)), [0x2a]]
        let compressor = Gzip.Compressor()
        for piece in pieces { compressor.append(piece) }
        let compressed = compressor.finish()
        #expect(try gzipTool(compressed, arguments: ["-d", "-c"]) == pieces.flatMap { $0 })
    }

    @Test func saysTruncatedWhenTheStreamEndsEarly() throws {
        let compressed = try gzipTool(text)
        #expect(throws: GzipError.truncated) { try Gzip.decompress(Array(compressed.prefix(compressed.count / 2)), limit: 1 << 20) }
        #expect(throws: GzipError.truncated) { try Gzip.decompress(Array(compressed.dropLast(4)), limit: 1 << 20) }
        #expect(throws: GzipError.truncated) { try Gzip.decompress([0x1f, 0x8b], limit: 1 << 20) }
    }

    @Test func saysCorruptForDamagedData() throws {
        var compressed = try gzipTool(text)
        compressed[compressed.count - 6] ^= 0xff  // the CRC-32 of the trailer
        #expect(throws: GzipError.corrupt) { try Gzip.decompress(compressed, limit: 1 << 20) }
        #expect(throws: GzipError.corrupt) { try Gzip.decompress(Array("not gzip at all".utf8), limit: 1 << 20) }
    }

    @Test func refusesToInflatePastTheLimit() throws {
        #expect(throws: GzipError.tooLarge(limit: 1000)) { try Gzip.decompress(Gzip.compress(text), limit: 1000) }
        #expect(throws: GzipError.tooLarge(limit: text.count - 1)) { try Gzip.decompress(Gzip.compress(text), limit: text.count - 1) }
        #expect(try Gzip.decompress(Gzip.compress(text), limit: text.count) == text)
    }
}
