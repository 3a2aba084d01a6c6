/// One `name=value` pair of a Pyroscope series, as it appears in the ingest `name` parameter (`APP{k=v}`).
public struct PyroscopeLabel: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
