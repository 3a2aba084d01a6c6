/// One synthetic e-commerce order: what generator-otel writes and loader-otel loads.
///
/// Money is kept in integer cents so amounts are exact; JSON shows them as decimal numbers with two
/// fractional digits (`12.50`). Timestamps are milliseconds since the Unix epoch, shown as RFC 3339 UTC.
public struct OrderRecord: Sendable, Equatable {
    /// Unique within one generated file; non-negative and below 2^63, so it fits PostgreSQL's `bigint`.
    public var id: Int64
    public var createdAtMilliseconds: Int64
    public var status: String
    public var customerName: String
    public var customerEmail: String
    /// ISO 4217 code, three upper-case letters.
    public var currency: String
    public var totalCents: Int64
    public var items: [LineItem]
    public var shipping: Address
    /// Free text from the customer; absent on most orders.
    public var note: String?

    public struct LineItem: Sendable, Equatable {
        public var sku: String
        public var name: String
        public var quantity: Int
        public var unitPriceCents: Int64
    }

    public struct Address: Sendable, Equatable {
        public var street: String
        public var city: String
        public var postalCode: String
        /// ISO 3166-1 alpha-2 code.
        public var country: String
    }

    /// The JSON member names, in the order the writer emits them; the reader accepts any order.
    public enum Field: String, CodingKey, CaseIterable, Sendable {
        case id, createdAt = "created_at", status, customerName = "customer_name", customerEmail = "customer_email"
        case currency, total, items, shipping, note
    }
}
