/// One export request's body as it crossed the relay, before decoding.
struct OTLPBody: Sendable, Equatable {
    enum Encoding: Sendable, Equatable {
        /// OTLP/gRPC: one `ExportTraceServiceRequest` message (the gRPC length prefix removed); `compressed` is the
        /// prefix's flag (gRPC's compression is gzip for OTLP exporters).
        case grpc(compressed: Bool)
        /// OTLP/HTTP: the body with its `Content-Type` and `Content-Encoding`.
        case http(contentType: String, contentEncoding: String)
    }

    var encoding: Encoding
    var bytes: [UInt8]
}
