import Profiles

/// How one function's time changed between BASE and NEW, as shares of each profile's total (pprof's
/// `-diff_base` with `-normalize`: a profile twice as long does not double every function).
public struct FunctionChange: Sendable, Equatable {
    public var name: String
    /// Samples with the function as the leaf (self) and anywhere on the stack (total), in each profile.
    public var base: Profile.FunctionTime
    public var new: Profile.FunctionTime
    /// Percent of each profile's samples.
    public var baseSelfShare: Double
    public var newSelfShare: Double
    public var baseTotalShare: Double
    public var newTotalShare: Double
    /// p-values of the self and total changes (``ShareTest``).
    public var selfPValue: Double
    public var totalPValue: Double

    /// Change of the self share, in percentage points.
    public var selfDelta: Double { newSelfShare - baseSelfShare }
    /// Change of the total share, in percentage points.
    public var totalDelta: Double { newTotalShare - baseTotalShare }

    /// The larger change in magnitude, self or total, with the p-value that goes with it.
    public var largestChange: (delta: Double, pValue: Double) {
        abs(selfDelta) >= abs(totalDelta) ? (selfDelta, selfPValue) : (totalDelta, totalPValue)
    }

    /// Whether the self or the total share grew by more than `points`, with a p-value below `level`.
    public func grew(moreThan points: Double, significanceLevel level: Double) -> Bool {
        (selfDelta > points && selfPValue < level) || (totalDelta > points && totalPValue < level)
    }
}
