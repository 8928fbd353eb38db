import Foundation

/// The configuration and examples `scripts/install` puts beside the binary, in
/// `PREFIX/share/atsgate`; what the sandbox falls back to when run outside a checkout.
enum InstalledFiles {
    /// `<folder of the executable>/../share/atsgate`, if it exists.
    static var shareDirectory: URL? {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return nil }
        let share = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/atsgate", isDirectory: true)
        return FileManager.default.fileExists(atPath: share.path) ? share : nil
    }

    /// `relativePath` under the current folder if it is there, else under the installed share folder.
    static func locate(_ relativePath: String) -> URL? {
        let local = URL(fileURLWithPath: relativePath)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        guard let installed = shareDirectory?.appendingPathComponent(relativePath),
              FileManager.default.fileExists(atPath: installed.path) else { return nil }
        return installed
    }
}
