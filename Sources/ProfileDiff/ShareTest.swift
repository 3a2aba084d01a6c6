import Foundation

/// Whether a function's share of the samples differs between two profiles by more than chance would make
/// it: the two-proportion z-test (pooled), two-sided.
///
/// Sampling draws a CPU profile's samples at random instants, so a function's sample count is close to a
/// binomial draw with its true share. The test is optimistic for code that runs in bursts longer than the
/// period (neighbouring samples are then not independent), which is why the regression gate also asks for
/// a change larger than a threshold in points: a small but "significant" change never fails it, and a large
/// change seen in a handful of samples is not significant.
enum ShareTest {
    /// The p-value of seeing shares `x1/n1` and `x2/n2` if both profiles had the same true share.
    static func pValue(_ x1: Int, of n1: Int, _ x2: Int, of n2: Int) -> Double {
        guard n1 > 0, n2 > 0 else { return 1 }
        let pooled = Double(x1 + x2) / Double(n1 + n2)
        let variance = pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))
        guard variance > 0 else { return 1 }
        let z = (Double(x2) / Double(n2) - Double(x1) / Double(n1)) / variance.squareRoot()
        return erfc(abs(z) / 2.0.squareRoot())
    }
}
