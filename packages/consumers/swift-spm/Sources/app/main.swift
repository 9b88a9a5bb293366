// Trades a Sign in with Apple authorization code for DPoP-bound tokens and reads /userinfo with
// them: app DOMAIN CLIENT_ID APPLE_CODE (the packages suite passes the emulator's address).
import Foundation
import TokenExchange

let args = CommandLine.arguments
guard args.count == 4 else {
    FileHandle.standardError.write("usage: app DOMAIN CLIENT_ID APPLE_CODE\n".data(using: .utf8)!)
    exit(2)
}

do {
    // The defaults: the platform's DPoP key (Secure Enclave or Keychain on Apple platforms, a
    // software key in memory on Linux) and URLSession.
    let client = try TokenExchangeClient(domain: args[1], clientId: args[2])
    let tokens = try await client.nativeSocialExchange(.apple(authorizationCode: args[3]))
    guard tokens.isDpopBound(), tokens.dpopJkt == client.dpopThumbprint() else {
        FileHandle.standardError.write("the tokens are not bound to the key\n".data(using: .utf8)!)
        exit(1)
    }
    let claims = try await client.userinfo(tokens)
    guard claims["sub"] != nil else {
        FileHandle.standardError.write("userinfo has no sub\n".data(using: .utf8)!)
        exit(1)
    }
    print("token-exchange \(libraryVersion()): DPoP-bound tokens, userinfo read")
} catch let error as TokenExchangeError {
    FileHandle.standardError.write("exchange failed: \(error)\n".data(using: .utf8)!)
    exit(1)
}
