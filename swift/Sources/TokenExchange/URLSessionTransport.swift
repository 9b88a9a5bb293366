import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TokenExchangeBindings

/// The HTTP transport every `TokenExchangeClient` uses unless given another: the platform's
/// `URLSession`, so the library's requests follow the system's proxy and VPN settings, App
/// Transport Security and your certificate pinning, and show in debugging proxies.
///
/// Its session is built for single-use token requests:
/// - ephemeral configuration, no cookies, no URL cache, no credential storage;
/// - redirects refused in the session delegate: the `3xx` comes back as the response, which
///   the library turns into an error (a token request is never sent to another URL);
/// - the request's `timeout` (what is left of the client's) as the `URLRequest`'s timeout; the
///   library also cuts the call off at its deadline, which cancels the data task;
/// - the body cap enforced while the body streams in (`Content-Length` first): reading stops
///   at `maxResponseBytes`;
/// - cancelling the calling `Task` (or the library giving up at its deadline) cancels the
///   data task.
///
/// To keep your proxy settings or protocol classes, pass your own `URLSessionConfiguration`
/// (its cookie, cache and credential stores are switched off); to pin certificates, pass a
/// `challengeHandler`, which answers the session's authentication challenges. On iOS 15,
/// macOS 12 and later you can pass your own `URLSession` instead (`init(session:)`): its
/// configuration and its delegate's answers to challenges (your pinning) apply, while each of
/// the library's tasks carries a task delegate that refuses redirects and caps the body.
/// Any other networking stack: implement `HttpTransport` yourself.
///
/// The same code runs on Apple platforms and on Linux (swift-corelibs-foundation's
/// `URLSession` in `FoundationNetworking`, which delivers the same delegate calls), where the
/// tests exercise it; `init(session:)` is the exception (see there).
public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    /// Answers a session's authentication challenge (server trust for pinning, client
    /// certificates): call the completion handler exactly once.
    public typealias ChallengeHandler = @Sendable (
        URLAuthenticationChallenge,
        @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) -> Void

    private let session: URLSession
    /// The library's side of every request: response, body, cap, errors.
    private let exchanges = Exchanges()
    /// On an app's session, the task delegate each request's task gets; `nil` on the
    /// transport's own session, whose delegate does the same.
    private let taskDelegate: NSObject?

    /// A transport on `configuration` (default: `URLSessionConfiguration.ephemeral`).
    public init(configuration: URLSessionConfiguration = .ephemeral, challengeHandler: ChallengeHandler? = nil) {
        let configuration = configuration.copy() as! URLSessionConfiguration
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let delegate = SessionDelegate(exchanges: exchanges, challengeHandler: challengeHandler)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        taskDelegate = nil
    }

    #if canImport(Darwin)
    /// A transport on your own `session`: its configuration (proxies, protocol classes,
    /// headers) and its delegate's answers to authentication challenges (certificate pinning)
    /// apply to the library's requests. Each request's task gets a task delegate, which
    /// Foundation asks before the session's delegate: it refuses redirects and caps the body
    /// (the code the default transport's session delegate runs), and implements no
    /// authentication method, so challenges reach your session's delegate. Requests never use
    /// cookies or the URL cache, whatever the configuration says. The session stays yours: the
    /// transport never invalidates it. Not for background sessions (they take no task
    /// delegates).
    ///
    /// Apple platforms only, iOS 15 / macOS 12 and later (task delegates), and not exercised
    /// on the Linux CI: swift-corelibs-foundation accepts a task delegate but never calls it
    /// (measured: the task of a session without a delegate of its own never completes).
    /// Beyond the attachment of the task delegate, the code is what the tests run.
    @available(iOS 15.0, macOS 12.0, tvOS 15.0, watchOS 8.0, *)
    public init(session: URLSession) {
        self.session = session
        taskDelegate = TaskDelegate(exchanges: exchanges)
    }
    #endif

    deinit {
        // A session keeps its delegate until it is invalidated; an app's session is the app's.
        if taskDelegate == nil {
            session.invalidateAndCancel()
        }
    }

    /// The transport clients share when none is given.
    public static let shared = URLSessionTransport()

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url), ["http", "https"].contains(url.scheme?.lowercased() ?? "") else {
            throw TransportError.InvalidRequest
        }
        var urlRequest = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        urlRequest.httpShouldHandleCookies = false
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        urlRequest.httpBody = request.body
        let task = session.dataTask(with: urlRequest)
        #if canImport(Darwin)
        if let taskDelegate = taskDelegate as? URLSessionTaskDelegate,
           #available(iOS 15.0, macOS 12.0, tvOS 15.0, watchOS 8.0, *) {
            task.delegate = taskDelegate
        }
        #endif
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                exchanges.start(task, limit: request.maxResponseBytes, continuation: continuation)
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// The library's side of each request's task: collects the response and body, enforces the
/// body cap and maps `URLError`s to `TransportError`s; redirects are refused by the delegates
/// below. Called on the session's delegate queue, and `start` from any thread, hence the lock.
private final class Exchanges: @unchecked Sendable {
    private struct Exchange {
        let limit: Int64
        let continuation: CheckedContinuation<HttpResponse, Error>
        var response: HTTPURLResponse?
        var body = Data()
    }

    private let lock = NSLock()
    private var exchanges: [Int: Exchange] = [:]

    func start(_ task: URLSessionDataTask, limit: Int64, continuation: CheckedContinuation<HttpResponse, Error>) {
        lock.lock()
        exchanges[task.taskIdentifier] = Exchange(limit: max(limit, 0), continuation: continuation)
        lock.unlock()
        task.resume()
    }

