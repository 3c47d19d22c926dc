import Testing
import CKernels

@Suite struct PhiloxTests {
    /// Known-answer vectors of Random123's kat_vectors for philox4x32-10.
    @Test func knownAnswers() {
        func run(_ ctr: [UInt32], _ key: (UInt32, UInt32)) -> [UInt32] {
            var out = [UInt32](repeating: 0, count: 4)
            hm_philox4x32(UInt64(key.0) | UInt64(key.1) << 32, ctr, &out)
            return out
        }
        #expect(run([0, 0, 0, 0], (0, 0)) == [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8])
        #expect(run([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], (0xffffffff, 0xffffffff))
                == [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd])
        #expect(run([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], (0xa4093822, 0x299f31d0))
                == [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1])
    }
}
