extension RandomAccessCollection {
    /// The first index whose element satisfies `isAtOrAbove`, by binary search, in a collection sorted so that
    /// every element that satisfies it comes after every element that does not; `endIndex` when none does.
    /// (Address tables: mappings, modules and perf-map entries are kept sorted by address.)
    package func partitioningIndex(where isAtOrAbove: (Element) -> Bool) -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if isAtOrAbove(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
