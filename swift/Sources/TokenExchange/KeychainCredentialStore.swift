#if canImport(Security)
import Foundation
import Security
import TokenExchangeBindings

/// A `CredentialStore` in the Keychain: one generic password item (`service`, `account`),
/// `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: readable once the device was unlocked
/// after a restart (so background refreshes work), and never restored to another device from a
/// backup (tokens bound to this device's DPoP key would be useless there).
///
/// Compiled on Apple platforms only, and NOT exercised by this repository's CI, which runs on
/// Linux: its tests drive the same `CredentialStore` protocol with stores written in Swift. It
/// only reads, writes and deletes one item.
public final class KeychainCredentialStore: CredentialStore {
    /// The item's `kSecAttrService`.
    public let service: String
    /// The item's `kSecAttrAccount`.
    public let account: String

    /// The item `service`/`account` (by default the app's bundle identifier and `credentials`).
    public init(service: String = Bundle.main.bundleIdentifier ?? "token-exchange", account: String = "credentials") {
        self.service = service
        self.account = account
    }

    private var item: [String: Any] {
        [kSecClass as String: kSecClassGenericPassword, kSecAttrService as String: service, kSecAttrAccount as String: account]
    }

    public func load() throws -> String? {
        var query = item
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = result as? Data else { throw failure("read", status) }
        guard let record = String(data: data, encoding: .utf8) else {
            throw CredentialStoreError.Failed(message: "the Keychain item is not UTF-8")
        }
        return record
    }

    public func save(record: String) throws {
        let value: [String: Any] = [
            kSecValueData as String: Data(record.utf8),
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemUpdate(item as CFDictionary, value as CFDictionary)
        if status == errSecItemNotFound {
            status = SecItemAdd(item.merging(value) { $1 } as CFDictionary, nil)
        }
        guard status == errSecSuccess else { throw failure("write", status) }
    }

    public func clear() throws {
        let status = SecItemDelete(item as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw failure("delete", status) }
    }

    private func failure(_ action: String, _ status: OSStatus) -> CredentialStoreError {
        .Failed(message: "could not \(action) the Keychain item (OSStatus \(status))")
    }
}
#endif
