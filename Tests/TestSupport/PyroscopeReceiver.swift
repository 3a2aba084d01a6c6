import Foundation

/// The Pyroscope stand-in (`scripts/standins/pyroscope_receiver.py`): the legacy `POST /ingest` API as the server
/// serves it (labels, multipart / raw pprof / folded, status codes), with the pprof decoded by the official
/// profile.proto, plus scripted failures.
///
/// ```swift
/// let pyroscope = try PyroscopeReceiver.shared       // PYROSCOPE_SERVER_ADDRESS = pyroscope.url.absoluteString
/// let uploads = try await pyroscope.waitForUploads(app: "myapp", count: 1)
/// try await PyroscopeReceiver.withDedicated(responses: [500, 200]) { pyroscope in ... }
/// ```
/// The shared receiver keeps the uploads of the whole test run: filter by an app name or label unique to the test.
public struct PyroscopeReceiver: Sendable {
    /// The ingest base URL (what a client takes as its server address).
    public let url: URL
    public let queryURL: URL
    private let process: StandInProcess?

    public struct Health: Sendable, Decodable {
        public var status: String
        /// Stored uploads.
        public var uploads: Int
        /// Every request to /ingest, including rejected, scripted and hung ones.
        public var attempts: Int
    }

    /// The receiver `scripts/test.sh` started (throws ``TestEnvironment/Missing`` outside it).
    public static var shared: PyroscopeReceiver {
        get throws {
            let environment = TestEnvironment.current
            return PyroscopeReceiver(url: try environment.pyroscopeURL, queryURL: try environment.pyroscopeQueryURL, process: nil)
        }
    }

    private init(url: URL, queryURL: URL, process: StandInProcess?) {
        self.url = url
        self.queryURL = queryURL
        self.process = process
    }

    /// Starts a receiver of this test's own on free ports.
    /// - Parameters:
    ///   - responses: HTTP statuses answered, in order, to the first uploads before normal handling
    ///     (e.g. `[500, 200]`: the first upload gets 500, the second is stored).
    ///   - hang: accept every upload and never answer (a black-holed server that speaks TCP).
    ///   - tls: serve ingest over TLS with this authority's server certificate (``url`` is then `https://`).
    ///   - http2: with `tls`, offer HTTP/2 (ALPN `h2`) as well as HTTP/1.1.
    public static func startDedicated(responses: [Int] = [], hang: Bool = false, tls: TestCertificateAuthority? = nil, http2: Bool = false) async throws -> PyroscopeReceiver {
        var arguments: [String] = []
        if !responses.isEmpty { arguments += ["--responses", responses.map(String.init).joined(separator: ",")] }
        if hang { arguments.append("--hang") }
        if let tls { arguments += ["--tls-cert", tls.certificateFile, "--tls-key", tls.keyFile] }
        if http2 { arguments.append("--http2") }
        let process = try await StandInProcess.start(script: "pyroscope_receiver.py", arguments: arguments)
        guard let url = process.announcement.url.flatMap(URL.init(string:)),
              let query = process.announcement.query_url.flatMap(URL.init(string:))
        else {
            await process.stop()
            throw StandInProcess.StartFailure(description: "pyroscope_receiver.py announced no URLs")
        }
        return PyroscopeReceiver(url: url, queryURL: query, process: process)
    }

    /// Runs `body` with a dedicated receiver and stops it afterwards, whatever happens.
    public static func withDedicated<T: Sendable>(
        responses: [Int] = [], hang: Bool = false, tls: TestCertificateAuthority? = nil, http2: Bool = false,
        _ body: (PyroscopeReceiver) async throws -> T
    ) async throws -> T {
        try await StandInProcess.stopping(try await startDedicated(responses: responses, hang: hang, tls: tls, http2: http2), stop: { await $0.stop() }, body)
    }

    /// Stops a dedicated receiver (no-op for the shared one).
    public func stop() async {
        await process?.stop()
    }

    public func health() async throws -> Health {
        try await HTTPQuery.get(Health.self, queryURL.appendingPathComponent("health"))
    }

    /// Stored uploads (status 200), optionally only those of `app` (app or service name) carrying every label
    /// in `labels`; `includeRejected` adds every other attempt (scripted failures, 400/422, hung requests).
    public func uploads(app: String? = nil, labels: [String: String] = [:], includeRejected: Bool = false) async throws -> [ReceivedUpload] {
        var query: [(String, String)] = []
        if let app { query.append(("app", app)) }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { query.append(("label", "\(key)=\(value)")) }
        if includeRejected { query.append(("all", "1")) }
        return try await HTTPQuery.get([ReceivedUpload].self, queryURL.appendingQuery(path: "uploads", query))
    }

