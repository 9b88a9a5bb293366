import Foundation
import TokenExchangeBindings

/// The DPoP key a `TokenExchangeClient` gets when none is given: a P-256 key kept by the
/// platform under a tag, created on first use and found again afterwards, so tokens bound to
/// it keep working across clients and (on Apple platforms) relaunches.
///
/// - iOS and macOS: a Secure Enclave key where the device has one (`SecureEnclaveSigner`),
///   else a CryptoKit key stored in the Keychain as a generic password; both are
///   `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly` (usable in the background after the
///   first unlock, never restored to another device). This Apple-only code is compiled out on
///   Linux and not exercised on this project's CI.
/// - Linux (and other platforms without CryptoKit): a software key from the system's
///   libcrypto (OpenSSL 3), kept in memory for the life of the process: clients created with
///   the same tag share it. The tests run this path.
///
/// The Rust library never sees the private key: it asks the key to sign each proof.
public enum PlatformDpopKey {
    /// The tag used when none is given.
    public static let defaultTag = "com.tokenexchange.dpop"

    /// The key kept under `tag`, created on first use.
    public static func loadOrCreate(tag: String = defaultTag) throws -> DpopKey {
        try DpopKey.fromSigner(signer: store.signer(tag: tag))
    }

    /// Forgets the key kept under `tag` (sign-out for good, or after `DpopKeyMismatch`): the
    /// next `loadOrCreate` makes a new one, and tokens bound to the old one stop working.
    public static func delete(tag: String = defaultTag) {
        store.delete(tag: tag)
    }

    private static let store = KeyStore()
}

#if canImport(Security) && canImport(CryptoKit) && (os(iOS) || os(macOS))
import CryptoKit
import Security

/// Apple platforms: Secure Enclave, else a CryptoKit key in the Keychain. Not compiled on
/// Linux; not exercised on this project's CI.
private final class KeyStore: @unchecked Sendable {
    private let lock = NSLock()

    func signer(tag: String) throws -> DpopSigner {
        lock.lock()
        defer { lock.unlock() }
        if SecureEnclave.isAvailable {
            return try SecureEnclaveSigner.loadOrCreate(tag: tag)
        }
        if let stored = try Self.read(tag: tag) {
            return P256Signer(try P256.Signing.PrivateKey(rawRepresentation: stored))
        }
        let key = P256.Signing.PrivateKey()
        try Self.write(tag: tag, key.rawRepresentation)
        return P256Signer(key)
    }

    func delete(tag: String) {
        lock.lock()
        defer { lock.unlock() }
        SecureEnclaveSigner.delete(tag: tag)
        SecItemDelete(Self.query(tag: tag) as CFDictionary)
    }

    private static func query(tag: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: tag,
            kSecAttrAccount as String: "dpop-p256",
        ]
    }

    private static func read(tag: String) throws -> Data? {
        var query = query(tag: tag)
        query[kSecReturnData as String] = true
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        default: throw SignerError.Failed(message: "Keychain lookup failed (OSStatus \(status))")
        }
    }

    private static func write(tag: String, _ secret: Data) throws {
        var attributes = query(tag: tag)
        attributes[kSecValueData as String] = secret
        attributes[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(attributes as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw SignerError.Failed(message: "Keychain write failed (OSStatus \(status))")
        }
    }
}
#else
/// Platforms without CryptoKit or the Keychain (Linux): software keys in memory, one per tag,
/// for the life of the process.
private final class KeyStore: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String: P256Signer] = [:]

    func signer(tag: String) throws -> DpopSigner {
        lock.lock()
        defer { lock.unlock() }
        if let key = keys[tag] { return key }
        let key = try P256Signer()
        keys[tag] = key
        return key
    }

    func delete(tag: String) {
        lock.lock()
        keys[tag] = nil
        lock.unlock()
    }
}
#endif
