// A DPoP key in the Secure Enclave: the private key is generated inside it and never leaves,
// so tokens bound to it cannot be replayed from another device. Apple platforms only
// (Security.framework); not compiled on Linux.
#if canImport(Security) && (os(iOS) || os(macOS))
import Foundation
import TokenExchangeBindings
import Security

/// A `DpopSigner` whose P-256 key lives in the Secure Enclave.
///
/// ```swift
/// let key = try DpopKey.fromSigner(signer: SecureEnclaveSigner.loadOrCreate())
/// let client = try TokenExchangeClient(domain: "tenant.us.auth0.com", clientId: "ID", dpopKey: key)
/// ```
///
/// The public key is handed over as the 65-byte SEC1 point `SecKeyCopyExternalRepresentation`
/// returns and signatures as the DER `SecKeyCreateSignature` returns; the library converts both.
@available(iOS 13.0, macOS 10.15, *)
public final class SecureEnclaveSigner: DpopSigner, @unchecked Sendable {
    /// The Keychain application tag used when none is given.
    public static let defaultTag = "com.tokenexchange.dpop"

    private let privateKey: SecKey

    /// Wraps an existing Secure Enclave (or any P-256) private key.
    public init(privateKey: SecKey) {
        self.privateKey = privateKey
    }

    /// The key stored under `tag`, created in the Secure Enclave on first use.
    /// `flags` can add user presence (`.userPresence`, `.biometryCurrentSet`): every proof then
    /// needs the user, so keep the default (`.privateKeyUsage`) unless the app wants that.
    /// With user presence, the prompt counts against the client's `timeout`: an exchange whose
    /// prompt is still open then throws `.Timeout` (nothing was sent), and a cancelled `Task`
    /// throws `.Cancelled` at once; the prompt itself stays on screen until the user answers
    /// it (its signature is discarded). Invalidate the `LAContext` you gave the key if the
    /// prompt must close with the call.
    public static func loadOrCreate(
        tag: String = defaultTag,
        flags: SecAccessControlCreateFlags = [.privateKeyUsage]
    ) throws -> SecureEnclaveSigner {
        if let existing = try load(tag: tag) {
            return SecureEnclaveSigner(privateKey: existing)
        }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            kCFAllocatorDefault,
            kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
            flags,
            &error
        ) else {
            throw failure("could not create the access control", error)
        }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs as String: [
                kSecAttrIsPermanent as String: true,
                kSecAttrApplicationTag as String: Data(tag.utf8),
                kSecAttrAccessControl as String: access,
            ] as [String: Any],
        ]
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            throw failure("could not create a Secure Enclave key", error)
        }
        return SecureEnclaveSigner(privateKey: key)
    }

    /// Deletes the key stored under `tag` (sign-out for good, or after `DpopKeyMismatch`).
    public static func delete(tag: String = defaultTag) {
        let query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrApplicationTag as String: Data(tag.utf8),
        ]
        SecItemDelete(query as CFDictionary)
    }

    private static func load(tag: String) throws -> SecKey? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrApplicationTag as String: Data(tag.utf8),
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecReturnRef as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let item, CFGetTypeID(item) == SecKeyGetTypeID() else { return nil }
            return (item as! SecKey)
        case errSecItemNotFound:
            return nil
        default:
            throw SignerError.Failed(message: "Keychain lookup failed (OSStatus \(status))")
        }
    }

    private static func failure(_ what: String, _ error: Unmanaged<CFError>?) -> SignerError {
        let code = error.map { CFErrorGetCode($0.takeRetainedValue()) } ?? 0
        return SignerError.Failed(message: "\(what) (CFError \(code))")
    }

    public func publicKey() throws -> Data {
        var error: Unmanaged<CFError>?
        guard let publicKey = SecKeyCopyPublicKey(privateKey),
              let data = SecKeyCopyExternalRepresentation(publicKey, &error) as Data?
        else {
            throw Self.failure("could not export the public key", error)
        }
        return data
    }

    public func sign(message: Data) throws -> Data {
        var error: Unmanaged<CFError>?
        guard let signature = SecKeyCreateSignature(
            privateKey,
            .ecdsaSignatureMessageX962SHA256,
            message as CFData,
            &error
        ) as Data? else {
            throw Self.failure("signing failed", error)
        }
        return signature
    }
}
#endif
