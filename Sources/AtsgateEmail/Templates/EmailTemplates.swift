public import AtsgateCore
public import Foundation
import Mustache

/// The Mustache templates every email is rendered from, in `mappings/email/` (or another folder
/// under `mappings/`):
///
/// | file | renders |
/// | --- | --- |
/// | `job.subject.mustache`, `job.txt.mustache`, `job.html.mustache` | a job sent to the recruiters (create, update, close) |
/// | `notification.subject.mustache`, `notification.txt.mustache`, `notification.html.mustache` | a message to one decision maker |
///
/// HTML templates escape what they insert; text and subject templates insert text as it is (a
/// subject is then made one line). Templates are checked when they load: every key they name
/// must exist (a misspelled key would render as nothing), and HTML templates may not use
/// unescaped output. A missing, unreadable or broken file is a `config` error naming it.
public struct EmailTemplates: Sendable {
    /// The template files, without the folder.
    public static let fileNames = ["job", "notification"].flatMap { kind in
        ["subject", "txt", "html"].map { "\(kind).\($0).mustache" }
    }

    /// The folder a target's `mapping` setting names: `email.yaml` (the default for a target
    /// called `email`) and `email` both mean `mappings/email/`.
    public static func folder(forMapping mapping: String) -> String {
        for suffix in [".yaml", ".yml"] where mapping.hasSuffix(suffix) {
            return String(mapping.dropLast(suffix.count))
        }
        return mapping
    }

    let job: TemplateSet
    let notification: TemplateSet

    /// Loads and checks `mappings/FOLDER/*.mustache` below the configuration folder.
    public init(configurationDirectory: URL, folder: String = "email") throws(ConnectorError) {
        let directory = configurationDirectory.appendingPathComponent("mappings", isDirectory: true)
            .appendingPathComponent(folder, isDirectory: true)
        let loader = TemplateLoader(directory: directory, displayFolder: "mappings/\(folder)")
        job = try loader.set("job", allowedKeys: TemplateSample.jobKeys)
        notification = try loader.set("notification", allowedKeys: TemplateSample.notificationKeys)
    }
}

/// What one kind of message is made of.
struct RenderedContent: Sendable {
    var subject: String
    var text: String
    var html: String
}

/// The three templates of one kind of message.
struct TemplateSet: Sendable {
    let subject: CheckedTemplate
    let text: CheckedTemplate
    let html: CheckedTemplate

    func render(_ context: [String: Any]) throws(ConnectorError) -> RenderedContent {
        let subject = HeaderText.singleLine(self.subject.template.render(context))
        guard !subject.isEmpty else {
            throw ConnectorError(kind: .config, message: "\(self.subject.file): renders an empty subject for this job")
        }
        return RenderedContent(subject: subject, text: text.template.render(context), html: html.template.render(context))
    }
}

struct CheckedTemplate: Sendable {
    /// The path people know it by, `mappings/email/job.txt.mustache`.
    let file: String
    let template: MustacheTemplate
}

private struct TemplateLoader {
    let directory: URL
    let displayFolder: String

    func set(_ kind: String, allowedKeys: Set<String>) throws(ConnectorError) -> TemplateSet {
        TemplateSet(
            subject: try load("\(kind).subject.mustache", html: false, allowedKeys: allowedKeys),
            text: try load("\(kind).txt.mustache", html: false, allowedKeys: allowedKeys),
            html: try load("\(kind).html.mustache", html: true, allowedKeys: allowedKeys)
        )
    }

    private func load(_ name: String, html: Bool, allowedKeys: Set<String>) throws(ConnectorError) -> CheckedTemplate {
        let file = "\(displayFolder)/\(name)"
        func problem(_ reason: String) -> ConnectorError {
            ConnectorError(kind: .config, message: "\(file): \(reason)")
        }
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw problem("is missing; the email target renders its messages from it")
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw problem("cannot be read as UTF-8 text")
        }
        do throws(TemplateTags.Problem) {
            let tags = try TemplateTags(scanning: text, html: html)
            if let unknown = tags.unknownName(allowed: allowedKeys) {
                throw TemplateTags.Problem(line: unknown.line, reason: "'\(unknown.name)' is not a key email templates know (see the README)")
            }
        } catch {
            throw problem("line \(error.line): \(error.reason)")
        }
        // The escaping follows the file's role, not a pragma its author may forget. On a line of
        // its own the pragma renders nothing and leaves the template's first line standalone.
        let pragma = html ? "{{% CONTENT_TYPE: HTML}}\n" : "{{% CONTENT_TYPE: TEXT}}\n"
        do {
            return CheckedTemplate(file: file, template: try MustacheTemplate(string: pragma + text))
        } catch {
            guard let error = error as? MustacheTemplate.ParserError else { throw problem("cannot be parsed: \(error)") }
            throw problem("line \(max(error.context.lineNumber - 1, 1)), column \(error.context.columnNumber): \(error.error)")
        }
    }
}
