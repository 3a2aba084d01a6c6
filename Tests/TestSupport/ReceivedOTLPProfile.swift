/// One OTLP profile as the OTLP receiver got it (decoded with the official `opentelemetry-proto` Python code), its
/// samples resolved through the request's dictionary.
public struct ReceivedOTLPProfile: Sendable, Decodable {
    public typealias ValueType = ReceivedProfile.ValueType

    public struct Link: Sendable, Decodable, Hashable {
        /// 32 lowercase hex digits.
        public var traceID: String
        /// 16 lowercase hex digits.
        public var spanID: String

        public init(traceID: String, spanID: String) {
            self.traceID = traceID
            self.spanID = spanID
        }

        enum CodingKeys: String, CodingKey {
            case traceID = "trace_id"
            case spanID = "span_id"
        }
    }

    public struct Sample: Sendable, Decodable {
        /// Function names, root first (inlined lines expanded); empty for a sample without a stack.
        public var stack: [String]
        public var values: [Int64]
        /// The span the sample links to (`link_index`), nil for none.
        public var link: Link?
        public var attributes: [String: AttributeValue]
    }

    public struct Dictionary: Sendable, Decodable {
        /// Entries per table (`string_table`, `stack_table`, ...), the zero entry included.
        public var sizes: [String: Int]
        /// Per table, how many entries repeat an earlier one.
        public var duplicates: [String: Int]
        /// Rules of the proto the request broke (a table whose entry 0 is not the zero value, an index out of range).
        public var problems: [String]
    }

    public var resource: [String: AttributeValue]
    public var serviceName: String
    public var scopeName: String
    public var sampleType: ValueType
    public var periodType: ValueType
    public var period: Int64
    public var timeUnixNano: UInt64
    public var durationNano: UInt64
    public var samples: [Sample]
    public var mappingFiles: [String]
    public var dictionary: Dictionary
    /// `"grpc"` or `"http/protobuf"`.
    public var transport: String
    /// Request headers or gRPC metadata (lowercase names; transport and content headers left out).
    public var headers: [String: String]

    enum CodingKeys: String, CodingKey {
        case resource, period, samples, dictionary, transport, headers
        case serviceName = "service_name"
        case scopeName = "scope_name"
        case sampleType = "sample_type"
        case periodType = "period_type"
        case timeUnixNano = "time_unix_nano"
        case durationNano = "duration_nano"
        case mappingFiles = "mapping_files"
    }

    /// The sum of the samples' values.
    public var total: Int64 { samples.reduce(0) { $0 + ($1.values.first ?? 0) } }
}
