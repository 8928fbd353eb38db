/// What `atsgate --version` prints: which code a deployed binary is, and what it runs on.
enum BuildInfo {
    static let version = "0.2.0"

    static var configuration: String {
        #if DEBUG
        "debug"
        #else
        "release"
        #endif
    }

    static var text: String {
        """
        atsgate \(version)
        commit: \(BuildStamp.commit)
        \(StoreLocation.engineVersions.map { "\($0.name): \($0.version)" }.joined(separator: "\n"))
        build: \(configuration)
        """
    }
}
