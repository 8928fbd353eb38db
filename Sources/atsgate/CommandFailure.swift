import ArgumentParser
import AtsgateCore

/// An error turned into what the user sees and the exit code scripts rely on.
struct CommandFailure {
    var message: String
    var exitCode: Int32

    enum Code {
        static let problemsFound: Int32 = 1
        static let usageOrInput: Int32 = 2
        static let unreachable: Int32 = 3
    }

    init(_ error: any Error, command: any ParsableCommand.Type) {
        switch error {
        case let error as ImportError:
            self.init(message: "atsgate: \(error)", exitCode: Code.usageOrInput)
        case let error as ConfigurationErrors:
            self.init(message: "atsgate: configuration error:\n\(error)", exitCode: Code.usageOrInput)
        case let error as ConfigurationError:
            self.init(message: "atsgate: configuration error: \(error)", exitCode: Code.usageOrInput)
        case let error as WorkflowError:
            self.init(message: "atsgate: \(error)", exitCode: Code.usageOrInput)
        case let error as OperatorActionError:
            self.init(message: "atsgate: \(error)", exitCode: Code.usageOrInput)
        case let error as KeyringError:
            self.init(message: "atsgate: \(error)", exitCode: Code.usageOrInput)
        case let error as ReconcileRunConflict:
            self.init(message: "atsgate: \(error)", exitCode: Code.usageOrInput)
        case let error as ConnectorError:
            self.init(message: "atsgate: \(error)", exitCode: error.kind == .config ? Code.usageOrInput : Code.unreachable)
        case let error as StoreError:
            let code = [.unsupportedEngine, .invalidLocation].contains(error.code) ? Code.usageOrInput : Code.unreachable
            self.init(message: "atsgate: \(error)", exitCode: code)
        default:
            // ArgumentParser's own errors: help and version print to stdout with 0, usage errors exit 2 (not 64).
            let exitCode = command.exitCode(for: error)
            let message = command.fullMessage(for: error)
            switch exitCode {
            case .success: self.init(message: message, exitCode: 0)
            case .validationFailure: self.init(message: message, exitCode: Code.usageOrInput)
            default: self.init(message: message, exitCode: exitCode.rawValue)
            }
        }
    }

    init(message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }
}
