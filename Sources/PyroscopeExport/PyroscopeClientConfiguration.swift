import CurlHTTP

/// Where and how profiles are shipped. hybrid-run fills it from the `PYROSCOPE_*` environment variables.
public struct PyroscopeClientConfiguration: Sendable {
    /// `PYROSCOPE_SERVER_ADDRESS`, default `http://localhost:4040`; `http://` is assumed without a scheme. A path
    /// (a proxy's prefix) is kept; `user:password@` in it is used as basic auth when ``basicAuthUser`` is not
    /// set, and never shown.
    public var serverAddress: String
    /// `PYROSCOPE_APPLICATION_NAME`: the series' `service_name`. Characters Pyroscope refuses are replaced by `_`.
    public var applicationName: String
    /// `PYROSCOPE_TAGS`: labels of every upload. Invalid ones are dropped with a warning naming them.
    public var labels: [PyroscopeLabel]
    /// `PYROSCOPE_TENANT_ID`, sent as `X-Scope-OrgID`; none by default.
    public var tenantID: String?
    /// `PYROSCOPE_BASIC_AUTH_USER` / `PYROSCOPE_BASIC_AUTH_PASSWORD`; basic auth wins over ``bearerToken``.
    public var basicAuthUser: String?
    public var basicAuthPassword: String?
    /// `PYROSCOPE_AUTH_TOKEN` (older clients' bearer token). Credentials with a control character are refused
    /// (``PyroscopeSettingProblem``): they cannot be sent in a header.
    public var bearerToken: String?
    /// Stored by the server as the label `pyroscope_spy`.
    public var spyName: String
    /// How long one request may take, connecting included. pyroscope-rs uses 10 s, pyroscope-go 30 s.
    public var requestTimeout: Duration
    /// Profiles waiting to be sent; when full, the oldest is dropped, as pyroscope-go does.
    public var queueCapacity: Int
    public var retry: PyroscopeRetryPolicy
    /// Proxy and TLS trust: hybrid-run fills them from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, `PYROSCOPE_PROXY`,
    /// `PYROSCOPE_CA_FILE` (else `CURL_CA_BUNDLE`/`SSL_CERT_FILE`) and `PYROSCOPE_INSECURE_SKIP_VERIFY`.
    /// Default: direct, the system's CA store.
    public var connection: ConnectionSettings

    public init(
        serverAddress: String = "http://localhost:4040",
        applicationName: String,
        labels: [PyroscopeLabel] = [],
        tenantID: String? = nil,
        basicAuthUser: String? = nil,
        basicAuthPassword: String? = nil,
        bearerToken: String? = nil,
        spyName: String = "hybrid-run",
        requestTimeout: Duration = .seconds(10),
        queueCapacity: Int = 16,
        retry: PyroscopeRetryPolicy = .default,
        connection: ConnectionSettings = .direct
    ) {
        self.serverAddress = serverAddress
        self.applicationName = applicationName
        self.labels = labels
        self.tenantID = tenantID
        self.basicAuthUser = basicAuthUser
        self.basicAuthPassword = basicAuthPassword
        self.bearerToken = bearerToken
        self.spyName = spyName
        self.requestTimeout = requestTimeout
        self.queueCapacity = queueCapacity
        self.retry = retry
        self.connection = connection
    }
}