    /// Waits (bounded) until at least `count` uploads of `app` are stored, and returns them.
    public func waitForUploads(
        app: String, labels: [String: String] = [:], count: Int = 1, timeout: Duration = .seconds(15)
    ) async throws -> [ReceivedUpload] {
        var last: [ReceivedUpload] = []
        do {
            return try await Poll.until(timeout: timeout) {
                last = try await uploads(app: app, labels: labels)
                return last.count >= count ? last : nil
            }
        } catch is Poll.TimedOut {
            let attempts = (try? await uploads(app: nil, includeRejected: true).map { "\($0.name):\($0.statusDescription)" }) ?? []
            throw Poll.TimedOut(description: "timed out after \(timeout) waiting for \(count) uploads of \(app); "
                + "got \(last.count); all attempts so far: \(attempts.suffix(20))")
        }
    }

    /// Accept uploads and never answer them (true), or answer normally again (false).
    public func setHang(_ hang: Bool) async throws {
        struct Body: Encodable { var hang: Bool }
        try await HTTPQuery.post(queryURL.appendingPathComponent("control/hang"), json: Body(hang: hang))
    }
}

/// One request to the stand-in's `/ingest`, as recorded.
public struct ReceivedUpload: Sendable, Decodable {
    public struct Auth: Sendable, Decodable, Hashable {
        /// `"basic"`, `"bearer"`, another scheme in lowercase, or nil without an Authorization header.
        public var scheme: String?
        /// The basic-auth user name (the password itself is never recorded).
        public var user: String?
        public var passwordPresent: Bool
        public var tokenPresent: Bool

        enum CodingKeys: String, CodingKey {
            case scheme, user
            case passwordPresent = "password_present"
            case tokenPresent = "token_present"
        }
    }

    /// Order of arrival (1-based) among all attempts.
    public var seq: Int
    /// The HTTP status answered; nil when the request was held unanswered (hang).
    public var status: Int?
    /// Whether the server accepted and kept it (200 and not silently dropped).
    public var stored: Bool
    /// Why it was rejected or dropped.
    public var error: String?
    /// The raw `name` query parameter (`app{k=v}`).
    public var name: String
    public var receivedUnixNanos: Int64
    // Present when the metadata parsed:
    /// The application: `name` without its labels (and, for a folded body, without the profile-type suffix).
    public var appName: String?
    /// The `service_name` label if sent, else the app name.
    public var serviceName: String?
    /// A pprof body's series name as the server derives it from the sample types (`process_cpu`, `wall`); for a
    /// folded body the suffix after the last `.` (`cpu` when none).
    public var profileType: String?
    /// A pprof body's profile types as the server lists them, one per sample type (`wall:wall:nanoseconds:wall:nanoseconds`).
    public var profileTypes: [String]?
    /// Labels from `name` (reserved `__*` ones dropped, as the server does).
    public var labels: [String: String]?
    public var fromUnixNanos: Int64?
    public var untilUnixNanos: Int64?
    public var sampleRate: Int?
    public var spyName: String?
    public var units: String?
    public var aggregationType: String?
    /// The `format` query parameter ("" when absent).
    public var format: String?
    /// `"multipart"`, `"pprof"`, `"folded"` or `"lines"`: how the body was read.
    public var bodyKind: String?
    public var contentType: String?
    /// `X-Scope-OrgID`.
    public var tenant: String?
    public var auth: Auth?
    public var userAgent: String?
    /// The `Host` header: the name the client addressed, e.g. one only a proxy resolves.
    public var host: String?
    /// The TLS version the upload came over (`TLSv1.3`), nil over plain HTTP.
    public var tlsVersion: String?
    /// `1.1` or `2`.
    public var httpVersion: String?
    public var profile: ReceivedProfile?
    /// Where `--out` saved it (demo only).
    public var file: String?