    /// Removes the task's exchange (it finishes once) and resumes its caller.
    private func finish(_ task: URLSessionTask, _ result: Result<HttpResponse, Error>) {
        lock.lock()
        let exchange = exchanges.removeValue(forKey: task.taskIdentifier)
        lock.unlock()
        exchange?.continuation.resume(with: result)
    }

    private func update(_ task: URLSessionTask, _ change: (inout Exchange) -> Void) -> Exchange? {
        lock.lock()
        defer { lock.unlock() }
        guard var exchange = exchanges[task.taskIdentifier] else { return nil }
        change(&exchange)
        exchanges[task.taskIdentifier] = exchange
        return exchange
    }

    /// `urlSession(_:dataTask:didReceive:completionHandler:)`.
    func received(_ response: URLResponse, of dataTask: URLSessionDataTask) -> URLSession.ResponseDisposition {
        guard let http = response as? HTTPURLResponse else {
            finish(dataTask, .failure(TransportError.ConnectionLost(requestMayHaveReachedServer: true)))
            return .cancel
        }
        guard let exchange = update(dataTask, { $0.response = http }) else {
            return .cancel
        }
        if http.expectedContentLength > exchange.limit {
            finish(dataTask, .failure(Self.tooLarge(http)))
            return .cancel
        }
        return .allow
    }

    /// `urlSession(_:dataTask:didReceive:)`.
    func received(_ data: Data, of dataTask: URLSessionDataTask) {
        guard let exchange = update(dataTask, { $0.body.append(data) }) else { return }
        if Int64(exchange.body.count) > exchange.limit, let response = exchange.response {
            dataTask.cancel()
            finish(dataTask, .failure(Self.tooLarge(response)))
        }
    }

    /// `urlSession(_:task:didCompleteWithError:)`.
    func completed(_ task: URLSessionTask, error: Error?) {
        lock.lock()
        let exchange = exchanges[task.taskIdentifier]
        lock.unlock()
        guard let exchange else { return }
        if let error {
            finish(task, .failure(Self.transportError(error)))
            return
        }
        // A refused redirect completes with the 3xx; some platforms report it only here.
        guard let response = exchange.response ?? (task.response as? HTTPURLResponse) else {
            finish(task, .failure(TransportError.ConnectionLost(requestMayHaveReachedServer: true)))
            return
        }
        if Int64(exchange.body.count) > exchange.limit {
            finish(task, .failure(Self.tooLarge(response)))
            return
        }
        finish(task, .success(HttpResponse(
            status: Int32(response.statusCode),
            headers: Self.headers(response),
            body: exchange.body
        )))
    }

    private static func headers(_ response: HTTPURLResponse) -> [HttpHeader] {
        response.allHeaderFields.compactMap { name, value in
            guard let name = name as? String else { return nil }
            return HttpHeader(name: name, value: "\(value)")
        }
    }

    private static func tooLarge(_ response: HTTPURLResponse) -> TransportError {
        .BodyTooLarge(status: Int32(response.statusCode), headers: headers(response))
    }

    /// What the library needs to know about a failure: what failed, and whether the request
    /// may have reached the server (only failures before the connection existed say no).
    static func transportError(_ error: Error) -> TransportError {
        guard let error = error as? URLError else {
            return .ConnectionLost(requestMayHaveReachedServer: true)
        }
        switch error.code {
        case .badURL, .unsupportedURL:
            return .InvalidRequest
        case .cannotFindHost, .cannotConnectToHost, .dnsLookupFailed, .notConnectedToInternet,
             .internationalRoamingOff, .callIsActive, .dataNotAllowed:
            return .Connect
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid,
             .clientCertificateRejected, .clientCertificateRequired:
            return .Tls(requestMayHaveReachedServer: false)
        case .timedOut:
            return .Timeout(requestMayHaveReachedServer: true)
        case .cancelled:
            return .Cancelled
        default:
            return .ConnectionLost(requestMayHaveReachedServer: true)
        }
    }
}

/// The delegate of the transport's own session: hands each task to [Exchanges], never follows
/// a redirect (the `3xx` itself completes the task, and the library refuses it), and answers
/// authentication challenges with the app's `challengeHandler`, else Foundation's default.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let exchanges: Exchanges
    private let challengeHandler: URLSessionTransport.ChallengeHandler?

    init(exchanges: Exchanges, challengeHandler: URLSessionTransport.ChallengeHandler?) {
        self.exchanges = exchanges
        self.challengeHandler = challengeHandler
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        completionHandler(exchanges.received(response, of: dataTask))
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        exchanges.received(data, of: dataTask)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        exchanges.completed(task, error: error)
    }

    func urlSession(
        _ session: URLSession,
        didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        if let challengeHandler {
            challengeHandler(challenge, completionHandler)
        } else {
            completionHandler(.performDefaultHandling, nil)
        }
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        urlSession(session, didReceive: challenge, completionHandler: completionHandler)
    }
}

#if canImport(Darwin)
/// The task delegate of each request on an app's session (`URLSessionTransport(session:)`):
/// the same four calls as [SessionDelegate], and no authentication method at all, so that
/// Foundation takes challenges to the app's session delegate (its pinning) and never to a
/// default answer here. Apple only, like that initializer.
private final class TaskDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let exchanges: Exchanges

    init(exchanges: Exchanges) {
        self.exchanges = exchanges
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        completionHandler(exchanges.received(response, of: dataTask))
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        exchanges.received(data, of: dataTask)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        exchanges.completed(task, error: error)
    }
}
#endif
