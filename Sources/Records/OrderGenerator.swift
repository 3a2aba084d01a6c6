/// Makes the synthetic orders: record `i` of seed `s` is always the same record.
///
/// Each record draws from its own ``SplitMix64`` seeded from (seed, index), so a record does not depend on
/// how many came before it or on how output is buffered. Text comes from small pools chosen to exercise
/// what breaks loaders: non-ASCII letters, emoji, quotes, backslashes, tabs and newlines.
public struct OrderGenerator: Sendable {
    public let seed: UInt64

    public static let defaultSeed: UInt64 = 42

    public init(seed: UInt64 = OrderGenerator.defaultSeed) {
        self.seed = seed
    }

    public func record(at index: Int) -> OrderRecord {
        var random = SplitMix64(seed: SplitMix64.mix(seed ^ UInt64(truncatingIfNeeded: index) &* 0xD6E8_FEB8_6659_FD93))
        let person = random.next(below: Pools.firstNames.count)
        let family = random.next(below: Pools.lastNames.count)
        let place = Pools.places[random.next(below: Pools.places.count)]
        var items: [OrderRecord.LineItem] = []
        let itemCount = 1 + random.next(below: 4)
        items.reserveCapacity(itemCount)
        var total: Int64 = 0
        for _ in 0..<itemCount {
            let productIndex = random.next(below: Pools.products.count)
            let product = Pools.products[productIndex]
            let quantity = 1 + random.next(below: 5)
            total += product.priceCents * Int64(quantity)
            items.append(OrderRecord.LineItem(
                sku: "SKU-\(10_000 + productIndex * 97 + random.next(below: 97))",
                name: product.name, quantity: quantity, unitPriceCents: product.priceCents
            ))
        }
        let noteRoll = random.next(below: 10)
        return OrderRecord(
            id: Self.id(seed: seed, index: index),
            createdAtMilliseconds: Self.epochStart + Int64(index) * 30_000 + Int64(random.next(below: 30_000)),
            status: Pools.statuses[random.next(below: Pools.statuses.count)],
            customerName: Pools.firstNames[person] + " " + Pools.lastNames[family],
            customerEmail: "\(Pools.firstSlugs[person]).\(Pools.lastSlugs[family])\(random.next(below: 1000))@example.com",
            currency: place.currency,
            totalCents: total,
            items: items,
            shipping: OrderRecord.Address(
                street: "\(place.street) \(1 + random.next(below: 200))", city: place.city,
                postalCode: place.postalCode, country: place.country
            ),
            note: noteRoll < 3 ? Pools.notes[random.next(below: Pools.notes.count)] : nil
        )
    }

    /// 2024-01-01T00:00:00Z; records follow every 30 s on average, so timestamps rise with the index.
    static let epochStart: Int64 = 1_704_067_200_000

    /// A bijection of the index onto 63-bit values for a given seed: ids look random, fit a signed
    /// `bigint`, and are unique within a file by construction (every step below is invertible modulo 2^63).
    static func id(seed: UInt64, index: Int) -> Int64 {
        let mask: UInt64 = (1 << 63) - 1
        var x = (UInt64(truncatingIfNeeded: index) &+ SplitMix64.mix(seed)) & mask
        x ^= x >> 31
        x = (x &* 0x7FB5_D329_728E_A185) & mask
        x ^= x >> 27
        x = (x &* 0x81DA_DEF4_BC2D_D44D) & mask
        x ^= x >> 33
        return Int64(x)
    }
}

enum Pools {
    static let firstNames = ["Zoë", "José", "Ana", "Li", "Søren", "Amélie", "Ngozi", "Hiroshi", "Olga", "Mateo", "Aisha", "Björn", "Chloé", "Dmitri", "Fatma", "Giulia"]
    static let firstSlugs = ["zoe", "jose", "ana", "li", "soren", "amelie", "ngozi", "hiroshi", "olga", "mateo", "aisha", "bjorn", "chloe", "dmitri", "fatma", "giulia"]
    static let lastNames = ["O'Brien", "Müller", "García", "Nakamura", "Nowak", "Dubois", "Okafor", "Silva", "Kowalski", "Andersson", "Rossi", "Ivanova", "Yılmaz", "Smith", "Đorđević", "Chen"]
    static let lastSlugs = ["obrien", "muller", "garcia", "nakamura", "nowak", "dubois", "okafor", "silva", "kowalski", "andersson", "rossi", "ivanova", "yilmaz", "smith", "dordevic", "chen"]
    static let statuses = ["pending", "paid", "paid", "shipped", "shipped", "shipped", "delivered", "delivered", "cancelled", "refunded"]

    struct Product: Sendable {
        let name: String
        let priceCents: Int64
    }

    static let products = [
        Product(name: "Café \"Crème\" mug", priceCents: 1250),
        Product(name: "12\" vinyl: Back\\Slash Remixes", priceCents: 2499),
        Product(name: "日本茶 gift set", priceCents: 3400),
        Product(name: "Noise-cancelling headphones 🎧", priceCents: 19900),
        Product(name: "Socks (3-pack) — merino wool", priceCents: 1599),
        Product(name: "Notebook\tdotted, A5", priceCents: 499),
        Product(name: "Ελληνικό μέλι 500 g", priceCents: 1450),
        Product(name: "Smørrebrød cookbook", priceCents: 2900),
        Product(name: "USB-C cable ½ m", priceCents: 899),
        Product(name: "Backslash \\ keychain", priceCents: 350),
        Product(name: "Crème brûlée torch", priceCents: 3999),
        Product(name: "Pão de queijo mix", priceCents: 650),
    ]

    struct Place: Sendable {
        let street: String
        let city: String
        let postalCode: String
        let country: String
        let currency: String
    }

    static let places = [
        Place(street: "Hauptstraße", city: "Berlin", postalCode: "10115", country: "DE", currency: "EUR"),
        Place(street: "Rue de la Paix", city: "Paris", postalCode: "75002", country: "FR", currency: "EUR"),
        Place(street: "Calle Mayor", city: "Madrid", postalCode: "28013", country: "ES", currency: "EUR"),
        Place(street: "Main Street", city: "Springfield", postalCode: "62701", country: "US", currency: "USD"),
        Place(street: "Nørregade", city: "København", postalCode: "1165", country: "DK", currency: "DKK"),
        Place(street: "Ulica Długa", city: "Gdańsk", postalCode: "80-831", country: "PL", currency: "PLN"),
        Place(street: "丸の内", city: "東京", postalCode: "100-0005", country: "JP", currency: "JPY"),
        Place(street: "Avenida Paulista", city: "São Paulo", postalCode: "01310-100", country: "BR", currency: "BRL"),
    ]

    static let notes = [
        "Please leave the parcel at the back door.\nRing twice.",
        "Gift — please don't include the invoice 🎁",
        "Deliver to \"Reception\", Building C\\2",
        "Invoice path: C:\\Users\\zoë\\orders\\2024",
        "Ich bin nicht zu Hause,\nbitte beim Nachbarn abgeben.",
        "請於下午送達。",
        "Call before delivery:\t+49 30 1234567",
        "Fragile!!! \"Handle with care\"\r\nThanks",
        "Thumbs up 👍🏽 and quotes ' \" `",
        "Line one\nLine two\n\nLine four",
    ]
}
