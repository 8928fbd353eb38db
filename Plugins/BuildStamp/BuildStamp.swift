import Foundation
import PackagePlugin

/// Writes `BuildStamp.swift` (the git commit the binary is built from) before the target compiles,
/// so `atsgate --version` can say which commit a deployed binary is. Runs `/bin/sh` and `git`
/// only; outside a git checkout the commit is `unknown`. The file is rewritten only when the
/// commit changes, so an unchanged tree does not recompile the target.
@main
struct BuildStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "Stamp")
        let file = output.appending(path: "BuildStamp.swift")
        let script = """
        commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
        if [ "$commit" != unknown ] && ! git -C "$1" diff --quiet HEAD -- 2>/dev/null; then commit="$commit-modified"; fi
        mkdir -p "$(dirname "$2")"
        printf '/// Written by the BuildStamp plugin.\\nenum BuildStamp {\\n    static let commit = "%s"\\n}\\n' "$commit" > "$2.new"
        if cmp -s "$2.new" "$2"; then rm "$2.new"; else mv "$2.new" "$2"; fi
        """
        return [
            .prebuildCommand(
                displayName: "Stamping the build with its git commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "stamp", context.package.directoryURL.path, file.path],
                outputFilesDirectory: output
            ),
        ]
    }
}
