import Foundation
import TokenExchangeBindings

/// Where a `CredentialsManager` keeps its one record: implement it over your own storage, or
/// use `KeychainCredentialStore` (Apple platforms), `MemoryCredentialStore` or
/// `FileCredentialStore`. The record is an opaque, versioned string holding tokens: store it as
/// it is, somewhere only the app can read, and never log it. The manager calls the store from
/// the library's blocking threads, one call at a time: it may block, and must be thread-safe.
/// Throw `CredentialStoreError.Failed(message:)` (never with the record in the message).
public typealias CredentialStore = TokenExchangeBindings.CredentialStore
/// What a `CredentialStore` throws.
public typealias CredentialStoreError = TokenExchangeBindings.CredentialStoreError
/// What happened to the refresh token when `CredentialsManager.clear()` signed out.
public typealias Revocation = TokenExchangeBindings.Revocation
/// Why the user must sign in again (`TokenExchangeError.SignInRequired`).
public typealias SignInReason = TokenExchangeBindings.SignInReason
/// What is wrong with the credential store (`TokenExchangeError.CredentialStore`).
public typealias CredentialStoreProblem = TokenExchangeBindings.CredentialStoreProblem

/// Keeps the user signed in after the exchange: stores the token set in a `CredentialStore`,
/// hands it out while it is fresh, renews it with the refresh token when it is about to expire,
/// and forgets it when it can no longer be used.
///
/// ```swift
/// let manager = CredentialsManager(client: client, store: KeychainCredentialStore())
/// try await manager.save(tokens)                     // right after the exchange
/// do {
///     let tokens = try await manager.credentials(minTTL: 60)   // before each API call
/// } catch let error as TokenExchangeError where error.isSignInRequired() {
///     showSignIn()                                   // refresh token refused, key lost, nothing stored
/// }
/// ```
///
/// One operation runs at a time: concurrent callers wait for the renewal in flight and share its
/// result (fifty callers with expired tokens make one request). Cancelling a calling `Task`
/// makes that call throw `TokenExchangeError.Cancelled` at once, but an operation that started
/// finishes in the background, so that a rotated refresh token the server issued is saved, not
/// lost. Use one manager per store, with the client (and DPoP key) of the exchange.
public final class CredentialsManager: Sendable {
    private let bridge: TokenExchangeBindings.CredentialsManager

    /// A manager that renews through `client` and keeps the tokens in `store`.
    public init(client: TokenExchangeClient, store: CredentialStore) {
        bridge = TokenExchangeBindings.CredentialsManager(client: client.bridge, store: store)
    }

    /// Stores `tokens` (right after the sign-in), replacing what was stored.
    public func save(_ tokens: TokenSet) async throws {
        try await withTaskCancellation { token in
            try await self.bridge.save(tokens: tokens, cancellation: token)
        }
    }

    /// The stored tokens, renewed first when they expire within `minTTL` seconds.
    ///
    /// `isSignInRequired()` on the error means: show the sign-in screen (`SignInRequired`:
    /// nothing stored, no refresh token, or the refresh token was refused and the store cleared;
    /// `DpopKeyMismatch`/`DpopKeyMissing`: the tokens are bound to a key the client no longer
    /// has, the store was cleared and nothing was sent). Network and server failures leave the
    /// store as it was: the user stays signed in, try again later.
    public func credentials(minTTL: TimeInterval) async throws -> TokenSet {
        try await withTaskCancellation { token in
            try await self.bridge.credentials(minTtl: minTTL, cancellation: token)
        }
    }

    /// Renews the stored tokens now, whatever their expiry. Errors as for `credentials(minTTL:)`.
    public func renew() async throws -> TokenSet {
        try await withTaskCancellation { token in
            try await self.bridge.renew(cancellation: token)
        }
    }

    /// Signs out: revokes the stored refresh token at the server, then removes the record, even
    /// when revocation failed (signing out must work offline); the result says which. Throws only
    /// when the store cannot remove the record.
    @discardableResult
    public func clear() async throws -> Revocation {
        try await withTaskCancellation { token in
            try await self.bridge.clear(cancellation: token)
        }
    }
}

/// A `CredentialStore` in memory (the library's, which wipes the record when it is replaced or
/// dropped): for tests, and for a session that ends with the process.
public final class MemoryCredentialStore: CredentialStore {
    private let store = TokenExchangeBindings.memoryCredentialStore()

    /// An empty store.
    public init() {}

    public func load() throws -> String? { try store.load() }
    public func save(record: String) throws { try store.save(record: record) }
    public func clear() throws { try store.clear() }
}

/// A `CredentialStore` in one file readable only by its owner (the library's: mode `0600`,
/// replaced atomically, symbolic links never followed), for command-line tools and servers. On
/// iOS and macOS apps prefer `KeychainCredentialStore`.
public final class FileCredentialStore: CredentialStore {
    private let store: CredentialStore

    /// A store in the file at `path` (missing directories are created, mode `0700`).
    public init(path: String) {
        store = TokenExchangeBindings.fileCredentialStore(path: path)
    }

    public func load() throws -> String? { try store.load() }
    public func save(record: String) throws { try store.save(record: record) }
    public func clear() throws { try store.clear() }
}
