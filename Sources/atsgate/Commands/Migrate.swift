import ArgumentParser

extension Atsgate {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Create or upgrade the database schema (every command also does this on start)."
        )

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withStore { store in
                let description = try await store.describe()
                print("database: \(description.location) (\(description.engine))")
                print(description.settings.map { "\($0.name): \($0.value)" }.joined(separator: ", "))
                print("migrations applied (\(description.appliedMigrations.count) of \(description.knownMigrations.count)):")
                for migration in description.appliedMigrations {
                    print("  \(migration)")
                }
            }
        }
    }
}
