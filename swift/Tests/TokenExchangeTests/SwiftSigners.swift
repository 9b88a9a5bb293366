import Foundation
@testable import TokenExchange

/// A DPoP signer written in Swift with the platform's crypto (the package's `P256Signer`:
/// CryptoKit on Apple platforms, the system's libcrypto on Linux) that counts its signatures.
/// The Rust library never sees the private key, as with a Secure Enclave key.
final class PlatformP256Signer: DpopSigner, @unchecked Sendable {
    private let key = try! P256Signer()
    private let lock = NSLock()
    private var count = 0

    var signatures: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func publicKey() throws -> Data { try key.publicKey() }

    func sign(message: Data) throws -> Data {
        lock.lock()
        count += 1
        lock.unlock()
        return try key.sign(message: message)
    }
}
