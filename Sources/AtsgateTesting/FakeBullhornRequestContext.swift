import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the request's connection, so that a fault can close the
/// connection after a write is stored, without sending any HTTP answer.
struct FakeBullhornRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}
