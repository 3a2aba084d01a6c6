/// One `POST /ingest` as pyroscope-go sends it: the series in `name`, the time range and rate in the query, and
/// the gzipped pprof as the `profile` part of a `multipart/form-data` body.
///
/// No `format` parameter: with `format=pprof` the server reads the body as a bare profile and misreads the
/// multipart envelope (`readInputRawDataFromRequest` in grafana/pyroscope `pkg/ingester/pyroscope`).
/// `from`/`until` are sent in nanoseconds: the server reads a 19-digit number as such.
struct IngestRequest: Sendable, Equatable {
    var url: String
    var contentType: String
    var body: [UInt8]

    init(server: ServerAddress, applicationName: String, labels: [PyroscopeLabel], upload: PyroscopeUpload, spyName: String, boundary: String) {
        url = server.base + "/ingest?" + PercentEncoding.query([
            ("name", Self.seriesName(applicationName: applicationName, labels: labels)),
            ("from", String(upload.startTime)),
            ("until", String(upload.endTime)),
            ("sampleRate", String(upload.sampleRate)),
            ("spyName", spyName),
        ])
        contentType = "multipart/form-data; boundary=\(boundary)"
        body = Self.multipartBody(profile: upload.profile, boundary: boundary)
    }

    /// `APP{k=v,k2=v2}`, as pyroscope-go names it. For a pprof body the server derives the profile type from the
    /// sample types (`cpu` → `process_cpu`) and takes the whole name before `{` as `service_name`
    /// (grafana/pyroscope `pkg/og/convert/pprof/profile.go`, `createLabels`): a legacy `.cpu` suffix would become
    /// part of the service's name.
    static func seriesName(applicationName: String, labels: [PyroscopeLabel]) -> String {
        "\(applicationName){" + labels.map { "\($0.name)=\($0.value)" }.joined(separator: ",") + "}"
    }

    static func multipartBody(profile: [UInt8], boundary: String) -> [UInt8] {
        let head = "--\(boundary)\r\n"
            + "Content-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n"
        let tail = "\r\n--\(boundary)--\r\n"
        return Array(head.utf8) + profile + Array(tail.utf8)
    }

    /// A boundary that cannot occur in the profile by chance.
    static func randomBoundary(using generator: inout some RandomNumberGenerator) -> String {
        "hybrid-run-" + (0..<4).map { _ in String(UInt64.random(in: .min ... .max, using: &generator), radix: 16) }.joined()
    }
}
