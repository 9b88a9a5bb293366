import Foundation
import TokenExchange
import XCTest

/// The platform transport (`URLSessionTransport`, every client's default) against the
/// emulator: what it refuses, how it stops, and how what a transport reports reaches the caller.
final class TransportTests: XCTestCase {
    let base = Emulator.baseUrl

    /// Wraps a transport and records what went through it to the token endpoint (the client
    /// also fetches the tenant's JWKS before an exchange that returns an ID token).
    final class Recording: HttpTransport, @unchecked Sendable {
        let inner: HttpTransport
        let requests = Collected<HttpRequest>()
        let statuses = Collected<Int32>()
        let errors = Collected<Error>()

        init(_ inner: HttpTransport = URLSessionTransport.shared) { self.inner = inner }

        func send(request: HttpRequest) async throws -> HttpResponse {
            guard request.url.hasSuffix("/oauth/token") else { return try await inner.send(request: request) }
            requests.append(request)
            do {
                let response = try await inner.send(request: request)
                statuses.append(response.status)
                return response
            } catch {
                errors.append(error)
                throw error
            }
        }
    }

    /// A transport that fails the way a platform stack reports a failure.
    final class Failing: HttpTransport, @unchecked Sendable {
        let error: Error
        init(_ error: Error) { self.error = error }
        func send(request: HttpRequest) async throws -> HttpResponse { throw error }
    }

    func testARedirectIsReturnedAsAnErrorAndNotFollowed() async throws {
        // If it were followed, the emulator's health check would answer 200.
        try Emulator.queueTokenResponse(
            status: 302, contentType: "text/plain", body: "", headers: ["Location": "\(base)/emulator/health"]
        )
        let recording = Recording()
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId, dpopKey: nil, transport: recording)
        let error = await expectError { try await client.nativeSocialExchange(.apple(authorizationCode: "code")) }
        guard case let .UnexpectedResponse(status, problem, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(status, 302)
        XCTAssertEqual(problem, .redirect)
        XCTAssertEqual(recording.statuses.all, [302], "the transport handed back the 3xx itself")
        XCTAssertEqual(recording.requests.all.count, 1)
    }

    func testABodyOverTheCapIsRefused() async throws {
        let big = "{\"access_token\":\"" + String(repeating: "a", count: 8192) + "\",\"token_type\":\"Bearer\"}"
        try Emulator.queueTokenResponse(status: 200, contentType: "application/json", body: big)
        let recording = Recording()
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId, dpopKey: nil, transport: recording) {
            $0.maxResponseBytes = 4096
        }
        let error = await expectError { try await client.nativeSocialExchange(.apple(authorizationCode: "code")) }
        guard case let .UnexpectedResponse(status, problem, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(status, 200)
        XCTAssertEqual(problem, .tooLarge(limit: 4096))
        XCTAssertEqual(recording.requests.all.first?.maxResponseBytes, 4096)
        guard case .BodyTooLarge(200, _)? = recording.errors.all.first as? TransportError else {
            return XCTFail("the transport stopped reading: \(recording.errors.all)")
        }
    }

    func testCancellingTheTaskAbortsTheHeldRequestAndTheNextCallWorks() async throws {
        // The emulator holds this response for two minutes, past the client's timeout: only
        // the cancellation can end the call (nothing is timed).
        let held = try Emulator.appleCode(sub: "apple|swift-held", delayMs: 120_000)
        let recording = Recording()
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId, dpopKey: nil, transport: recording)
        let task = Task { try await client.nativeSocialExchange(.apple(authorizationCode: held)) }
        try await waitUntil { !recording.requests.all.isEmpty }
        task.cancel()
        let result = await task.result
        guard case let .failure(error) = result, let error = error as? TokenExchangeError, error.isCancelled else {
            return XCTFail("\(result)")
        }
        // The URLSession data task was cancelled: the transport's send ended, long before the
        // emulator would have answered.
        try await waitUntil { !recording.errors.all.isEmpty || !recording.statuses.all.isEmpty }
        XCTAssertTrue(recording.statuses.all.isEmpty, "the held response never arrived")
        XCTAssertFalse(recording.errors.all.isEmpty, "the data task was cancelled")

