import Foundation
import TokenExchange
import XCTest

/// Custom Token Exchange: native Google sign-in through the sample tenant's profile and Action.
final class CustomTokenExchangeTests: XCTestCase {
    var client: TokenExchangeClient!

    override func setUpWithError() throws {
        client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Emulator.clientId)
    }

    func testGoogleSignInEndToEnd() async throws {
        let idToken = try Emulator.googleIdToken(sub: "swift-google-user", email: "sg@example.com")
        let tokens = try await client.googleSignIn(
            idToken: idToken,
            profileSubjectTokenType: Emulator.googleProfile,
            audience: Emulator.api
        )
        XCTAssertEqual(tokens.issuedTokenType, "urn:ietf:params:oauth:token-type:access_token")
        XCTAssertTrue(tokens.isDpopBound())
        XCTAssertEqual(tokens.dpopJkt, client.dpopThumbprint())
        XCTAssertNotNil(tokens.refreshToken)
        XCTAssertNil(tokens.actorClaim())
        let claims = try await client.userinfoClaims(tokens)
        XCTAssertEqual(claims.sub, "google-oauth2|swift-google-user")
        XCTAssertEqual(claims.email, "sg@example.com")
    }

    func testActorTokenGivesAnActClaimAndNoRefreshToken() async throws {
        let first = try await client.googleSignIn(
            idToken: try Emulator.googleIdToken(sub: "swift-actor"),
            profileSubjectTokenType: Emulator.googleProfile
        )
        let delegated = try await client.customTokenExchange(
            subjectToken: try Emulator.googleIdToken(sub: "swift-delegator"),
            subjectTokenType: Emulator.googleProfile,
            actor: ActorToken(token: first.idToken!, tokenType: "urn:ietf:params:oauth:token-type:id_token"),
            extraParameters: ["device": "swift-test"]
        )
        let act = try XCTUnwrap(delegated.actorClaim())
        let object = try JSONSerialization.jsonObject(with: Data(act.utf8)) as? [String: Any]
        XCTAssertEqual(object?["sub"] as? String, "google-oauth2|swift-actor")
        XCTAssertNil(delegated.refreshToken)
    }

    func testReservedNamespaceSubjectTokenTypeIsRefusedBeforeSending() async throws {
        let idToken = try Emulator.googleIdToken(sub: "swift-reserved")
        for reserved in [
            "urn:ietf:params:oauth:token-type:id_token",
            "http://auth0.com/oauth/token-type/google",
            "https://okta.com/google",
            "urn:auth0:google",
        ] {
            let error = await expectError {
                try await self.client.googleSignIn(idToken: idToken, profileSubjectTokenType: reserved)
            }
            guard case .InvalidInput("subject_token_type", _, _)? = error else {
                return XCTFail("\(reserved): \(String(describing: error))")
            }
            XCTAssertFalse(error!.requestMayHaveReachedServer())
        }
    }

    func testExtraParameterOverridingAudienceIsRefused() async throws {
        for name in ["audience", "AUDIENCE", "scope", "subject_token", "client_id"] {
            let error = await expectError {
                try await self.client.customTokenExchange(
                    subjectToken: "token",
                    subjectTokenType: Emulator.googleProfile,
                    extraParameters: [name: "https://evil.example.com"]
                )
            }
            guard case .InvalidInput("extra_parameters", _, _)? = error else {
                return XCTFail("\(name): \(String(describing: error))")
            }
        }
        var request = CustomTokenExchange.google(idToken: "token", profileSubjectTokenType: Emulator.googleProfile)
        request.forwardedFor = "not-an-ip"
        let badIp = await expectError { try await self.client.customTokenExchange(request) }
        guard case .InvalidInput("forwarded_for", _, _)? = badIp else { return XCTFail("\(String(describing: badIp))") }
    }

    func testForgedGoogleTokenIsRejectedByTheAction() async throws {
        var request = CustomTokenExchange.google(
            idToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
            profileSubjectTokenType: Emulator.googleProfile
        )
        request.forwardedFor = "198.51.100.42"
        let error = await expectError { try await self.client.customTokenExchange(request) }
        guard case let .OAuth(status, code, description, _, _, _, _, _)? = error else {
            return XCTFail("\(String(describing: error))")
        }
        XCTAssertEqual(status, 400)
        XCTAssertEqual(code, "invalid_request")
        XCTAssertTrue(description?.contains("Invalid Google ID token") ?? false, "\(String(describing: description))")
        XCTAssertFalse("\(request)".contains(request.subjectToken))
    }

    func testACancelledTaskNeverSendsTheGoogleToken() async throws {
        let idToken = try Emulator.googleIdToken(sub: "swift-google-cancelled")
        let client = self.client!
        let task = Task { () -> TokenSet in
            while !Task.isCancelled { await Task.yield() }
            return try await client.googleSignIn(idToken: idToken, profileSubjectTokenType: Emulator.googleProfile)
        }
        task.cancel()
        switch await task.result {
        case .success:
            XCTFail("a cancelled task exchanged the token")
        case let .failure(error):
            XCTAssertTrue((error as? TokenExchangeError)?.isCancelled ?? false, "\(error)")
        }
    }
}
