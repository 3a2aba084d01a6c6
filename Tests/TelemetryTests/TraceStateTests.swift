import Testing
@testable import Telemetry

@Suite struct TraceStateTests {
    @Test(arguments: [
        ("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
        (" rojo=1 ,\t,, congo=2\t", "rojo=1,congo=2"),
        ("tenant1@vendor=v", "tenant1@vendor=v"),
        ("1tenant@vendor=v", "1tenant@vendor=v"),
        ("a_b-c*d/e=x", "a_b-c*d/e=x"),
        ("k= leading spaces kept", "k= leading spaces kept"),
        ("k=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~", "k=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~"),
        ("", ""),
        (" , ", ""),
    ])
    func acceptsTheW3CGrammar(text: String, normalized: String) throws {
        #expect(try TraceState.parse(text).get().description == normalized)
    }

    @Test func acceptsThirtyTwoMembersAndLongValues() throws {
        let members = (0..<32).map { "k\($0)=" + String(repeating: "v", count: 256) }
        #expect(try TraceState.parse(members.joined(separator: ",")).get().members.count == 32)
    }

    @Test(arguments: [
        ("!!!", "list-member 1 (!!!) is not key=value"),
        ("a=1,b", "list-member 2 (b) is not key=value"),
        ("a=1\nb=2", "list-member 1 (a=1\\nb=2) has an invalid value"),
        ("Upper=1", "list-member 1 (Upper=1) has an invalid key"),
        ("1simple=1", "list-member 1 (1simple=1) has an invalid key"),
        ("t@1system=1", "list-member 1 (t@1system=1) has an invalid key"),
        ("t@system-too-long=1", "list-member 1 (t@system-too-long=1) has an invalid key"),
        ("a@b@c=1", "list-member 1 (a@b@c=1) has an invalid key"),
        ("k=", "list-member 1 (k=) has an invalid value"),
        ("k=a=b", "list-member 1 (k=a=b) has an invalid value"),
        ("k=é", "list-member 1 (k=é) has an invalid value"),
        ("a=1,a=2", "the key a appears more than once"),
    ])
    func refusesWhatTheGrammarDoesNot(text: String, reason: String) {
        #expect(throws: TraceState.Invalid(description: reason)) { try TraceState.parse(text).get() }
    }

    @Test func refusesMoreThanThirtyTwoMembersAndOverlongParts() {
        let members = (0..<33).map { "k\($0)=v" }.joined(separator: ",")
        #expect(throws: TraceState.Invalid(description: "33 list-members, more than the 32 allowed")) { try TraceState.parse(members).get() }
        #expect(throws: (any Error).self) { try TraceState.parse("k=" + String(repeating: "v", count: 257)).get() }
        #expect(throws: (any Error).self) { try TraceState.parse(String(repeating: "k", count: 257) + "=v").get() }
        #expect(throws: (any Error).self) { try TraceState.parse("k=" + String(repeating: "x", count: 10_000)).get() }
    }
}