        let tokens = try await client.nativeSocialExchange(
            .apple(authorizationCode: try Emulator.appleCode(sub: "apple|swift-after-cancel"))
        )
        XCTAssertEqual(tokens.tokenType, "Bearer")
    }

    func testAThrowingTransportIsATypedNetworkErrorSayingWhatItReported() async throws {
        for reached in [false, true] {
            let client = try TokenExchangeClient(
                domain: base, clientId: Emulator.clientId, dpopKey: nil,
                transport: Failing(TransportError.ConnectionLost(requestMayHaveReachedServer: reached))
            )
            let error = await expectError { try await client.nativeSocialExchange(.apple(authorizationCode: "code")) }
            guard case let .Network(kind, _)? = error else { return XCTFail("\(String(describing: error))") }
            XCTAssertEqual(kind, .connectionLost)
            XCTAssertEqual(error!.requestMayHaveReachedServer(), reached)
        }
        let connect = try TokenExchangeClient(
            domain: base, clientId: Emulator.clientId, dpopKey: nil, transport: Failing(TransportError.Connect)
        )
        let refused = await expectError { try await connect.nativeSocialExchange(.apple(authorizationCode: "code")) }
        guard case .Network(.connect, _)? = refused else { return XCTFail("\(String(describing: refused))") }
        XCTAssertFalse(refused!.requestMayHaveReachedServer())

        // An error that is not a TransportError: the request may have been received.
        let odd = try TokenExchangeClient(
            domain: base, clientId: Emulator.clientId, dpopKey: nil, transport: Failing(CocoaError(.fileNoSuchFile))
        )
        let unknown = await expectError { try await odd.nativeSocialExchange(.apple(authorizationCode: "code")) }
        guard case .Network(.connectionLost, _)? = unknown else { return XCTFail("\(String(describing: unknown))") }
        XCTAssertTrue(unknown!.requestMayHaveReachedServer())
    }

    func testAClosedPortThroughURLSessionNeverReachedTheServer() async throws {
        let client = try TokenExchangeClient(
            domain: "http://127.0.0.1:\(Emulator.closedPort())", clientId: Emulator.clientId, dpopKey: nil
        )
        let error = await expectError { try await client.nativeSocialExchange(.apple(authorizationCode: "code")) }
        guard case .Network(.connect, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertFalse(error!.requestMayHaveReachedServer())
    }

    func testTheDpopNonceRetryGoesThroughThePlatformTransport() async throws {
        let recording = Recording()
        let signer = PlatformP256Signer()
        let client = try TokenExchangeClient(
            domain: base, clientId: Emulator.clientId, dpopKey: try DpopKey.fromSigner(signer: signer), transport: recording
        )
        let tokens = try await client.nativeSocialExchange(
            .apple(authorizationCode: try Emulator.appleCode(sub: "apple|swift-nonce"), audience: Emulator.api)
        )
        XCTAssertTrue(tokens.isDpopBound())
        XCTAssertEqual(recording.statuses.all, [400, 200], "use_dpop_nonce, then the retry with the nonce")
        let proofs = recording.requests.all.map { request in
            request.headers.first { $0.name.lowercased() == "dpop" }?.value
        }
        XCTAssertEqual(proofs.count, 2)
        XCTAssertNotNil(proofs[0])
        XCTAssertNotNil(proofs[1])
        XCTAssertNotEqual(proofs[0], proofs[1], "a new proof, carrying the nonce")
        XCTAssertEqual(recording.requests.all.map(\.url), Array(repeating: "\(base)/oauth/token", count: 2))
    }

    func testDescriptionsOfTransportRecordsAreRedacted() throws {
        let request = HttpRequest(
            method: "POST",
            url: "\(base)/oauth/token?code=query-secret",
            headers: [HttpHeader(name: "dpop", value: "proof-secret")],
            body: Data("subject_token=body-secret".utf8),
            timeout: 30,
            maxResponseBytes: 1024
        )
        let text = "\(request) \(String(reflecting: request))"
        XCTAssertTrue(text.contains("dpop"), text)
        XCTAssertFalse(text.contains("secret"), text)
    }

    /// Polls `condition` until it holds, for at most a minute: half the time the emulator holds
    /// the response, so only a request that was not aborted can run out of it.
    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<6000 where !condition() {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }
}
