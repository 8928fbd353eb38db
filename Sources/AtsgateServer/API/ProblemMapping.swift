import AtsgateCore
import Foundation
import Hummingbird
import Logging

/// Turns what a route throws into the problem the client sees. Domain errors keep their
/// messages (the CLI's); database failures are a 503 whose detail names no internals.
enum ProblemMapping {
    static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as ImportError:
            return importProblem(error) { issue in
                guard let location = issue.location else { return "" }
                return "/\(location.entity.rawValue)/\(location.row)" + (issue.field.map { "/\($0)" } ?? "")
            }
        case let error as WorkflowError:
            switch error.code {
            case .jobNotFound: return Problem(.notFound, error.message, code: "not-found")
            case .jobNotOpen: return Problem(.conflict, error.message, code: "job-not-open")
            case .unknownTarget, .targetDisabled, .noEnabledTargets, .noConnection:
                return Problem.invalid(error.message, errors: [.init(pointer: "/targets", detail: error.message)])
            }
        case let error as OperatorActionError:
            switch error.code {
            case .notFound: return Problem(.notFound, error.message, code: "not-found")
            case .wrongState: return Problem(.conflict, error.message, code: "wrong-state")
            }
        case let error as ReconcileRunConflict:
            return Problem(.conflict, error.description, code: "reconcile-running")
        case let error as StoreError:
            logger.error("store failed", metadata: ["error": "\(error.message)"])
            return error.code == .unavailable
                ? Problem(.serviceUnavailable, "the database is unavailable; retry later", code: "store-unavailable")
                : Problem(.internalServerError, "the database holds something this build cannot read", code: "store-corrupt")
        case let error as DecodingError:
            return decodingProblem(error)
        case let error as HTTPError:
            return Problem(error.status, error.body ?? error.status.reasonPhrase, code: error.status == .contentTooLarge ? "body-too-large" : nil)
        case let error as any HTTPResponseError:
            return Problem(error.status, error.status.reasonPhrase)
        case is CancellationError:
            return Problem(.serviceUnavailable, "the server is shutting down; retry", code: "shutting-down")
        default:
            logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return Problem(.internalServerError, "the request failed unexpectedly", code: "internal")
        }
    }

    /// An import refused: 422, every issue with a pointer into the request body.
    static func importProblem(_ error: ImportError, pointer: (ImportIssue) -> String) -> Problem {
        let count = error.issues.count
        return Problem.invalid(
            "nothing was stored: \(count) problem\(count == 1 ? "" : "s") in the request",
            errors: error.issues.map { issue in
                .init(pointer: pointer(issue), detail: issue.field.map { "field '\($0)': \(issue.reason)" } ?? issue.reason)
            }
        )
    }

    static func decodingProblem(_ error: DecodingError) -> Problem {
        let (path, detail): ([any CodingKey], String) = switch error {
        case .typeMismatch(let type, let context): (context.codingPath, "expected \(JSONType.name(of: type))")
        case .valueNotFound(let type, let context): (context.codingPath, "expected \(JSONType.name(of: type)), found null")
        case .keyNotFound(let key, let context): (context.codingPath + [key], "is required")
        case .dataCorrupted(let context): (context.codingPath, context.codingPath.isEmpty ? "the body is not valid JSON" : "is invalid")
        @unknown default: ([], "the body could not be read")
        }
        let pointer = "/" + path.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }.joined(separator: "/")
        return Problem.badRequest("the request body is not what this route takes: \(pointer == "/" ? "" : pointer + " ")\(detail)", errors: [
            .init(pointer: pointer == "/" ? "" : pointer, detail: detail),
        ])
    }

    private static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }
}

private enum JSONType {
    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        default: "a value of another type"
        }
    }
}

/// Every error a route or middleware throws leaves as `application/problem+json`.
/// A known path asked with a method it does not take is a 405 naming the ones it takes.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // Only the router throws this one: routes answer their 404s as problems.
            guard let allowed = routes.methods(for: request.uri.path), !allowed.contains(request.method) else {
                return Problem(.notFound, "there is no \(request.uri.path)", code: "not-found").response()
            }
            let names = allowed.map(\.rawValue).sorted()
            var problem = Problem(.methodNotAllowed, "\(request.uri.path) takes \(names.joined(separator: ", "))", code: "method-not-allowed")
            problem.headers[.allow] = names.joined(separator: ", ")
            return problem.response()
        } catch {
            return ProblemMapping.problem(for: error, logger: context.logger).response()
        }
    }
}
