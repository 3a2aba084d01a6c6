/// Every sample of a profile with when it was taken and on which thread, in the order stored: what lets a
/// report show the samples taken inside one span (its time range, its process and thread).
///
/// Samples name their stack by its addresses (leaf first, as ``StackCount/frames`` hold them), not by a
/// position, so timelines of successive windows simply append, whatever merging does to positions.
/// Bounded: past ``capacity`` samples a run's timeline counts what it drops instead of growing.
public struct SampleTimeline: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        /// Wall-clock time, nanoseconds since the Unix epoch.
        public var time: Int64
        public var pid: Int32
        public var tid: Int32
        /// The stack's instruction addresses, leaf first.
        public var addresses: [UInt64]

        public init(time: Int64, pid: Int32, tid: Int32, addresses: [UInt64]) {
            self.time = time
            self.pid = pid
            self.tid = tid
            self.addresses = addresses
        }
    }

    /// The most samples kept: a minute at 1000 Hz on eight busy threads, about 12 MB.
    public static let capacity = 500_000

    public private(set) var samples: [Sample] = []
    /// Samples not kept because the timeline was full.
    public private(set) var dropped = 0

    public init() {}

    public mutating func append(_ sample: Sample) {
        if samples.count < Self.capacity {
            samples.append(sample)
        } else {
            dropped += 1
        }
    }

    /// A later window's timeline added after this one, within the capacity; in place, as a run's profile is merged.
    public mutating func append(contentsOf later: SampleTimeline) {
        for sample in later.samples { append(sample) }
        dropped += later.dropped
    }
}
