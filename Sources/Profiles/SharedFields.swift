/// A value type's fields in one shared, immutable object: the value is one reference wide, its copies share the
/// object, and changing a field gives the changed copy an object of its own, as a value would.
///
/// A profile of a run of thousands of processes holds tens of thousands of distinct stacks of dozens of frames; as
/// inline values of 56 bytes the frames were most of hybrid-run's memory (issue 10, BENCHMARKS.md "Scale"). Each
/// stack also has its span, most of them none: inline, 48 bytes of every stack and of every merge's key.
struct SharedFields<Fields: Hashable & Sendable>: Sendable, Equatable {
    private final class Storage: Sendable {
        let fields: Fields

        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage

    init(_ fields: Fields) {
        storage = Storage(fields)
    }

    var fields: Fields { storage.fields }

    /// A field; setting a different value gives this copy an object of its own.
    subscript<Value: Equatable>(field: WritableKeyPath<Fields, Value>) -> Value {
        get { storage.fields[keyPath: field] }
        set {
            guard newValue != storage.fields[keyPath: field] else { return }
            var fields = storage.fields
            fields[keyPath: field] = newValue
            storage = Storage(fields)
        }
    }

    /// Whether the two are one object, not only equal: what sharing saves is memory, not visible in values.
    func isShared(with other: Self) -> Bool { storage === other.storage }

    static func == (left: Self, right: Self) -> Bool {
        left.storage === right.storage || left.storage.fields == right.storage.fields
    }
}
