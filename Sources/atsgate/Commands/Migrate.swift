import ArgumentParser
import AtsgateSQLite

extension Atsgate {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Create or upgrade the database schema (every command also does this on start)."
        )

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let store = try global.openStore()
            let applied = try await store.appliedMigrations()
            let durability = try await store.durability()
            print("database: \(global.databaseURL)")
            print("journal_mode: \(durability.journalMode), synchronous: \(durability.synchronous == 2 ? "FULL" : String(durability.synchronous))")
            print("migrations applied (\(applied.count) of \(SQLiteStore.knownMigrations.count)):")
            for migration in applied {
                print("  \(migration)")
            }
        }
    }
}
