/// The version `hybrid-run --version` prints and resources carry.
public enum HybridRunVersion {
    public static let current = "0.1.0"
}
