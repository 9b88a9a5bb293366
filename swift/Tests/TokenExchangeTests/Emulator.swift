import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TokenExchange
import XCTest

/// The emulator the tests run against (`TOKEN_EXCHANGE_EMULATOR_URL`) and its control endpoints,
/// which need the control secret of its startup line (`TOKEN_EXCHANGE_EMULATOR_JSON`).
enum Emulator {
    static let clientId = "native-app"
    static let api = "https://api.example.com"

    static var baseUrl: String {
        guard let url = ProcessInfo.processInfo.environment["TOKEN_EXCHANGE_EMULATOR_URL"], !url.isEmpty else {
            fatalError("TOKEN_EXCHANGE_EMULATOR_URL is not set: run the tests with `cargo xtask test --lang swift`")
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// The `control_secret` of the emulator's startup line.
    static var controlSecret: String {
        guard let line = ProcessInfo.processInfo.environment["TOKEN_EXCHANGE_EMULATOR_JSON"],
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let secret = object["control_secret"] as? String
        else {
            fatalError("TOKEN_EXCHANGE_EMULATOR_JSON has no control_secret: run the tests with `cargo xtask test --lang swift`")
        }
        return secret
    }

    /// POSTs JSON to a control endpoint and returns the response body (blocking).
    private static func post(_ path: String, _ body: String) throws -> String {
        var request = URLRequest(url: URL(string: baseUrl + path)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(controlSecret)", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(body.utf8)
        let done = DispatchSemaphore(value: 0)
        let result = Collected<Result<(Data, Int), Error>>()
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                result.append(.failure(error))
            } else {
                result.append(.success((data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0)))
            }
            done.signal()
        }.resume()
        done.wait()
        guard let outcome = result.all.first else { throw URLError(.unknown) }
        let (data, status) = try outcome.get()
        let text = String(decoding: data, as: UTF8.self)
        guard (200..<300).contains(status) else {
            throw NSError(domain: "Emulator", code: status, userInfo: [NSLocalizedDescriptionKey: "POST \(path): \(text)"])
        }
        return text
    }

    private static func field(_ json: String, _ name: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        guard let value = object?[name] as? String else {
            throw NSError(domain: "Emulator", code: 0, userInfo: [NSLocalizedDescriptionKey: "no \(name) in \(json)"])
        }
        return value
    }

    /// A single-use Apple authorization code; its token response is delayed by `delayMs`.
    static func appleCode(sub: String = "apple|swift-user", email: String? = nil, delayMs: Int? = nil) throws -> String {
        var body: [String: Any] = ["sub": sub]
        if let email { body["email"] = email }
        if let delayMs { body["delay_ms"] = delayMs }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return try field(try post("/emulator/apple/authorization-codes", json), "code")
    }

    /// The sample tenant's token exchange profile for Google ID tokens (JavaScript Action `act_google`).
    static let googleProfile = "urn:token-exchange:google-id-token"

    /// The Token Vault backend API and its Custom API Client.
    static let vaultApi = "https://calendar-backend.example.com"
    static let vaultClientId = "calendar-backend"
    static let vaultClientSecret = "calendar-backend-secret"

    /// A Google ID token for `sub` from the emulator's test Google issuer.
    static func googleIdToken(sub: String, email: String? = nil) throws -> String {
        let body: [String: Any] = ["sub": sub, "email": email ?? "\(sub)@example.com"]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return try field(try post("/emulator/google/id-tokens", json), "id_token")
    }

    /// Connects `userId`'s account at `connection` in the Token Vault.
    static func connectAccount(userId: String, connection: String = "google-oauth2") throws {
        let body: [String: Any] = ["user_id": userId, "connection": connection]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        _ = try post("/emulator/vault/connect", json)
    }

    /// A Facebook session token (reusable until it expires).
    static func facebookToken() throws -> String {
        try field(try post("/emulator/facebook/session-tokens", "{}"), "token")
    }

    /// Makes the next /oauth/token request get this response.
    static func queueTokenResponse(status: Int, contentType: String, body: String, headers: [String: String] = [:]) throws {
        let canned: [String: Any] = ["status": status, "content_type": contentType, "body": body, "headers": headers]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: canned), as: UTF8.self)
        _ = try post("/emulator/token-responses", json)
    }

    /// Gives the tenant a new signing key (new `kid`), keeping the previous ones published.
    static func rotateSigningKey() throws {
        _ = try post("/emulator/rotate-signing-key", "{\"keep_previous\":true}")
    }

    /// A loopback port nothing listens on.
    static func closedPort() -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Asserts that `body` throws a `TokenExchangeError` and returns it.
func expectError<T>(
    _ body: () async throws -> T,
    file: StaticString = #filePath,
    line: UInt = #line
) async -> TokenExchangeError? {
    do {
        _ = try await body()
        XCTFail("expected a TokenExchangeError, the call succeeded", file: file, line: line)
    } catch let error as TokenExchangeError {
        return error
    } catch {
        XCTFail("expected a TokenExchangeError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Values collected from several threads or tasks.
final class Collected<T>: @unchecked Sendable {
    private var items: [T] = []
    private let lock = NSLock()

    func append(_ item: T) {
        lock.lock()
        defer { lock.unlock() }
        items.append(item)
    }

    var all: [T] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
