import Testing

@testable import Sandbox

@Suite("The sandbox's own wire parts: JSON, amounts, dates, forms and multipart")
struct WireTests {
    @Test("JSON keeps number text exactly, decodes escapes and surrogate pairs, and writes back what it read")
    func jsonRoundTrip() throws {
        let text = #"{"Amount":1234.56,"Name":"Kasse \"A\"\n\u00e6\ud83d\ude00","List":[true,false,null,-0.5]}"#
        let value = try JSON.parse(Array(text.utf8))
        #expect(value["amount"] == .number("1234.56"))
        #expect(value["NAME"]?.stringValue == "Kasse \"A\"\næ😀")
        #expect(try JSON.parse(Array(value.serialized.utf8)) == value)
    }

    /// (body, what must be wrong)
    static let badJSON: [(String, String)] = [
        ("{", "key"), ("[1", "end"), (#"{"a" 1}"#, "':'"), ("[1,]", "unexpected"), (#"{"a":1} x"#, "after the value"),
        ("\"\u{01}\"", "control"), (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "64"),
    ]

    @Test("broken JSON is refused with the offset and the reason", arguments: badJSON)
    func badJSONRefused(_ body: String, _ reason: String) {
        #expect {
            _ = try JSON.parse(Array(body.utf8))
        } throws: { error in
            (error as? JSONParseError)?.reason.contains(reason) == true
        }
    }

    /// (text, øre or nil when refused)
    static let amounts: [(String, Int64?)] = [
        ("125", 12_500), ("1.5", 150), ("-0.05", -5), ("1234.560", 123_456), ("+7.00", 700),
        ("1.005", nil), ("1e3", nil), ("", nil), ("1.", nil), (".5", nil), ("12345678901", nil),
        ("9999999999.99", 999_999_999_999),
    ]

    @Test(
        "amounts become øre exactly; more than two decimals, exponents and huge values are refused", arguments: amounts)
    func amountParsing(_ text: String, _ expected: Int64?) {
        #expect(Binder.minorUnits(text) == expected)
    }

    @Test("amounts are written as exact kroner")
    func amountWriting() {
        #expect(JSON.amount(12_345).serialized == "123.45")
        #expect(JSON.amount(-5).serialized == "-0.05")
        #expect(JSON.amount(150).serialized == "1.5")
        #expect(JSON.amount(100).serialized == "1")
    }

    @Test("dates are calendar dates; a datetime is read by its date")
    func days() {
        #expect(Day("2024-02-29")?.description == "2024-02-29")
        #expect(Day("2025-02-29") == nil)
        #expect(Day("2026-01-31T00:00:00")?.day == 31)
        #expect(Day("2026-01-31X") == nil)
        #expect(Day("26-01-31") == nil)
    }

    @Test("forms decode + and percent escapes")
    func forms() {
        let form = FormEncoding.parse("grant_type=password&scope=read+write&username=a%2Bb%3D&empty=")
        #expect(form == ["grant_type": "password", "scope": "read write", "username": "a+b=", "empty": ""])
        #expect(FormEncoding.decode(Substring(FormEncoding.encode("æ ø/å?&="))) == "æ ø/å?&=")
    }

    @Test("multipart: parts with and without names, quoted boundary, binary content")
    func multipart() throws {
        let boundary = "XyZ"
        let content: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x2D, 0x2D]
        let body =
            Array("--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
            + Array(
                "--XyZ\r\nContent-Disposition: form-data; filename=\"r.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
                    .utf8)
            + content + Array("\r\n--XyZ--\r\n".utf8)
        #expect(Multipart.boundary(fromContentType: "multipart/form-data; boundary=\"XyZ\"") == boundary)
        #expect(Multipart.boundary(fromContentType: "application/json") == nil)
        let parts = try #require(Multipart.parts(of: body, boundary: boundary))
        #expect(parts.count == 2)
        #expect(parts[0].name == "note")
        #expect(Array(parts[0].body) == Array("hello".utf8))
        #expect(parts[1].name == nil)
        #expect(parts[1].filename == "r.pdf")
        #expect(parts[1].contentType == "application/pdf")
        #expect(Array(parts[1].body) == content)
        #expect(Multipart.parts(of: Array("--XyZ\r\nno end".utf8), boundary: boundary) == nil)
    }

    @Test("VAT splits round half away from zero to the øre; reverse charge and REP as documented")
    func vatSplits() async throws {
        let store = try await DineroStore(options: SandboxOptions(), clock: ManualClock())
        let organization = try #require(Seed.organizations.first)
        let i25 = organization.vatTypes.first { $0.code == "I25" }
        let rep = organization.vatTypes.first { $0.code == "REP" }
        #expect(await store.split(12_500, vat: i25).vat == 2_500)
        #expect(await store.split(-12_500, vat: i25).vat == -2_500)
        #expect(await store.split(1, vat: i25).vat == 0)
        #expect(await store.split(3, vat: i25).vat == 1)  // 0.6 øre rounds up
        #expect(await store.split(12_500, vat: rep).vat == 625)
        let postings = await store.postings(
            account: 2000, amount: 10_000, vatCode: "IEUV", description: nil, in: organization)
        #expect(postings.map(\.account) == [2000, 7310, 7330])
        #expect(postings.map(\.amount) == [10_000, 2_500, -2_500])
    }
}
