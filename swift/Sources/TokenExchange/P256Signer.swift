import Foundation
import TokenExchangeBindings

// A P-256 software key signing in Swift with the platform's crypto, for `PlatformDpopKey`
// where there is no Secure Enclave: CryptoKit on Apple platforms, the system's libcrypto
// (OpenSSL 3, loaded with dlopen) on Linux. The Rust library never sees the private key.
#if canImport(CryptoKit)
import CryptoKit

/// A CryptoKit P-256 key (Apple platforms; not exercised on this project's CI).
final class P256Signer: DpopSigner, @unchecked Sendable {
    private let key: P256.Signing.PrivateKey

    init(_ key: P256.Signing.PrivateKey) { self.key = key }

    convenience init() throws { self.init(P256.Signing.PrivateKey()) }

    func publicKey() throws -> Data { key.publicKey.x963Representation }

    func sign(message: Data) throws -> Data { try key.signature(for: message).derRepresentation }
}
#else
#if canImport(Glibc)
import Glibc
#endif

/// A P-256 key of the system's libcrypto (`libcrypto.so.3`), held in memory (Linux).
final class P256Signer: DpopSigner, @unchecked Sendable {
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
    private static func symbol<T>(_ name: String, as _: T.Type) throws -> T {
        guard let lib = libcrypto, let sym = dlsym(lib, name) else {
            throw SignerError.Failed(message: "libcrypto.so.3 (OpenSSL 3) is unavailable: no \(name)")
        }
        return unsafeBitCast(sym, to: T.self)
    }

    /// NID_X9_62_prime256v1
    private static let p256 = Int32(415)
    private let key: OpaquePointer

    init() throws {
        let new = try Self.symbol("EC_KEY_new_by_curve_name", as: NewByCurveName.self)
        let generate = try Self.symbol("EC_KEY_generate_key", as: GenerateKey.self)
        guard let key = new(Self.p256) else { throw SignerError.Failed(message: "libcrypto: no P-256 key") }
        guard generate(key) == 1 else {
            try? Self.symbol("EC_KEY_free", as: FreeKey.self)(key)
            throw SignerError.Failed(message: "libcrypto: key generation failed")
        }
        self.key = key
    }

    deinit {
        // EC_KEY_free wipes the private scalar.
        try? Self.symbol("EC_KEY_free", as: FreeKey.self)(key)
    }

    /// The SEC1 uncompressed point (65 bytes), as the Secure Enclave exports it.
    func publicKey() throws -> Data {
        let encode = try Self.symbol("i2o_ECPublicKey", as: EncodePublic.self)
        let length = Int(encode(key, nil))
        var bytes = [UInt8](repeating: 0, count: max(length, 0))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return encode(key, &cursor)
        }
        guard length > 0, written == length else { throw SignerError.Failed(message: "i2o_ECPublicKey failed") }
        return Data(bytes)
    }

    /// A DER ECDSA signature of SHA-256(message), as `SecKeyCreateSignature` returns.
    func sign(message: Data) throws -> Data {
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = [UInt8](message)
        _ = try Self.symbol("SHA256", as: Sha256.self)(bytes, bytes.count, &digest)
        var signature = [UInt8](repeating: 0, count: Int(try Self.symbol("ECDSA_size", as: SignatureSize.self)(key)))
        var length: UInt32 = 0
        let ok = try Self.symbol("ECDSA_sign", as: Sign.self)(0, digest, 32, &signature, &length, key)
        guard ok == 1 else { throw SignerError.Failed(message: "ECDSA_sign failed") }
        return Data(signature.prefix(Int(length)))
    }
}
#endif
