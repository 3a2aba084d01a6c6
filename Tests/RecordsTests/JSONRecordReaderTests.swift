import Foundation
import Records
import Testing

@Suite struct JSONRecordReaderTests {
    /// Reads every record of `text` through a pipe-free temporary file, with a tiny chunk size so records
    /// straddle buffer refills; returns (line, first member's value) pairs, or the error.
    static func read(_ text: String, chunkSize: Int = 16) throws(RecordReadError) -> [(line: Int, id: String)] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let reader = JSONRecordReader(descriptor: descriptor, chunkSize: chunkSize)
        var found: [(Int, String)] = []
        while let record = try reader.next() {
            let first = record.members.first.map { String(decoding: record.slice($0.value), as: UTF8.self) } ?? ""
            found.append((record.line, first))
        }
        return found
    }

    static func failure(_ text: String) -> RecordReadError? {
        do {
            _ = try read(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func findsRecordsOfJSONLinesWithTheirLines() throws {
        let found = try Self.read("{\"id\":1}\n{\"id\":22,\"x\":[1,{\"y\":\"z\"}]}\n\n{\"id\":333}\n")
        #expect(found.map(\.line) == [1, 2, 4])
        #expect(found.map(\.id) == ["1", "22", "333"])
    }

    @Test func findsRecordsOfAnArrayInAnyLayout() throws {
        let found = try Self.read("\u{FEFF}[\n  {\n    \"id\": 1\n  },\n  {\"id\": 2}\n]\n")
        #expect(found.map(\.line) == [2, 5])
        #expect(found.map(\.id) == ["1", "2"])
        #expect(try Self.read("\u{FEFF}{\"id\":3}", chunkSize: 2).map(\.id) == ["3"])
        #expect(try Self.read("[]").isEmpty)
        #expect(try Self.read("").isEmpty)
        #expect(try Self.read(" \n ").isEmpty)
    }

    @Test func givesStringContentsBetweenTheQuotes() throws {
        let found = try Self.read(#"{"id":"caf\u00e9 \"x\" 🎧"}"#)
        #expect(found.map(\.id) == [#"caf\u00e9 \"x\" 🎧"#])
    }

    @Test func growsTheBufferForRecordsLargerThanAChunk() throws {
        let big = String(repeating: "ab", count: 5000)
        let found = try Self.read("{\"id\":\"\(big)\"}\n{\"id\":2}", chunkSize: 64)
        #expect(found.map(\.id) == [big, "2"])
    }

    @Test(arguments: [
        ("{\"id\":1}\n{\"id\":2,}\n", 2, "record 2 is not valid JSON: expected a member name in quotes, found '}'"),
        ("{\"id\":1}\n{\"id\":2", 2, "unexpected end of file"),
        ("[{\"id\":1},\n{\"id\":2},\n]", 3, "trailing ',' before ']'"),
        ("[{\"id\":1}] x", 1, "unexpected 'x' after the array's closing ']'"),
        ("{\"id\":1}\n[1]", 2, "record 2 is not a JSON object"),
        ("{\"id\":\"a\\qb\"}", 1, "invalid escape"),
        ("{\"id\":\"\\ud800\"}", 1, "unpaired UTF-16 surrogate"),
        ("{\"id\":\"\u{7}\"}", 1, "unescaped control character 0x7"),
        ("{\"id\":\"line\nbreak\"}", 1, "unterminated string"),
        ("{\"id\":01}", 1, "leading zero"),
        ("{\"id\":1.}", 1, "expected a digit after '.'"),
        ("{\"id\":tru}", 1, "invalid literal"),
        ("{\"id\":1 \"b\":2}", 1, "expected ',' or '}'"),
        ("{\"id\":\n\n[1 2]}", 1, "at line 3: expected ',' or ']' in an array"),
    ])
    func reportsTheLineAndReasonOfTheFirstBadRecord(text: String, line: Int, reason: String) throws {
        let error = try #require(Self.failure(text))
        #expect(error.line == line)
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test func rejectsInvalidUTF8() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("utf8-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data([UInt8]("{\"id\":\"".utf8) + [0xC3, 0x28] + [UInt8]("\"}".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        #expect(throws: RecordReadError.self) { try JSONRecordReader(descriptor: descriptor).next() }
    }

    @Test func readsWhatTheGeneratorWrites() throws {
        for format in RecordFileFormat.allCases {
            let data = try RecordFileGeneratorTests.generate(count: 300, format: format)
            let found = try Self.read(String(decoding: data, as: UTF8.self), chunkSize: 1000)
            #expect(found.count == 300)
            #expect(found.last?.line == (format == .jsonArray ? 301 : 300))
        }
    }
}

@Suite struct OrderRecordValidatorTests {
    static func validate(_ text: String) throws -> [JSONRecord.Member?] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("validator-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        var validator = OrderRecordValidator()
        let reader = JSONRecordReader(descriptor: descriptor)
        // The record's bytes live in the reader's buffer: keep the reader until validation is done.
        return try withExtendedLifetime(reader) {
            let record = try #require(try reader.next())
            return try validator.validate(record)
        }
    }

    static let valid = #"{"id":1,"created_at":"2024-02-29T23:59:59.5+01:00","status":"paid","customer_name":"A","customer_email":"a@b","currency":"EUR","total":-12.5,"items":[],"shipping":{},"note":null}"#

    @Test func acceptsAValidOrderInAnyMemberOrder() throws {
        let columns = try Self.validate(Self.valid)
        #expect(columns.count == OrderRecord.Field.allCases.count)
        #expect(columns.last! == nil)
        let reordered = #"{"note":"x","shipping":{},"items":[],"total":1,"currency":"USD","customer_email":"","customer_name":"","status":"","created_at":"2024-01-01T00:00:00Z","id":-9223372036854775808}"#
        #expect(try Self.validate(reordered).allSatisfy { $0 != nil })
    }

    @Test(arguments: [
        (#""id":1,"#, #""id":1.5,"#, #""id" must be an integer"#),
        (#""id":1,"#, #""id":9223372036854775808,"#, #""id" must be an integer"#),
        (#""2024-02-29T23:59:59.5+01:00""#, #""2023-02-29T00:00:00Z""#, #""created_at" must be an RFC 3339 timestamp"#),
        (#""2024-02-29T23:59:59.5+01:00""#, #""2024-01-01 00:00:00""#, #""created_at" must be an RFC 3339 timestamp"#),
        (#""EUR""#, #""eur""#, #""currency" must be a three-letter"#),
        ("-12.5", "1.005", #""total" must be an amount"#),
        ("-12.5", "1e3", #""total" must be an amount"#),
        (#""items":[]"#, #""items":{}"#, #""items" must be an array, not an object"#),
        (#""note":null"#, #""note":5"#, #""note" must be a string or null, not a number"#),
        (#""note":null"#, #""note":null,"extra":1"#, #"unexpected member "extra""#),
        (#""note":null"#, #""note":null,"id":2"#, #"duplicate member "id""#),
        (#","note":null"#, "", #"missing member "note""#),
        (#""status":"paid""#, #""status":"p\u0000d""#, #"\u0000"#),
    ])
    func rejectsWhatPostgreSQLWouldRefuse(original: String, replacement: String, reason: String) throws {
        let text = Self.valid.replacing(original, with: replacement)
        #expect(text != Self.valid)
        #expect { try Self.validate(text) } throws: { error in
            (error as? RecordReadError)?.reason.contains(reason) == true
        }
    }
}
