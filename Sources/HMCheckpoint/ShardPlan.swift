/// How tensors are split across ranks, balanced by bytes so that parallel shard writes take
/// about equally long. Deterministic: every rank computes the same plan from the same list
/// without talking to the others.
public enum ShardPlan {
    /// Indices into `byteCounts` for each of `shards` shards: largest first into the
    /// currently lightest shard (ties: the earlier item, the lower shard), then each shard's
    /// indices in ascending order so that the caller's order survives inside a shard.
    public static func balance(byteCounts: [Int], shards: Int) -> [[Int]] {
        precondition(shards > 0, "at least one shard")
        var loads = [Int](repeating: 0, count: shards)
        var members = [[Int]](repeating: [], count: shards)
        let largestFirst = byteCounts.indices.sorted { (byteCounts[$0], $1) > (byteCounts[$1], $0) }
        for index in largestFirst {
            let lightest = loads.indices.min { (loads[$0], $0) < (loads[$1], $1) }!
            loads[lightest] += byteCounts[index]
            members[lightest].append(index)
        }
        return members.map { $0.sorted() }
    }

    /// `tensors` split into `shards` parts by `balance`; a part may be empty.
    public static func split<T: TensorSource>(_ tensors: [T], into shards: Int) -> [[T]] {
        balance(byteCounts: tensors.map(\.byteCount), shards: shards).map { $0.map { tensors[$0] } }
    }
}
