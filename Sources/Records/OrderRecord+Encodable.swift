import Foundation

/// The same JSON members as ``OrderJSONWriter`` through Foundation's `JSONEncoder`: the baseline that
/// generator-otel's `--encoder foundation` and the benchmark compare the hand-written writer against.
extension OrderRecord: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Field.self)
        try container.encode(id, forKey: .id)
        try container.encode(Timestamp.rfc3339(milliseconds: createdAtMilliseconds), forKey: .createdAt)
        try container.encode(status, forKey: .status)
        try container.encode(customerName, forKey: .customerName)
        try container.encode(customerEmail, forKey: .customerEmail)
        try container.encode(currency, forKey: .currency)
        try container.encode(Decimal(totalCents) / 100, forKey: .total)
        try container.encode(items, forKey: .items)
        try container.encode(shipping, forKey: .shipping)
        try container.encode(note, forKey: .note)
    }
}

extension OrderRecord.LineItem: Encodable {
    enum CodingKeys: String, CodingKey {
        case sku, name, quantity, unitPrice = "unit_price"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sku, forKey: .sku)
        try container.encode(name, forKey: .name)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(Decimal(unitPriceCents) / 100, forKey: .unitPrice)
    }
}

extension OrderRecord.Address: Encodable {
    enum CodingKeys: String, CodingKey {
        case street, city, postalCode = "postal_code", country
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(street, forKey: .street)
        try container.encode(city, forKey: .city)
        try container.encode(postalCode, forKey: .postalCode)
        try container.encode(country, forKey: .country)
    }
}
