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
/// `challengeHandler`, which answers the session's authentication challenges. The transport
/// owns its session because the session's delegate is what refuses redirects and caps the body.
/// Any other networking stack: implement `HttpTransport` yourself.
///
/// The same code runs on Apple platforms and on Linux (swift-corelibs-foundation's
/// `URLSession` in `FoundationNetworking`, which delivers the same delegate calls), where the
/// tests exercise it.
public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    /// Answers a session's authentication challenge (server trust for pinning, client
    /// certificates): call the completion handler exactly once.
    public typealias ChallengeHandler = @Sendable (
        URLAuthenticationChallenge,
        @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) -> Void

    private let session: URLSession
    private let delegate: SessionDelegate

    /// A transport on `configuration` (default: `URLSessionConfiguration.ephemeral`).
    public init(configuration: URLSessionConfiguration = .ephemeral, challengeHandler: ChallengeHandler? = nil) {
        let configuration = configuration.copy() as! URLSessionConfiguration
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        delegate = SessionDelegate(challengeHandler: challengeHandler)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    deinit {
        // The session keeps its delegate until it is invalidated.
        session.invalidateAndCancel()
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
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                delegate.start(task, limit: request.maxResponseBytes, continuation: continuation)
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// The session delegate: collects each task's response and body, refuses redirects, enforces
/// the body cap and maps `URLError`s to `TransportError`s. Runs on the session's serial queue;
/// `start` is called from any thread, hence the lock.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct Exchange {
        let limit: Int64
        let continuation: CheckedContinuation<HttpResponse, Error>
        var response: HTTPURLResponse?
        var body = Data()
    }

    private let challengeHandler: URLSessionTransport.ChallengeHandler?
    private let lock = NSLock()
    private var exchanges: [Int: Exchange] = [:]

    init(challengeHandler: URLSessionTransport.ChallengeHandler?) {
        self.challengeHandler = challengeHandler
    }

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

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        // Never follow: the 3xx itself completes the task, and the library refuses it.
        completionHandler(nil)
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let http = response as? HTTPURLResponse else {
            completionHandler(.cancel)
            finish(dataTask, .failure(TransportError.ConnectionLost(requestMayHaveReachedServer: true)))
            return
        }
        guard let exchange = update(dataTask, { $0.response = http }) else {
            completionHandler(.cancel)
            return
        }
        if http.expectedContentLength > exchange.limit {
            completionHandler(.cancel)
            finish(dataTask, .failure(Self.tooLarge(http)))
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let exchange = update(dataTask, { $0.body.append(data) }) else { return }
        if Int64(exchange.body.count) > exchange.limit, let response = exchange.response {
            dataTask.cancel()
            finish(dataTask, .failure(Self.tooLarge(response)))
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
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
