import Foundation
@testable import PostgresLoader
import Records
import Testing

@Suite struct CopyTextEncoderTests {
    /// The COPY text row for one JSON record.
    static func row(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(json.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let reader = JSONRecordReader(descriptor: descriptor)
        // The record's bytes live in the reader's buffer: keep the reader until the row is written.
        return try withExtendedLifetime(reader) {
            let record = try #require(try reader.next())
            var validator = OrderRecordValidator()
            var encoder = CopyTextEncoder()
            var row: [UInt8] = []
            encoder.append(record, columns: try validator.validate(record), to: &row)
            return String(decoding: row, as: UTF8.self)
        }
    }

    @Test func escapesBackslashesAndSeparatorsInTextAndJSONColumns() throws {
        let json = #"""
            {"id":7,"created_at":"2024-01-01T00:00:00Z","status":"a\tb","customer_name":"O'Brien \"Zo\" \\ \u00e9",
             "customer_email":"x@y","currency":"EUR","total":1.50,
             "items":[{"name":"C:\\dir\n"}],
             "shipping":{"street":	"tab"},"note":"line1\nline2\r"}
            """#
        let fields = try Self.row(json).dropLast().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        let expected = [
            "7", "2024-01-01T00:00:00Z", #"a\tb"#, #"O'Brien "Zo" \\ é"#, "x@y", "EUR", "1.50",
            #"[{"name":"C:\\\\dir\\n"}]"#, #"{"street":\t"tab"}"#, #"line1\nline2\r"#,
        ]
        #expect(fields == expected)
    }

    @Test func writesNullNoteAsBackslashN() throws {
        let json = #"{"id":1,"created_at":"2024-01-01T00:00:00Z","status":"","customer_name":"","customer_email":"","currency":"USD","total":0,"items":[],"shipping":{},"note":null}"#
        #expect(try Self.row(json).hasSuffix("\t\\N\n"))
    }
}

@Suite struct OrderTableTests {
    @Test func quotesEachPartOfTheName() throws {
        #expect(try OrderTable(name: "orders").quotedName == #""orders""#)
        #expect(try OrderTable(name: "Sales.Orders").quotedName == #""Sales"."Orders""#)
        #expect(try OrderTable(name: #"a"b"#).quotedName == #""a""b""#)
    }

    @Test(arguments: ["", "a.b.c", ".orders", "orders."])
    func rejectsNamesThatAreNotNameOrSchemaDotName(name: String) {
        #expect(throws: TableNameError.self) { try OrderTable(name: name) }
    }
}

@Suite struct ConnectionMessageTests {
    @Test(arguments: [
        ("connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n",
         "Connection refused"),
        ("connection to server at \"localhost\" (::1), port 5432 failed: FATAL:  password authentication failed for user \"bob\"\n",
         "password authentication failed for user \"bob\""),
        ("could not translate host name \"nohost\" to address: Name or service not known\n",
         "could not translate host name \"nohost\" to address: Name or service not known"),
    ])
    func reducesLibpqMessagesToTheReason(message: String, reason: String) {
        #expect(message.withCString { PostgresConnection.reason($0) } == reason)
    }
}
