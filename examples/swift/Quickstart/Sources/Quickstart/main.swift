// Quickstart for token-exchange in Swift: trade a Sign in with Apple authorization code for
// DPoP-bound Auth0 tokens, then call /userinfo with them.
//
//   cd examples/swift/Quickstart && TOKEN_EXCHANGE_EMULATOR_URL=http://127.0.0.1:8787 \
//     TOKEN_EXCHANGE_EMULATOR_JSON='{...the line the emulator printed...}' swift run Quickstart
//   cd examples/swift/Quickstart && swift run Quickstart tenant.us.auth0.com CLIENT_ID APPLE_AUTHORIZATION_CODE
//
// In an app the code comes from ASAuthorizationAppleIDCredential: use
// `NativeSocialExchange.apple(credential:)`; the client keeps its DPoP key in the Secure Enclave.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TokenExchange

let arguments = CommandLine.arguments.dropFirst().map { $0 }
let emulator = ProcessInfo.processInfo.environment["TOKEN_EXCHANGE_EMULATOR_URL"]

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: Quickstart DOMAIN CLIENT_ID APPLE_CODE (or set TOKEN_EXCHANGE_EMULATOR_URL)\n".utf8))
    exit(2)
}

/// Emulator only: mints an Apple authorization code through its control endpoint, which needs
/// the `control_secret` of the line the emulator printed at start.
func mintAppleCode(_ baseUrl: String) async throws -> String {
    let line = ProcessInfo.processInfo.environment["TOKEN_EXCHANGE_EMULATOR_JSON"] ?? "{}"
    let startup = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    guard let secret = startup?["control_secret"] as? String else { usage() }
    var request = URLRequest(url: URL(string: "\(baseUrl)/emulator/apple/authorization-codes")!)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
    request.httpBody = Data(#"{"sub":"apple|swift-quickstart","email":"sq@example.com"}"#.utf8)
    let data: Data = try await withCheckedThrowingContinuation { continuation in
        URLSession.shared.dataTask(with: request) { data, _, error in
            if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: data ?? Data()) }
        }.resume()
    }
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    guard let code = object?["code"] as? String else { throw URLError(.badServerResponse) }
    return code
}

guard let domain = arguments.first ?? emulator else { usage() }
let clientId = arguments.count > 1 ? arguments[1] : "native-app"
let code: String
if arguments.count > 2 {
    code = arguments[2]
} else if let emulator {
    code = try await mintAppleCode(emulator)
} else {
    usage()
}
print("token-exchange \(libraryVersion())")

do {
    // 1. One client per application. By default it signs DPoP proofs with the platform's key
    //    (`PlatformDpopKey`: Secure Enclave, else the Keychain) and sends its requests with
    //    `URLSession` (`URLSessionTransport`).
    let client = try TokenExchangeClient(domain: domain, clientId: clientId)

    // 2. The exchange (Apple gives the user's name on the first sign-in only).
    var name = PersonNameComponents()
    name.givenName = "John"
    name.familyName = "Smith"
    let tokens = try await client.nativeSocialExchange(
        .apple(authorizationCode: code, fullName: name, audience: "https://api.example.com")
    )
    print("got \(tokens)") // redacted: no token value is printed
    guard tokens.isDpopBound(), tokens.dpopJkt == client.dpopThumbprint() else { exit(1) }

    // 3. Use the tokens.
    let claims = try await client.userinfoClaims(tokens)
    print("userinfo: sub=\(claims.sub), name=\(claims.name ?? "?")")
} catch let error as TokenExchangeError {
    FileHandle.standardError.write(Data("exchange failed: \(error)\n".utf8))
    if error.isMfaRequired() {
        FileHandle.standardError.write(Data("  -> complete MFA with the mfa token \(error.mfaToken!)\n".utf8))
    } else if error.requestMayHaveReachedServer() {
        FileHandle.standardError.write(Data("  -> the Apple code may be spent: sign in again\n".utf8))
    }
    exit(1)
}
