import Foundation
import TokenExchange
import XCTest

/// Refresh with rotation (`rotating-app`), revoke, the validated ID token's claims, a signing-key
/// rotation and an issuer that is not the configured server, against the emulator.
final class RefreshTests: XCTestCase {
    static let rotatingClientId = "rotating-app"

    static func signIn(_ client: TokenExchangeClient, sub: String) async throws -> TokenSet {
        let code = try Emulator.appleCode(sub: sub, email: "swift-refresh@example.com")
        return try await client.nativeSocialExchange(.apple(authorizationCode: code, audience: Emulator.api))
    }

    func testRefreshRotatesTheRefreshTokenAndValidatesTheIdToken() async throws {
        let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Self.rotatingClientId)
        let tokens = try await Self.signIn(client, sub: "apple|swift-refresh")
        let claims = try XCTUnwrap(tokens.idTokenClaims, "the exchange validated the ID token")
        XCTAssertEqual(claims.sub, "apple|swift-refresh")
        XCTAssertEqual(claims.email, "swift-refresh@example.com")
        XCTAssertEqual(claims.otherClaims["iss"] as? String, Emulator.baseUrl + "/")
        XCTAssertNil(claims.otherClaims["sub"], "typed claims are not repeated in `other`")
        XCTAssertFalse("\(claims)".contains("swift-refresh@example.com"), "claims print redacted")
        let userinfo = try await client.userinfoClaims(tokens)
        XCTAssertEqual(userinfo.sub, "apple|swift-refresh")

        let renewed = try await client.refresh(tokens)
        XCTAssertFalse(renewed.accessToken == tokens.accessToken)
        XCTAssertNotNil(renewed.refreshToken)
        XCTAssertFalse(renewed.refreshToken == tokens.refreshToken, "rotated")
        XCTAssertTrue(renewed.isDpopBound())
        XCTAssertEqual(renewed.idTokenClaims?.sub, "apple|swift-refresh")

        let narrower = try await client.refresh(renewed, scope: "openid offline_access")
        XCTAssertEqual(narrower.scope, "openid offline_access")

        // Reuse of a rotated refresh token revokes the whole family.
        let reused = await expectError { try await client.refresh(tokens) }
        XCTAssertTrue(reused?.isInvalidGrant() ?? false, "\(String(describing: reused))")
        let family = await expectError { try await client.refresh(narrower) }
        XCTAssertTrue(family?.isInvalidGrant() ?? false, "\(String(describing: family))")
    }

    func testRevokeThenRefreshFailsWithInvalidGrant() async throws {
        let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Self.rotatingClientId)
        let tokens = try await Self.signIn(client, sub: "apple|swift-revoke")
        let refreshToken = try XCTUnwrap(tokens.refreshToken)
        try await client.revoke(refreshToken: refreshToken)
        let error = await expectError { try await client.refresh(tokens) }
        XCTAssertTrue(error?.isInvalidGrant() ?? false, "\(String(describing: error))")
        XCTAssertEqual(error?.oauthCode, "invalid_grant")
        // RFC 7009: a token the server does not know is a success, so a retry is harmless.
        try await client.revoke(refreshToken: refreshToken)
        try await client.revoke(refreshToken: "never-issued")
    }

    func testAnotherKeyOrNoKeyIsRefusedBeforeAnythingIsSent() async throws {
        let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Self.rotatingClientId)
        let tokens = try await Self.signIn(client, sub: "apple|swift-key-mismatch")
        // Nothing listens there: had a request been sent, the error would be a network error.
        let nowhere = "http://127.0.0.1:\(Emulator.closedPort())"
        // (Not the default key: every client of the process shares that one.)
        let otherKey = try TokenExchangeClient(
            domain: nowhere, clientId: Self.rotatingClientId, dpopKey: try DpopKey.fromSigner(signer: PlatformP256Signer())
        )
        let mismatch = await expectError { try await otherKey.refresh(tokens) }
        guard case .DpopKeyMismatch(let tokenJkt, _, _)? = mismatch else {
            return XCTFail("expected DpopKeyMismatch, got \(String(describing: mismatch))")
        }
        XCTAssertEqual(tokenJkt, tokens.dpopJkt)
        XCTAssertTrue(mismatch?.isSignInRequired() ?? false)
        let keyless = try TokenExchangeClient(domain: nowhere, clientId: Self.rotatingClientId, dpopKey: nil)
        let missing = await expectError { try await keyless.refresh(tokens) }
        guard case .DpopKeyMissing? = missing else {
            return XCTFail("expected DpopKeyMissing, got \(String(describing: missing))")
        }
        _ = try await client.refresh(tokens) // still good with its own key
    }

    func testAnIdTokenSignedByARotatedInKeyIsValidated() async throws {
        let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Emulator.clientId)
        let tokens = try await Self.signIn(client, sub: "apple|swift-key-rotation")
        try Emulator.rotateSigningKey()
        let renewed = try await client.refresh(tokens)
        XCTAssertEqual(renewed.idTokenClaims?.sub, "apple|swift-key-rotation")
    }

    /// `localhost` reaches the same emulator, whose tokens name `127.0.0.1` as their issuer: as
    /// for a token minted by another server, the ID token must be refused.
    func testAnIdTokenFromAnotherIssuerIsRefusedUnlessValidationIsOff() async throws {
        let port = try XCTUnwrap(URL(string: Emulator.baseUrl)?.port)
        let elsewhere = "http://localhost:\(port)"
        let client = try TokenExchangeClient(domain: elsewhere, clientId: Emulator.clientId) { $0.idTokenLeeway = 30 }
        let error = await expectError { try await Self.signIn(client, sub: "apple|swift-issuer") }
        guard case .IdTokenInvalid(let reason, _)? = error else {
            return XCTFail("expected IdTokenInvalid, got \(String(describing: error))")
        }
        XCTAssertEqual(reason, .issuer)
        XCTAssertFalse(error?.isRetryable() ?? true)

        let trusting = try TokenExchangeClient(domain: elsewhere, clientId: Emulator.clientId) { $0.idTokenValidation = false }
        let tokens = try await Self.signIn(trusting, sub: "apple|swift-no-validation")
        XCTAssertNil(tokens.idTokenClaims)
        XCTAssertNotNil(tokens.idToken)
    }

    func testBadInputIsRefusedBeforeAnythingIsSent() async throws {
        let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Emulator.clientId)
        let tokens = try await Self.signIn(client, sub: "apple|swift-refresh-input")
        var withoutRefreshToken = tokens
        withoutRefreshToken.refreshToken = nil
        for (input, scope, field) in [(withoutRefreshToken, nil, "refresh_token"), (tokens, " ", "scope"), (tokens, "bad\"scope", "scope")] {
            let error = await expectError { try await client.refresh(input, scope: scope) }
            guard case .InvalidInput(let named, _, _)? = error else {
                XCTFail("expected InvalidInput, got \(String(describing: error))")
                continue
            }
            XCTAssertEqual(named, field)
        }
        _ = try await client.refresh(tokens) // nothing was spent
    }
}
