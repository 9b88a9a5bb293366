import Foundation
import TokenExchange

/// A DPoP signer written in Swift with the platform's crypto: CryptoKit on Apple platforms,
/// the system's libcrypto (OpenSSL 3, loaded with dlopen) on Linux. The Rust library never
/// sees the private key, as with a Secure Enclave key.
#if canImport(CryptoKit)
import CryptoKit

final class PlatformP256Signer: DpopSigner, @unchecked Sendable {
    private let key = P256.Signing.PrivateKey()
    private(set) var signatures = 0
    private let lock = NSLock()

    func publicKey() throws -> Data { key.publicKey.x963Representation }

    func sign(message: Data) throws -> Data {
        lock.lock()
        signatures += 1
        lock.unlock()
        return try key.signature(for: message).derRepresentation
    }
}
#else
#if canImport(Glibc)
import Glibc
#endif

final class PlatformP256Signer: DpopSigner, @unchecked Sendable {
    private typealias NewByCurveName = @convention(c) (Int32) -> OpaquePointer?
    private typealias GenerateKey = @convention(c) (OpaquePointer?) -> Int32
    private typealias FreeKey = @convention(c) (OpaquePointer?) -> Void
    private typealias EncodePublic = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    private typealias Sha256 = @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?) -> UnsafeMutablePointer<UInt8>?
    private typealias SignatureSize = @convention(c) (OpaquePointer?) -> Int32
    private typealias Sign = @convention(c) (
        Int32, UnsafePointer<UInt8>?, Int32, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?, OpaquePointer?
    ) -> Int32

    private static let libcrypto: UnsafeMutableRawPointer? = dlopen("libcrypto.so.3", RTLD_NOW)
    private static func symbol<T>(_ name: String, as _: T.Type) -> T {
        guard let lib = libcrypto, let sym = dlsym(lib, name) else { fatalError("libcrypto: no \(name)") }
        return unsafeBitCast(sym, to: T.self)
    }

    /// NID_X9_62_prime256v1
    private static let p256 = Int32(415)
    private let key: OpaquePointer
    private let lock = NSLock()
    private(set) var signatures = 0

    init() {
        let new = Self.symbol("EC_KEY_new_by_curve_name", as: NewByCurveName.self)
        let generate = Self.symbol("EC_KEY_generate_key", as: GenerateKey.self)
        guard let key = new(Self.p256), generate(key) == 1 else { fatalError("libcrypto: key generation failed") }
        self.key = key
    }

    deinit {
        Self.symbol("EC_KEY_free", as: FreeKey.self)(key)
    }

    /// The SEC1 uncompressed point (65 bytes), as the Secure Enclave exports it.
    func publicKey() throws -> Data {
        let encode = Self.symbol("i2o_ECPublicKey", as: EncodePublic.self)
        let length = Int(encode(key, nil))
        var bytes = [UInt8](repeating: 0, count: length)
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return encode(key, &cursor)
        }
        guard written == length else { throw SignerError.Failed(message: "i2o_ECPublicKey failed") }
        return Data(bytes)
    }

    /// A DER ECDSA signature of SHA-256(message), as `SecKeyCreateSignature` returns.
    func sign(message: Data) throws -> Data {
        lock.lock()
        signatures += 1
        lock.unlock()
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = [UInt8](message)
        _ = Self.symbol("SHA256", as: Sha256.self)(bytes, bytes.count, &digest)
        var signature = [UInt8](repeating: 0, count: Int(Self.symbol("ECDSA_size", as: SignatureSize.self)(key)))
        var length: UInt32 = 0
        let ok = Self.symbol("ECDSA_sign", as: Sign.self)(0, digest, 32, &signature, &length, key)
        guard ok == 1 else { throw SignerError.Failed(message: "ECDSA_sign failed") }
        return Data(signature.prefix(Int(length)))
    }
}
#endif
