import Testing
@testable import Telemetry

@Suite struct OTelKeyValueListTests {
    @Test func parsesBaggageStyleListsWithPercentDecodedValues() {
        let (pairs, problems) = OTelKeyValueList.parse(" a = 1 ,, b=x%3Dy%2C%20z%25 , c=, Authorization=Basic dXNlcg==,d=%E2%9C%93")
        #expect(problems.isEmpty)
        #expect(pairs == [
            .init(key: "a", value: "1"), .init(key: "b", value: "x=y, z%"), .init(key: "c", value: ""),
            .init(key: "Authorization", value: "Basic dXNlcg=="), .init(key: "d", value: "✓"),
        ])
    }

    @Test func reportsBadEntriesByPositionAndValidKeyOnly() {
        let (pairs, problems) = OTelKeyValueList.parse("ok=1,secret-without-key,=v,bad key=v,k=%4,k2=%FF,k3=a%09b")
        #expect(pairs == [.init(key: "ok", value: "1")])
        #expect(problems.map(\.position) == [2, 3, 4, 5, 6, 7])
        #expect(problems.map(\.key) == [nil, nil, nil, "k", "k2", "k3"])
    }

    @Test func formatsWhatItParses() {
        let pairs: [KeyValue] = [.init(key: "cicd.pipeline.name", value: "Build, test = 100% ✓"), .init(key: "e", value: "")]
        let text = OTelKeyValueList.format(pairs)
        #expect(text.split(separator: ",").count == 2)
        #expect(OTelKeyValueList.parse(text).pairs == pairs)
    }
}
