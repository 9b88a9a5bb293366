import Foundation
import TokenExchange
import XCTest

/// A `CredentialStore` written in Swift: what an app does over its own storage. It counts what
/// the manager asks of it.
final class SwiftStore: CredentialStore, @unchecked Sendable {
    private let lock = NSLock()
    private var record: String?
    private(set) var saves = 0
    private(set) var clears = 0
    var failing = false

    func load() throws -> String? {
        try locked { record }
    }

    func save(record: String) throws {
        try locked {
            saves += 1
            self.record = record
        }
    }

    func clear() throws {
        try locked {
            clears += 1
            record = nil
        }
    }

    var stored: String? {
        lock.lock()
        defer { lock.unlock() }
        return record
    }

    private func locked<T>(_ body: () -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if failing { throw CredentialStoreError.Failed(message: "the store is locked") }
        return body()
    }
}

/// `CredentialsManager` against the emulator, over a store written in Swift.
final class CredentialsManagerTests: XCTestCase {
    /// Long enough that tokens living an hour always need renewing.
    let twoDays: TimeInterval = 2 * 86_400

    func signedIn(_ sub: String) async throws -> (TokenExchangeClient, CredentialsManager, SwiftStore, TokenSet) {
        let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: RefreshTests.rotatingClientId)
        let tokens = try await RefreshTests.signIn(client, sub: sub)
        let store = SwiftStore()
        let manager = CredentialsManager(client: client, store: store)
        try await manager.save(tokens)
        return (client, manager, store, tokens)
    }

    func testStoredTokensAreHandedOutThenRenewedAndSaved() async throws {
        let (_, manager, store, tokens) = try await signedIn("apple|swift-manager")
        XCTAssertEqual(store.saves, 1)
        let record = try XCTUnwrap(store.stored)
        XCTAssertFalse(record.isEmpty)

        let fresh = try await manager.credentials(minTTL: 60)
        XCTAssertTrue(fresh.accessToken == tokens.accessToken, "fresh tokens are not renewed")
        XCTAssertEqual(fresh.idTokenClaims?.sub, "apple|swift-manager")
        XCTAssertEqual(store.saves, 1)

        let renewed = try await manager.credentials(minTTL: twoDays)
        XCTAssertFalse(renewed.accessToken == tokens.accessToken)
        XCTAssertFalse(renewed.refreshToken == tokens.refreshToken, "rotated")
        XCTAssertEqual(store.saves, 2, "the renewed tokens were saved")
        XCTAssertFalse(store.stored == record)

        let again = try await manager.renew()
        XCTAssertFalse(again.accessToken == renewed.accessToken)
        XCTAssertEqual(again.idTokenClaims?.sub, "apple|swift-manager")
        XCTAssertEqual(store.saves, 3)

        // Sign-out revokes at the server, then forgets.
        let revocation = try await manager.clear()
        XCTAssertEqual(revocation, .revoked)
        XCTAssertNil(store.stored)
        let error = await expectError { try await manager.credentials(minTTL: 0) }
        XCTAssertTrue(error?.isSignInRequired() ?? false)
        guard case .SignInRequired(.noCredentials, _)? = error else {
            return XCTFail("expected SignInRequired(noCredentials), got \(String(describing: error))")
        }
    }

    func testFiftyConcurrentCallersShareOneRefresh() async throws {
        let (client, manager, store, tokens) = try await signedIn("apple|swift-fifty")
        // Stored as they are an hour after they expired: every caller needs them renewed, and the
        // renewed ones (living an hour) satisfy every caller.
        var aged = tokens
        aged.expiresAt = Int64(Date().timeIntervalSince1970) - 3600
        try await manager.save(aged)
        let results = try await withThrowingTaskGroup(of: TokenSet.self) { group in
            for _ in 0..<50 {
                group.addTask { try await manager.credentials(minTTL: 60) }
            }
            var all: [TokenSet] = []
            for try await tokens in group { all.append(tokens) }
            return all
        }
        XCTAssertEqual(results.count, 50)
        let first = results[0]
        XCTAssertFalse(first.accessToken == tokens.accessToken)
        // Each issuance has its own `jti`: one access token for all means one refresh. (Counts,
        // not the sets: a failure must not print tokens.)
        XCTAssertEqual(Set(results.map(\.accessToken)).count, 1)
        XCTAssertEqual(Set(results.map(\.refreshToken)).count, 1)
        XCTAssertEqual(store.saves, 3, "the sign-in, the aged copy, then one renewal")
        // `rotating-app` detects reuse: the family being alive shows no second refresh happened.
        _ = try await client.refresh(first)
    }

    /// The caller gets `Cancelled` at once; a renewal that started still finishes and saves the
    /// rotated refresh token. Had it been sent and not saved, the next renewal would reuse the
    /// spent token and `rotating-app` would refuse it (and revoke the family).
    func testACancelledRenewalKeepsTheUserSignedIn() async throws {
        let (_, manager, _, _) = try await signedIn("apple|swift-cancelled-renewal")
        let task = Task { () -> TokenSet in
            while !Task.isCancelled { await Task.yield() }
            return try await manager.renew()
        }
        task.cancel()
        if case .success = await task.result { XCTFail("a cancelled renewal returned tokens") }
        let renewed = try await manager.renew()
        XCTAssertEqual(renewed.idTokenClaims?.sub, "apple|swift-cancelled-renewal")
        _ = try await manager.credentials(minTTL: 60)
    }

    func testARefusedRefreshTokenClearsTheStoreAndAsksForSignIn() async throws {
        let (client, manager, store, tokens) = try await signedIn("apple|swift-refused")
        try await client.revoke(refreshToken: try XCTUnwrap(tokens.refreshToken))
        let error = await expectError { try await manager.credentials(minTTL: twoDays) }
        XCTAssertTrue(error?.isSignInRequired() ?? false)
        guard case .SignInRequired(.refreshTokenRejected(let code, _), _)? = error else {
            return XCTFail("expected SignInRequired(refreshTokenRejected), got \(String(describing: error))")
        }
        XCTAssertEqual(code, "invalid_grant")
        XCTAssertNil(store.stored)
        XCTAssertEqual(store.clears, 1)
    }

    func testAKeyMismatchClearsTheStoreWithoutSendingAnything() async throws {
        let (_, _, _, tokens) = try await signedIn("apple|swift-lost-key")
        // Another key, and nothing listens: a request sent would be a network error.
        let nowhere = "http://127.0.0.1:\(Emulator.closedPort())"
        let otherKey = try TokenExchangeClient(
            domain: nowhere, clientId: RefreshTests.rotatingClientId, dpopKey: try DpopKey.fromSigner(signer: PlatformP256Signer())
        )
        let store = SwiftStore()
        let manager = CredentialsManager(client: otherKey, store: store)
        try await manager.save(tokens)
        let error = await expectError { try await manager.credentials(minTTL: 0) }
        guard case .DpopKeyMismatch? = error else {
            return XCTFail("expected DpopKeyMismatch, got \(String(describing: error))")
        }
        XCTAssertTrue(error?.isSignInRequired() ?? false)
        XCTAssertNil(store.stored)
    }

    func testStoreFailuresAreTypedAndLoseNothing() async throws {
        let (_, manager, store, tokens) = try await signedIn("apple|swift-store-failure")
        store.failing = true
        let error = await expectError { try await manager.credentials(minTTL: 0) }
        guard case .CredentialStore(.failed(let message), _)? = error else {
            return XCTFail("expected CredentialStore(failed), got \(String(describing: error))")
        }
        XCTAssertEqual(message, "the store is locked")
        store.failing = false
        let after = try await manager.credentials(minTTL: 0)
        XCTAssertTrue(after.accessToken == tokens.accessToken)
    }

    func testTheLibraryStoresKeepTheRecord() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("te-swift-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("credentials").path
        for store in [MemoryCredentialStore(), FileCredentialStore(path: path)] as [CredentialStore] {
            let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Emulator.clientId)
            let tokens = try await RefreshTests.signIn(client, sub: "apple|swift-library-store")
            try await CredentialsManager(client: client, store: store).save(tokens)
            // A new manager (a relaunch) over the same store finds the tokens.
            let found = try await CredentialsManager(client: client, store: store).credentials(minTTL: 0)
            XCTAssertTrue(found.accessToken == tokens.accessToken)
            XCTAssertNotNil(try store.load())
            XCTAssertFalse("\(found)".contains(tokens.accessToken), "tokens print redacted")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }
}
