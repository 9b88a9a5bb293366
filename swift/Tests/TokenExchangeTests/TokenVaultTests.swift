import Foundation
import TokenExchange
import XCTest

/// Token Vault from Swift (a server-side Swift backend).
final class TokenVaultTests: XCTestCase {
    var app: TokenExchangeClient!
    var backend: TokenExchangeClient!

    override func setUpWithError() throws {
        app = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Emulator.clientId, dpopKey: nil)
        backend = try TokenExchangeClient(
            domain: Emulator.baseUrl,
            clientId: Emulator.vaultClientId,
            clientAuthentication: .clientSecretPost(secret: Secret(Emulator.vaultClientSecret))
        )
    }

    func testBackendGetsTheConnectedGoogleTokenOrConnectionRequired() async throws {
        let (app, backend) = (self.app!, self.backend!)
        let user = "apple|swift-vault-user"
        let tokens = try await app.nativeSocialExchange(.apple(authorizationCode: try Emulator.appleCode(sub: user), audience: Emulator.vaultApi))

        let missing = await expectError { try await backend.tokenVaultExchange(accessToken: tokens.accessToken, connection: "google-oauth2") }
        XCTAssertTrue(missing?.isConnectionRequired() ?? false, "\(String(describing: missing))")

        try Emulator.connectAccount(userId: user)
        let google = try await backend.tokenVaultExchange(accessToken: tokens.accessToken, connection: "google-oauth2")
        XCTAssertEqual(google.tokenType, "Bearer")
        XCTAssertNotEqual(google.accessToken, tokens.accessToken)
        XCTAssertEqual(google.issuedTokenType, "http://auth0.com/oauth/token-type/federated-connection-access-token")
        XCTAssertTrue(google.scope?.contains("calendar.readonly") ?? false)
        XCTAssertFalse("\(google)".contains(google.accessToken))
    }

    func testExtraParametersFollowTheLibrarysOneRule() async throws {
        let backend = self.backend!
        let error = await expectError {
            try await backend.tokenVaultExchange(
                accessToken: "at",
                connection: "google-oauth2",
                extraParameters: ["audience": "https://api.example.com"]
            )
        }
        guard case .InvalidInput("extra_parameters", _, _)? = error else { return XCTFail("\(String(describing: error))") }
    }

    func testAForgedTokenWithACachedUsersClaimsMissesTheCache() async throws {
        let (app, backend) = (self.app!, self.backend!)
        let user = "apple|swift-vault-victim"
        let tokens = try await app.nativeSocialExchange(.apple(authorizationCode: try Emulator.appleCode(sub: user), audience: Emulator.vaultApi))
        try Emulator.connectAccount(userId: user)
        let cache = TokenVaultCache(client: backend)
        let request = TokenVaultExchange(subjectToken: tokens.accessToken, subjectTokenType: .accessToken, connection: "google-oauth2")
        let google = try await cache.get(request)
        let again = try await cache.get(request)
        XCTAssertEqual(google, again)
        // The victim's claims under an `alg: none` header, without a signature.
        let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let payload = tokens.accessToken.split(separator: ".")[1]
        var forged = request
        forged.subjectToken = "\(header).\(payload)."
        let error = await expectError { try await cache.get(forged) }
        XCTAssertTrue(error?.isInvalidGrant() ?? false, "\(String(describing: error))")
    }
}
