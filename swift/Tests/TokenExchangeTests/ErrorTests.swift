import Foundation
import TokenExchange
import XCTest

final class ErrorTests: XCTestCase {
    let base = Emulator.baseUrl
    var client: TokenExchangeClient!

    override func setUpWithError() throws {
        client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId)
    }

    func testReusedAppleCodeIsInvalidGrant() async throws {
        var request = NativeSocialExchange.apple(authorizationCode: try Emulator.appleCode(sub: "apple|swift-reuse"))
        request.forwardedFor = "198.51.100.30"
        _ = try await client.nativeSocialExchange(request)
        let error = await expectError { try await self.client.nativeSocialExchange(request) }
        guard case let .OAuth(status, code, _, _, _, _, _, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(status, 403)
        XCTAssertEqual(code, "invalid_grant")
        XCTAssertTrue(error!.isInvalidGrant())
        XCTAssertEqual(error!.oauthCode, "invalid_grant")
        XCTAssertTrue(error!.requestMayHaveReachedServer())
        XCTAssertFalse(error!.isRetryable())
        XCTAssertFalse(error!.localizedDescription.contains(request.subjectToken))
    }

    func testInvalidInputFailsBeforeAnyIO() async throws {
        let error = await expectError { try await self.client.nativeSocialExchange(.apple(authorizationCode: "Bearer abc")) }
        guard case let .InvalidInput(field, _, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(field, "subject_token")
        XCTAssertFalse(error!.requestMayHaveReachedServer())

        var both = NativeSocialExchange.apple(authorizationCode: "c", audience: Emulator.api)
        both.resource = Emulator.api
        let exclusive = await expectError { try await self.client.nativeSocialExchange(both) }
        guard case .InvalidInput("resource", _, _)? = exclusive else { return XCTFail("\(String(describing: exclusive))") }
    }

    func testBadConfigurationNamesTheField() throws {
        XCTAssertThrowsError(try TokenExchangeClient(domain: "http://tenant.example.com", clientId: "x")) { error in
            guard case .InvalidInput("domain", _, _)? = error as? TokenExchangeError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try TokenExchangeClient(domain: base, clientId: "x") { $0.timeout = 0 }) { error in
            guard case .InvalidInput("timeout", _, _)? = error as? TokenExchangeError else { return XCTFail("\(error)") }
        }
    }

    func testClientWithoutTheGrantIsUnauthorized() async throws {
        let other = try TokenExchangeClient(domain: base, clientId: "no-exchange-app")
        let code = try Emulator.appleCode()
        let error = await expectError { try await other.nativeSocialExchange(.apple(authorizationCode: code)) }
        XCTAssertTrue(error?.isUnauthorizedClient() ?? false)
        XCTAssertEqual(error?.httpStatus, 403)
    }

    func testClosedPortIsANetworkErrorThatNeverReachedTheServer() async throws {
        let dead = try TokenExchangeClient(domain: "http://127.0.0.1:\(Emulator.closedPort())", clientId: Emulator.clientId)
        let error = await expectError { try await dead.nativeSocialExchange(.apple(authorizationCode: "code")) }
        guard case let .Network(kind, info)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(kind, .connect)
        XCTAssertFalse(info.requestMayHaveReachedServer)
        XCTAssertTrue(error!.isRetryable() && error!.isNetworkError())
        // The library's message and predicates reach Swift as the library computed them.
        XCTAssertEqual("\(error!)", "network error: could not connect (the request did not reach the server)")
        XCTAssertEqual(info.message, "\(error!)")
        XCTAssertTrue(info.isRetryable && info.isNetworkError && !info.isMfaRequired)
    }

    func testHtmlIsAnUnexpectedResponse() async throws {
        try Emulator.queueTokenResponse(status: 502, contentType: "text/html", body: "<html><body>Bad gateway</body></html>")
        let token = try Emulator.facebookToken()
        let error = await expectError { try await self.client.nativeSocialExchange(.facebook(sessionToken: token)) }
        guard case let .UnexpectedResponse(status, problem, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(status, 502)
        XCTAssertEqual(problem, .html)
        XCTAssertTrue(error!.isRetryable())
    }

    func testMfaRequiredCarriesARedactedToken() async throws {
        let code = try Emulator.appleCode(sub: "apple|mfa-user")
        let error = await expectError { try await self.client.nativeSocialExchange(.apple(authorizationCode: code)) }
        XCTAssertTrue(error?.isMfaRequired() ?? false)
        guard let token = error?.mfaToken else { return XCTFail("no mfa token in \(String(describing: error))") }
        XCTAssertFalse(token.value.isEmpty)
        guard case let .OAuth(_, _, _, _, challenge, _, _, _)? = error else { return XCTFail() }
        XCTAssertEqual(challenge, ["otp"])
        var dumped = ""
        dump(error!, to: &dumped)
        for text in [error!.localizedDescription, "\(error!)", String(reflecting: error!), dumped, "\(token)"] {
            XCTAssertFalse(text.contains(token.value), text)
        }
    }

    func testRateLimitingSaysWhenToRetry() async throws {
        try Emulator.queueTokenResponse(
            status: 429, contentType: "application/json", body: #"{"error":"too_many_requests"}"#,
            headers: ["Retry-After": "15"]
        )
        let token = try Emulator.facebookToken()
        let error = await expectError { try await self.client.nativeSocialExchange(.facebook(sessionToken: token)) }
        XCTAssertTrue(error?.isRateLimited() ?? false)
        XCTAssertTrue(error?.isRetryable() ?? false)
        XCTAssertEqual(error?.retryAfter(), 15)
        let text = error.map { "\($0)" } ?? ""
        XCTAssertTrue(text.hasSuffix("(retry after 15 s)"), text)
        XCTAssertTrue(error?.localizedDescription.hasSuffix("(retry after 15 s)") ?? false)
    }

    func testUnavailableServersSayWhenToRetry() async throws {
        try Emulator.queueTokenResponse(
            status: 503, contentType: "application/json", body: #"{"error":"temporarily_unavailable"}"#,
            headers: ["Retry-After": "5"]
        )
        let oauth = await expectError { try await self.client.nativeSocialExchange(.facebook(sessionToken: try Emulator.facebookToken())) }
        guard case .OAuth? = oauth else { return XCTFail("\(String(describing: oauth))") }
        XCTAssertTrue(oauth!.description.hasSuffix("(retry after 5 s)"), oauth!.description)
        try Emulator.queueTokenResponse(
            status: 503, contentType: "text/html", body: "<html>down</html>", headers: ["Retry-After": "5"]
        )
        let html = await expectError { try await self.client.nativeSocialExchange(.facebook(sessionToken: try Emulator.facebookToken())) }
        guard case .UnexpectedResponse? = html else { return XCTFail("\(String(describing: html))") }
        XCTAssertTrue(html!.description.hasSuffix("(retry after 5 s)"), html!.description)
    }

    func testAStoredTokenWithANewlineIsInvalidInputNotANetworkError() async throws {
        let stored = TokenSet(accessToken: "stored-token\n", tokenType: "Bearer")
        let request = ResourceRequest(method: "GET", url: base + "/userinfo")
        let error = await expectError { try await self.client.send(request, with: stored) }
        guard case .InvalidInput("access_token", _, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertFalse(error!.isRetryable() || error!.requestMayHaveReachedServer())
        XCTAssertThrowsError(try client.authorizationHeaders(method: "GET", url: base + "/userinfo", tokens: stored)) { error in
            guard case .InvalidInput("access_token", _, _)? = error as? TokenExchangeError else { return XCTFail("\(error)") }
        }
    }

    func testSlowServersTimeOut() async throws {
        let impatient = try TokenExchangeClient(domain: base, clientId: Emulator.clientId) { $0.timeout = 0.3 }
        // The answer comes a minute later: no load can make it beat a 0.3 s timeout.
        let code = try Emulator.appleCode(delayMs: 60_000)
        let error = await expectError { try await impatient.nativeSocialExchange(.apple(authorizationCode: code)) }
        guard case let .Timeout(info)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(info.requestMayHaveReachedServer)
    }

    func testBearerTokenForADpopRequestIsRefused() async throws {
        try Emulator.queueTokenResponse(
            status: 200, contentType: "application/json", body: #"{"access_token":"at","token_type":"Bearer"}"#
        )
        let token = try Emulator.facebookToken()
        let error = await expectError { try await self.client.nativeSocialExchange(.facebook(sessionToken: token)) }
        guard case .TokenNotBound("Bearer", _)? = error else { return XCTFail("\(String(describing: error))") }
    }
}
