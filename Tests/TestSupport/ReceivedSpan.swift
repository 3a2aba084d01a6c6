import Foundation

/// A typed OTLP attribute value as the OTLP receiver reports it (`{"string": "x"}`, `{"int": 5}`, ...).
public enum AttributeValue: Sendable, Hashable, Decodable, CustomStringConvertible {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])
    case array([AttributeValue])
    case kvlist([String: AttributeValue])
    case empty

    private enum Key: String, CodingKey {
        case string, bool, int, double, bytes, array, kvlist, empty
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if let value = try container.decodeIfPresent(String.self, forKey: .string) {
            self = .string(value)
        } else if let value = try container.decodeIfPresent(Bool.self, forKey: .bool) {
            self = .bool(value)
        } else if let value = try container.decodeIfPresent(Int64.self, forKey: .int) {
            self = .int(value)
        } else if let value = try container.decodeIfPresent(Double.self, forKey: .double) {
            self = .double(value)
        } else if let value = try container.decodeIfPresent(String.self, forKey: .bytes) {
            self = .bytes(Array(Data(base64Encoded: value) ?? Data()))
        } else if let value = try container.decodeIfPresent([AttributeValue].self, forKey: .array) {
            self = .array(value)
        } else if let value = try container.decodeIfPresent([String: AttributeValue].self, forKey: .kvlist) {
            self = .kvlist(value)
        } else {
            self = .empty
        }
    }

    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    public var intValue: Int64? { if case .int(let v) = self { v } else { nil } }
    public var doubleValue: Double? { if case .double(let v) = self { v } else { nil } }
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var arrayValue: [AttributeValue]? { if case .array(let v) = self { v } else { nil } }
    /// The elements of a string array (nil if this is not an array of strings).
    public var stringArrayValue: [String]? {
        guard case .array(let values) = self else { return nil }
        let strings = values.compactMap(\.stringValue)
        return strings.count == values.count ? strings : nil
    }

    public var description: String {
        switch self {
        case .string(let v): v.debugDescription
        case .bool(let v): String(v)
        case .int(let v): String(v)
        case .double(let v): String(v)
        case .bytes(let v): "<\(v.count) bytes>"
        case .array(let v): "[" + v.map(\.description).joined(separator: ", ") + "]"
        case .kvlist(let v): "{" + v.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .empty: "<empty>"
        }
    }
}

/// One span as the OTLP receiver got it (decoded with the official OTLP protobuf code).
public struct ReceivedSpan: Sendable, Hashable, Decodable {
    public struct Status: Sendable, Hashable, Decodable {
        /// `"unset"`, `"ok"` or `"error"`.
        public var code: String
        public var message: String
    }

    public struct Event: Sendable, Hashable, Decodable {
        public var name: String
        public var timeUnixNano: UInt64
        public var attributes: [String: AttributeValue]

        enum CodingKeys: String, CodingKey {
            case name, attributes
            case timeUnixNano = "time_unix_nano"
        }
    }

    public struct Link: Sendable, Hashable, Decodable {
        public var traceID: String
        public var spanID: String
        public var attributes: [String: AttributeValue]

        enum CodingKeys: String, CodingKey {
            case attributes
            case traceID = "trace_id"
            case spanID = "span_id"
        }
    }

    /// 32 lowercase hex digits.
    public var traceID: String
    /// 16 lowercase hex digits.
    public var spanID: String
    /// 16 lowercase hex digits, or "" for a root span.
    public var parentSpanID: String
    public var traceState: String
    public var name: String
    /// `"internal"`, `"server"`, `"client"`, `"producer"`, `"consumer"` or `"unspecified"`.
    public var kind: String
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    public var attributes: [String: AttributeValue]
    public var status: Status
    public var events: [Event]
    public var links: [Link]
    /// Resource attributes (`service.name`, ...).
    public var resource: [String: AttributeValue]
    /// The resource's `service.name` ("" when absent).
    public var serviceName: String
    public var scopeName: String
    public var scopeVersion: String
    /// `"grpc"`, `"http/protobuf"` or `"http/json"`: how the span reached the receiver.
    public var transport: String

    enum CodingKeys: String, CodingKey {
        case name, kind, attributes, status, events, links, resource, transport
        case traceID = "trace_id"
        case spanID = "span_id"
        case parentSpanID = "parent_span_id"
        case traceState = "trace_state"
        case startTimeUnixNano = "start_time_unix_nano"
        case endTimeUnixNano = "end_time_unix_nano"
        case serviceName = "service_name"
        case scopeName = "scope_name"
        case scopeVersion = "scope_version"
    }

    public var isRoot: Bool { parentSpanID.isEmpty }
    public var durationNanos: UInt64 { endTimeUnixNano >= startTimeUnixNano ? endTimeUnixNano - startTimeUnixNano : 0 }
}

extension Array where Element == ReceivedSpan {
    /// The spans whose parent is `span`.
    public func children(of span: ReceivedSpan) -> [ReceivedSpan] {
        filter { $0.parentSpanID == span.spanID && $0.traceID == span.traceID }
    }
}
