import Foundation
import TokenExchange
import XCTest

final class NativeSocialExchangeTests: XCTestCase {
    let base = Emulator.baseUrl

    func testBearerExchangeWithoutAKey() async throws {
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId, dpopKey: nil)
        let tokens = try await client.nativeSocialExchange(.apple(authorizationCode: try Emulator.appleCode(), audience: Emulator.api))
        XCTAssertEqual(tokens.tokenType, "Bearer")
        XCTAssertFalse(tokens.isDpopBound())
        XCTAssertNil(tokens.dpopJkt)
        XCTAssertNil(client.dpopThumbprint())
    }

    func testDpopBoundExchangeThroughTheNonceChallenge() async throws {
        let key = try DpopKey.fromSigner(signer: PlatformP256Signer())
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId, dpopKey: key)
        var name = PersonNameComponents()
        name.givenName = "Grace"
        name.familyName = "Hopper"
        let request = NativeSocialExchange.apple(
            authorizationCode: try Emulator.appleCode(sub: "apple|swift-dpop", email: "s@example.com"),
            fullName: name,
            audience: Emulator.api
        )
        let tokens = try await client.nativeSocialExchange(request)
        XCTAssertTrue(tokens.isDpopBound())
        XCTAssertEqual(tokens.tokenType, "DPoP")
        XCTAssertEqual(tokens.dpopJkt, key.thumbprint())
        XCTAssertNotNil(tokens.refreshToken)
        XCTAssertGreaterThan(tokens.expiresAt ?? 0, Int64(Date().timeIntervalSince1970))

        let claims = try await client.userinfoClaims(tokens)
        XCTAssertEqual(claims.sub, "apple|swift-dpop")
        XCTAssertEqual(claims.givenName, "Grace")
        XCTAssertEqual(claims.familyName, "Hopper")

        let headers = try client.authorizationHeaders(method: "GET", url: "\(base)/userinfo", tokens: tokens)
        XCTAssertTrue(headers.authorization.hasPrefix("DPoP "))
        XCTAssertEqual(headers.dpop?.split(separator: ".").count, 3)

        let response = try await client.send(
            ResourceRequest(method: "GET", url: "\(base)/userinfo", headers: [HttpHeader(name: "Accept", value: "application/json")]),
            with: tokens
        )
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.bodyText()?.contains("apple|swift-dpop") ?? false)
        XCTAssertTrue(response.header(name: "Content-Type")?.contains("json") ?? false)
    }

    func testFacebookExchangeWithResource() async throws {
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId)
        var request = NativeSocialExchange.facebook(sessionToken: try Emulator.facebookToken())
        request.resource = Emulator.api
        let tokens = try await client.nativeSocialExchange(request)
        XCTAssertTrue(tokens.isDpopBound())
        XCTAssertEqual(tokens.scope, "openid profile email offline_access")
    }

    func testDescriptionsAreRedacted() async throws {
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId)
        let code = try Emulator.appleCode()
        var name = PersonNameComponents()
        name.givenName = "Privatename"
        let request = NativeSocialExchange.apple(authorizationCode: code, fullName: name)
        var dumped = ""
        dump(request, to: &dumped)
        for text in [request.description, request.debugDescription, String(describing: request), dumped] {
            XCTAssertFalse(text.contains(code), text)
            XCTAssertFalse(text.contains("Privatename"), text)
        }
        let tokens = try await client.nativeSocialExchange(request)
        dumped = ""
        dump(tokens, to: &dumped)
        for text in [tokens.description, String(reflecting: tokens), "\(tokens)", dumped] {
            XCTAssertFalse(text.contains(tokens.accessToken), text)
            XCTAssertFalse(text.contains(tokens.refreshToken!), text)
            XCTAssertFalse(text.contains(tokens.idToken!), text)
        }
        XCTAssertTrue(tokens.description.contains(tokens.dpopJkt!))
        let headers = try client.authorizationHeaders(method: "GET", url: "https://api.example.com/x", tokens: tokens)
        XCTAssertFalse("\(headers)".contains(tokens.accessToken))
    }

    func testAnExchangeCanLeaveOutScope() async throws {
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId, dpopKey: nil)
        var request = NativeSocialExchange.apple(
            authorizationCode: try Emulator.appleCode(sub: "apple|swift-every-scope"), audience: Emulator.api
        )
        request.omitScope = true
        let tokens = try await client.nativeSocialExchange(request)
        let scope = tokens.scope ?? ""
        XCTAssertTrue(scope.contains("read:messages") && scope.contains("write:messages"), scope)
        request.scope = "email"
        let error = await expectError { try await client.nativeSocialExchange(request) }
        guard case .InvalidInput("scope", _, _)? = error else { return XCTFail("\(String(describing: error))") }
    }

    func testRequestsAndHeadersPrintNoSecrets() {
        let request = ResourceRequest(
            method: "POST", url: "https://api.example.com/notes?key=query-secret",
            headers: [HttpHeader(name: "X-Api-Key", value: "header-secret")], body: Data("body-secret".utf8)
        )
        var dumped = ""
        dump(request, to: &dumped)
        for text in [request.description, request.debugDescription, "\(request.headers[0])"] {
            for secret in ["query-secret", "header-secret", "body-secret"] {
                XCTAssertFalse(text.contains(secret), text)
            }
        }
        XCTAssertTrue(request.description.contains("X-Api-Key"), request.description)
    }

    func testTheDefaultKeyIsThePlatformKeyAndOutlivesTheClient() async throws {
        // Without a key, a client signs with the platform's key under the default tag (on
        // Linux, the in-memory libcrypto key; on Apple platforms, the Secure Enclave or the
        // Keychain), so a second client, as after a relaunch, presents the first one's tokens.
        let first = try TokenExchangeClient(domain: base, clientId: Emulator.clientId)
        let tokens = try await first.nativeSocialExchange(.apple(authorizationCode: try Emulator.appleCode(sub: "apple|swift-relaunch")))
        XCTAssertEqual(tokens.dpopJkt, first.dpopThumbprint())
        XCTAssertFalse(try XCTUnwrap(first.dpopKey()).isSoftware(), "the platform signs, not the Rust library")

        let stored = TokenSet(accessToken: tokens.accessToken, tokenType: tokens.tokenType, dpopJkt: tokens.dpopJkt)
        let second = try TokenExchangeClient(domain: base, clientId: Emulator.clientId)
        XCTAssertEqual(second.dpopThumbprint(), first.dpopThumbprint())
        let claims = try await second.userinfoClaims(stored)
        XCTAssertEqual(claims.sub, "apple|swift-relaunch")

        // Another tag is another key.
        let other = try PlatformDpopKey.loadOrCreate(tag: "com.tokenexchange.tests.other")
        XCTAssertNotEqual(other.thumbprint(), first.dpopThumbprint())
        PlatformDpopKey.delete(tag: "com.tokenexchange.tests.other")
        XCTAssertNotEqual(try PlatformDpopKey.loadOrCreate(tag: "com.tokenexchange.tests.other").thumbprint(), other.thumbprint())
        PlatformDpopKey.delete(tag: "com.tokenexchange.tests.other")
    }

    func testTelemetryNamesTheSwiftSDK() throws {
        let telemetry = TokenExchangeClient.swiftTelemetry()
        XCTAssertEqual(telemetry.name, "token-exchange-swift")
        XCTAssertEqual(telemetry.version, libraryVersion())
        #if os(Linux)
        XCTAssertEqual(telemetry.env["platform"], "linux")
        #endif
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId) { $0.telemetryEnabled = false }
        XCTAssertEqual(client.baseUrl(), "\(base)/")
        XCTAssertEqual(client.clientId(), Emulator.clientId)
    }
}
