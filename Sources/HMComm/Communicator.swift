import Foundation

/// The collective operations data-parallel training needs (DESIGN §3). Implementations: a
/// world of one (plain `hm-dist train`); MPI and in-process threads come with the
/// data-parallel issue. Knows nothing of Helmholtz machines: it moves numbers.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// In-place sum across ranks; every rank ends with the same values.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws
    /// Copies `root`'s bytes to every rank.
    func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws
    func barrier() throws
    /// Ends the whole job with `message` (MPI_Abort under MPI); never returns.
    func abort(_ message: String, code: Int32) -> Never
}

/// A world of one: every collective is the identity.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {}
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {}
    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {}
    public func barrier() throws {}
    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}