    enum CodingKeys: String, CodingKey {
        case seq, status, stored, error, name, labels, units, format, tenant, auth, profile, file, host
        case tlsVersion = "tls_version"
        case httpVersion = "http_version"
        case receivedUnixNanos = "received_unix_nanos"
        case appName = "app_name"
        case serviceName = "service_name"
        case profileType = "profile_type"
        case profileTypes = "profile_types"
        case fromUnixNanos = "from_unix_nanos"
        case untilUnixNanos = "until_unix_nanos"
        case sampleRate = "sample_rate"
        case spyName = "spy_name"
        case aggregationType = "aggregation_type"
        case bodyKind = "body_kind"
        case contentType = "content_type"
        case userAgent = "user_agent"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int.self, forKey: .seq)
        status = try? c.decodeIfPresent(Int.self, forKey: .status)  // "hang" -> nil
        stored = try c.decode(Bool.self, forKey: .stored)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        receivedUnixNanos = try c.decodeIfPresent(Int64.self, forKey: .receivedUnixNanos) ?? 0
        appName = try c.decodeIfPresent(String.self, forKey: .appName)
        serviceName = try c.decodeIfPresent(String.self, forKey: .serviceName)
        profileType = try c.decodeIfPresent(String.self, forKey: .profileType)
        profileTypes = try c.decodeIfPresent([String].self, forKey: .profileTypes)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        fromUnixNanos = try c.decodeIfPresent(Int64.self, forKey: .fromUnixNanos)
        untilUnixNanos = try c.decodeIfPresent(Int64.self, forKey: .untilUnixNanos)
        sampleRate = try c.decodeIfPresent(Int.self, forKey: .sampleRate)
        spyName = try c.decodeIfPresent(String.self, forKey: .spyName)
        units = try c.decodeIfPresent(String.self, forKey: .units)
        aggregationType = try c.decodeIfPresent(String.self, forKey: .aggregationType)
        format = try c.decodeIfPresent(String.self, forKey: .format)
        bodyKind = try c.decodeIfPresent(String.self, forKey: .bodyKind)
        contentType = try c.decodeIfPresent(String.self, forKey: .contentType)
        tenant = try c.decodeIfPresent(String.self, forKey: .tenant)
        auth = try c.decodeIfPresent(Auth.self, forKey: .auth)
        userAgent = try c.decodeIfPresent(String.self, forKey: .userAgent)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        tlsVersion = try c.decodeIfPresent(String.self, forKey: .tlsVersion)
        httpVersion = try c.decodeIfPresent(String.self, forKey: .httpVersion)
        profile = try c.decodeIfPresent(ReceivedProfile.self, forKey: .profile)
        file = try c.decodeIfPresent(String.self, forKey: .file)
    }

    var statusDescription: String { status.map(String.init) ?? "hang" }
}

/// A decoded profile (pprof through the official profile.proto; folded uploads have one value per sample and
/// no sample types).
public struct ReceivedProfile: Sendable, Decodable {
    public struct ValueType: Sendable, Decodable, Hashable {
        public var type: String
        public var unit: String

        public init(type: String, unit: String) {
            self.type = type
            self.unit = unit
        }
    }

    public struct Sample: Sendable, Decodable, Hashable {
        /// Function names, root first (inlined frames expanded; an unsymbolized location appears as `0x…`).
        public var stack: [String]
        public var values: [Int64]
        /// String labels (`span_id`, `trace_id`, ...).
        public var labels: [String: String]
        /// Numeric labels.
        public var numLabels: [String: Int64]

        enum CodingKeys: String, CodingKey {
            case stack, values, labels
            case numLabels = "num_labels"
        }
    }

    public var sampleTypes: [ValueType]
    public var periodType: ValueType?
    public var period: Int64
    public var timeNanos: Int64
    public var durationNanos: Int64
    public var samples: [Sample]
    /// Per sample type, the sum of the samples' values.
    public var totals: [Int64]
    public var mappingCount: Int
    public var locationCount: Int
    public var functionCount: Int
    public var mappingFiles: [String]

    enum CodingKeys: String, CodingKey {
        case period, samples, totals
        case sampleTypes = "sample_types"
        case periodType = "period_type"
        case timeNanos = "time_nanos"
        case durationNanos = "duration_nanos"
        case mappingCount = "mapping_count"
        case locationCount = "location_count"
        case functionCount = "function_count"
        case mappingFiles = "mapping_files"
    }

    /// Every function name that appears in any stack.
    public var functionNames: Set<String> { Set(samples.flatMap(\.stack)) }

    /// Self value per leaf function (first sample type), highest first.
    public var topFunctions: [(name: String, value: Int64)] {
        var totals: [String: Int64] = [:]
        for sample in samples {
            if let leaf = sample.stack.last, let value = sample.values.first { totals[leaf, default: 0] += value }
        }
        return totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
