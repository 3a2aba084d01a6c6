import Foundation
import OutputFiles
import Records
import Testing

@Suite struct RecordFileGeneratorTests {
    /// Generates `count` records of `seed` in `format` into a fresh temporary file and returns its bytes.
    static func generate(count: Int, seed: UInt64 = 7, format: RecordFileFormat, encoder: RecordFileGenerator.Encoder = .bytes) throws -> Data {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString).\(format.rawValue)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try OutputFile(path: path)
        let bytes = try RecordFileGenerator(generator: OrderGenerator(seed: seed), format: format, encoder: encoder).write(count: count, to: output)
        try output.commit()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count == bytes)
        return data
    }

    @Test(arguments: RecordFileFormat.allCases)
    func sameSeedGivesIdenticalBytes(format: RecordFileFormat) throws {
        let first = try Self.generate(count: 3000, seed: 99, format: format)
        let second = try Self.generate(count: 3000, seed: 99, format: format)
        #expect(first == second)
        #expect(try Self.generate(count: 3000, seed: 100, format: format) != first)
    }

    @Test func jsonArrayParsesWithJSONSerializationOneRecordPerLine() throws {
        let data = try Self.generate(count: 500, format: .jsonArray)
        let records = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(records.count == 500)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 502)
        #expect(lines.first == "[" && lines.last == "]")
    }

    @Test func jsonLinesParseWithJSONSerializationAndKeepEveryCharacter() throws {
        let data = try Self.generate(count: 2000, format: .jsonLines)
        let lines = data.split(separator: UInt8(ascii: "\n"))
        #expect(lines.count == 2000)
        let generator = OrderGenerator(seed: 7)
        var ids = Set<Int64>()
        for (index, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            let expected = generator.record(at: index)
            #expect((object["id"] as? NSNumber)?.int64Value == expected.id)
            #expect(object["customer_name"] as? String == expected.customerName)
            #expect(object["note"] as? String == expected.note)
            let items = try #require(object["items"] as? [[String: Any]])
            #expect(items.map { $0["name"] as? String } == expected.items.map(\.name))
            ids.insert(expected.id)
        }
        #expect(ids.count == 2000)
    }

    @Test func notesCoverTheCharactersThatBreakLoaders() throws {
        let text = String(decoding: try Self.generate(count: 2000, format: .jsonLines), as: UTF8.self)
        for escaped in [#"\""#, #"\\"#, #"\n"#, #"\t"#, #"\r"#, "ë", "🎧", "日本"] {
            #expect(text.contains(escaped), "no \(escaped) in 2000 records")
        }
    }

    @Test func foundationEncoderWritesTheSameRecords() throws {
        let ours = try Self.generate(count: 200, format: .jsonLines).split(separator: UInt8(ascii: "\n"))
        let foundation = try Self.generate(count: 200, format: .jsonLines, encoder: .foundation).split(separator: UInt8(ascii: "\n"))
        #expect(ours.count == foundation.count)
        for (mine, theirs) in zip(ours, foundation) {
            let a = try JSONSerialization.jsonObject(with: Data(mine)) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: Data(theirs)) as? NSDictionary
            #expect(a == b)
        }
    }

    @Test func emptyFilesAreStillValid() throws {
        #expect(try JSONSerialization.jsonObject(with: Self.generate(count: 0, format: .jsonArray)) as? [Any] != nil)
        #expect(try Self.generate(count: 0, format: .jsonLines).isEmpty)
    }

    @Test func formatFollowsTheFileName() {
        #expect(RecordFileFormat(path: "out.json") == .jsonArray)
        #expect(RecordFileFormat(path: "OUT.JSON") == .jsonArray)
        #expect(RecordFileFormat(path: "out.jsonl") == .jsonLines)
        #expect(RecordFileFormat(path: "out.ndjson") == .jsonLines)
        #expect(RecordFileFormat(path: "-") == .jsonLines)
    }
}
