import Foundation
import TokenExchange
import XCTest

final class SignerTests: XCTestCase {
    let base = Emulator.baseUrl

    func testASwiftSignerGetsABoundTokenThroughTheNonceChallenge() async throws {
        let signer = PlatformP256Signer()
        let key = try DpopKey.fromSigner(signer: signer)
        XCTAssertFalse(key.isSoftware())
        let client = try TokenExchangeClient(domain: base, clientId: Emulator.clientId, dpopKey: key)
        let tokens = try await client.nativeSocialExchange(
            .apple(authorizationCode: try Emulator.appleCode(sub: "apple|swift-signer"), audience: Emulator.api)
        )
        XCTAssertTrue(tokens.isDpopBound())
        XCTAssertEqual(tokens.dpopJkt, key.thumbprint())
        XCTAssertEqual(signer.signatures, 2, "a proof refused for lack of a nonce, then one accepted")
        // The emulator verifies every ES256 signature: /userinfo (its own nonce dance) again.
        let claims = try await client.userinfoClaims(tokens)
        XCTAssertEqual(claims.sub, "apple|swift-signer")
        XCTAssertEqual(signer.signatures, 4)
    }

    final class Refusing: DpopSigner, @unchecked Sendable {
        let inner = PlatformP256Signer()
        func publicKey() throws -> Data { try inner.publicKey() }
        func sign(message: Data) throws -> Data { throw SignerError.Failed(message: "user cancelled Face ID") }
    }

    func testAThrowingSignerIsATypedSignerError() async throws {
        let client = try TokenExchangeClient(
            domain: base, clientId: Emulator.clientId, dpopKey: try DpopKey.fromSigner(signer: Refusing())
        )
        let error = await expectError { try await client.nativeSocialExchange(.apple(authorizationCode: "unused-code")) }
        guard case let .Signer(message, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(message.contains("user cancelled Face ID"), message)
        XCTAssertFalse(error!.requestMayHaveReachedServer())
    }

    /// Waits, as a biometric prompt does, until the test answers it: it cannot finish before the
    /// call gives up. (A minute without an answer only happens when the client waits for it,
    /// which is the failure the test catches.)
    final class Prompting: DpopSigner, @unchecked Sendable {
        let inner = PlatformP256Signer()
        let answered = DispatchSemaphore(value: 0)
        let gaveUp = Collected<Bool>()
        func publicKey() throws -> Data { try inner.publicKey() }
        func sign(message: Data) throws -> Data {
            if answered.wait(timeout: .now() + 60) == .timedOut { gaveUp.append(true) }
            answered.signal()  // answered for good: later proofs do not wait
            return try inner.sign(message: message)
        }
    }

    func testASignerWaitingOnAPromptIsBoundedByTheTimeout() async throws {
        let signer = Prompting()
        let client = try TokenExchangeClient(
            domain: base, clientId: Emulator.clientId, dpopKey: try DpopKey.fromSigner(signer: signer)
        ) { $0.timeout = 0.3 }
        let error = await expectError { try await client.nativeSocialExchange(.apple(authorizationCode: "never-sent-code")) }
        guard case let .Timeout(info)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertFalse(info.requestMayHaveReachedServer, "nothing was sent while the prompt was open")
        signer.answered.signal()
        XCTAssertTrue(signer.gaveUp.all.isEmpty, "the call waited for the prompt")
    }

    struct KeychainLocked: Error {}

    final class Broken: DpopSigner, @unchecked Sendable {
        let inner = PlatformP256Signer()
        func publicKey() throws -> Data { try inner.publicKey() }
        func sign(message: Data) throws -> Data { throw KeychainLocked() }
    }

    func testAnUnexpectedSwiftErrorIsASignerErrorNotACrash() async throws {
        let client = try TokenExchangeClient(
            domain: base, clientId: Emulator.clientId, dpopKey: try DpopKey.fromSigner(signer: Broken())
        )
        let error = await expectError { try await client.nativeSocialExchange(.apple(authorizationCode: "unused-code")) }
        guard case let .Signer(message, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(message.contains("unexpected"), message)
    }

    final class Compressed: DpopSigner, @unchecked Sendable {
        func publicKey() throws -> Data { Data([0x02] + [UInt8](repeating: 1, count: 32)) }
        func sign(message: Data) throws -> Data { Data(count: 64) }
    }

    func testAnUnusablePublicKeyIsRefusedWhenTheKeyIsMade() {
        XCTAssertThrowsError(try DpopKey.fromSigner(signer: Compressed())) { error in
            guard case let .Signer(message, _)? = error as? TokenExchangeError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("public key"), message)
        }
    }
}
