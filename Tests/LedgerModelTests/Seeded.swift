/// A seeded sequence of numbers for randomized tests: the same cases on every run.
struct Seeded {
    private var state: UInt64

    init(_ seed: UInt64) { state = seed }

    /// The next number, from 0 to 2³¹ − 1 (a 64-bit linear congruential step, its high bits).
    mutating func next() -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(truncatingIfNeeded: state >> 33)
    }
}
