import Foundation
import TokenExchange
import XCTest

/// The emulator delays the token response of these Apple codes by `delayMs`, past the client's
/// own 30 s timeout: only the cancellation can end a call with `Cancelled`, and no token set may
/// arrive. Nothing is timed, so a loaded machine cannot make these tests fail.
final class CancellationTests: XCTestCase {
    let delayMs = 120_000
    var client: TokenExchangeClient!

    override func setUpWithError() throws {
        client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Emulator.clientId)
    }

    func testCancellingTheTaskAbortsTheExchange() async throws {
        let request = NativeSocialExchange.apple(authorizationCode: try Emulator.appleCode(delayMs: delayMs))
        let client = self.client!
        let task = Task { try await client.nativeSocialExchange(request) }
        try await Task.sleep(nanoseconds: 300_000_000)
        task.cancel()
        let result = await task.result
        switch result {
        case .success:
            XCTFail("the exchange completed despite the cancellation")
        case let .failure(error):
            XCTAssertTrue((error as? TokenExchangeError)?.isCancelled ?? false, "\(error)")
            XCTAssertTrue((error as? TokenExchangeError)?.requestMayHaveReachedServer() ?? false)
        }
    }

    func testATaskAlreadyCancelledNeverSendsTheRequest() async throws {
        let code = try Emulator.appleCode(sub: "apple|swift-precancelled")
        let client = self.client!
        let task = Task { () -> TokenSet in
            while !Task.isCancelled { await Task.yield() }
            return try await client.nativeSocialExchange(.apple(authorizationCode: code))
        }
        task.cancel()
        let result = await task.result
        if case .success = result { XCTFail("a cancelled task exchanged the code") }
        // The code was never sent, so it still works.
        let tokens = try await client.nativeSocialExchange(.apple(authorizationCode: code))
        XCTAssertTrue(tokens.isDpopBound())
    }
}
