import Foundation
import TokenExchange
import XCTest

/// One client shared by many tasks and threads at once.
final class ConcurrencyTests: XCTestCase {
    func testManyTasksShareOneClient() async throws {
        let key = try DpopKey.fromSigner(signer: PlatformP256Signer())
        let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Emulator.clientId, dpopKey: key)
        let codes = try (1...12).map { try Emulator.appleCode(sub: "apple|swift-task-\($0)") }
        let results = try await withThrowingTaskGroup(of: (Int, TokenSet, String).self) { group in
            for (i, code) in codes.enumerated() {
                group.addTask {
                    let tokens = try await client.nativeSocialExchange(.apple(authorizationCode: code, audience: Emulator.api))
                    let sub = try await client.userinfoClaims(tokens).sub
                    return (i + 1, tokens, sub)
                }
            }
            var all: [(Int, TokenSet, String)] = []
            for try await result in group { all.append(result) }
            return all
        }
        XCTAssertEqual(results.count, 12)
        for (i, tokens, sub) in results {
            XCTAssertEqual(tokens.dpopJkt, key.thumbprint())
            XCTAssertEqual(sub, "apple|swift-task-\(i)")
        }
        XCTAssertEqual(Set(results.map { $0.1.accessToken }).count, 12)
    }

    func testManyThreadsShareOneClient() throws {
        let key = try DpopKey.fromSigner(signer: PlatformP256Signer())
        let client = try TokenExchangeClient(domain: Emulator.baseUrl, clientId: Emulator.clientId, dpopKey: key)
        let codes = try (1...6).map { try Emulator.appleCode(sub: "apple|swift-thread-\($0)") }
        let bound = Collected<String?>()
        let failures = Collected<Error>()
        let group = DispatchGroup()
        for code in codes {
            group.enter()
            Thread.detachNewThread {
                let done = DispatchSemaphore(value: 0)
                Task {
                    do {
                        let tokens = try await client.nativeSocialExchange(.apple(authorizationCode: code))
                        bound.append(tokens.dpopJkt)
                    } catch {
                        failures.append(error)
                    }
                    done.signal()
                }
                done.wait()
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertTrue(failures.all.isEmpty, "\(failures.all)")
        XCTAssertEqual(bound.all, Array(repeating: key.thumbprint(), count: 6))
    }
}
