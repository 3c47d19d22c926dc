/// The contiguous part that `rank` of `size` takes of `total` items: the parts differ by at
/// most one item and, in rank order, make up 0..<total. Ranks split the global batch, the
/// dreams and `--reproducible`'s micro-blocks with it, and the natural gradient's units.
public func evenShare(of total: Int, rank: Int, size: Int) -> Range<Int> {
    precondition(size > 0 && rank >= 0 && rank < size && total >= 0, "share \(rank) of \(size) of \(total)")
    return (total * rank / size)..<(total * (rank + 1) / size)
}
