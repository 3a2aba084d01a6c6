import SafeText

/// The one line generator-otel prints at the end: `wrote 1000 records (412.3 kB) to out.json in 0.01 s: …`.
struct Summary: CustomStringConvertible {
    let records: Int
    let bytes: Int
    let elapsed: Duration
    let destination: String

    var description: String {
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-9)
        let megabytes = Double(bytes) / 1e6
        return "wrote \(records) records (\(bytes) bytes) to \(destination == "-" ? "standard output" : ShownText.path(destination)) "
            + "in \(Self.fixed(seconds, 3)) s: \(Int((Double(records) / seconds).rounded())) records/s, \(Self.fixed(megabytes / seconds, 1)) MB/s"
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let fraction = String(scaled % Int(scale))
        return "\(scaled / Int(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }
}
