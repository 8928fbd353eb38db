import CCurl

/// libcurl's process-wide state and typed option setting.
enum Curl {
    /// `curl_global_init` is not thread-safe and must run once before any handle exists: a
    /// static `let` is initialised exactly once, on first use, under the runtime's lock.
    static let globalInitialization: CURLcode = atsgate_curl_global_init()

    struct OptionFailure: Error {
        var option: String
        var code: CURLcode
    }

    /// Sets options on one easy handle, failing on the first one libcurl refuses.
    struct Options {
        let handle: UnsafeMutableRawPointer

        func set(_ option: CURLoption, _ value: Int, _ name: String) throws(OptionFailure) {
            try check(atsgate_curl_setopt_long(handle, option, value), name)
        }

        func set(_ option: CURLoption, _ value: String, _ name: String) throws(OptionFailure) {
            // libcurl copies string options, so the C string need only live for the call.
            try check(value.withCString { atsgate_curl_setopt_string(handle, option, $0) }, name)
        }

        func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?, _ name: String) throws(OptionFailure) {
            try check(atsgate_curl_setopt_pointer(handle, option, pointer), name)
        }

        func check(_ code: CURLcode, _ name: String) throws(OptionFailure) {
            guard code == CURLE_OK else { throw OptionFailure(option: name, code: code) }
        }
    }

    static func describe(_ code: CURLcode) -> String {
        curl_easy_strerror(code).map { String(cString: $0) } ?? "libcurl error \(code.rawValue)"
    }
}
