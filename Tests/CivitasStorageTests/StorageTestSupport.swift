import CivitasStorage
import CivitasTestSupport
import Foundation
import Testing

/// A scratch directory on the real disk (under the system temporary
/// directory), removed when the value goes away.
final class ScratchDirectory {
    let url: URL
    var path: String { url.path }

    init(_ name: String) throws {
        url = try scratchDirectory("\(name)-\(UInt64.random(in: 0...UInt64.max))")
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func sub(_ name: String) -> String { joinPath(path, name) }
}

/// The `StorageError` `body` throws, or nil (any other error is a test failure).
func storageFailure(_ body: () throws -> Void) -> StorageError? {
    do {
        try body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(error)")
        return nil
    }
}
