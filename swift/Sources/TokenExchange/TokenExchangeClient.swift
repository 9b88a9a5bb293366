import Foundation
import TokenExchangeBindings

/// A client for one Auth0 application. Create one per application and share it: it is
/// thread-safe, and every call on it uses one connection pool and one DPoP nonce store.
///
/// Every network call is `async` and honours `Task` cancellation: cancelling the calling task
/// aborts the HTTP request at once and throws `TokenExchangeError.Cancelled`. (The generated
/// client this class wraps is not public: its methods would ignore cancellation.)
public final class TokenExchangeClient: Sendable {
    /// The generated client. Internal: `TokenVaultCache` builds on it.
    let bridge: TokenExchangeBindings.TokenExchangeClient

    /// The SDK name sent in the `Auth0-Client` telemetry header.
    public static let swiftSDKName = "token-exchange-swift"

    /// Telemetry identifying this SDK, the Swift version and the platform.
    public static func swiftTelemetry() -> Telemetry {
        var env: [String: String] = [:]
        #if swift(>=6.0)
        env["swift"] = "6"
        #else
        env["swift"] = "5"
        #endif
        #if os(iOS)
        env["platform"] = "ios"
        #elseif os(macOS)
        env["platform"] = "macos"
        #elseif os(tvOS)
        env["platform"] = "tvos"
        #elseif os(watchOS)
        env["platform"] = "watchos"
        #elseif os(Linux)
        env["platform"] = "linux"
        #endif
        return Telemetry(name: swiftSDKName, version: libraryVersion(), env: env)
    }

    /// Validates `config` (nothing is sent) and creates the client. With a `dpopKey`, every
    /// request is sender-constrained with DPoP proofs signed by it; without one, tokens are
    /// bearer tokens. Requests go through `transport`: by default the platform's `URLSession`
    /// (`URLSessionTransport.shared`); pass a `URLSessionTransport` on your own configuration
    /// (proxies, certificate pinning) or your own `HttpTransport`. Throws `InvalidInput`
    /// naming the bad field, or `Signer` if a platform key is unusable.
    public init(
        config: ClientConfig,
        dpopKey: DpopKey? = nil,
        transport: HttpTransport = URLSessionTransport.shared
    ) throws {
        bridge = try TokenExchangeBindings.TokenExchangeClient.withTransport(
            config: config, dpopKey: dpopKey, transport: transport
        )
    }

    /// Creates a client for one Auth0 application, identified in telemetry as
    /// `token-exchange-swift`, with DPoP proofs signed by `dpopKey` (`nil`: bearer tokens),
    /// sending its requests through `transport` (default: the platform's `URLSession`).
    ///
    /// `configure` adjusts the configuration (timeouts, user agent, `telemetryEnabled`...).
    /// Throws `TokenExchangeError.InvalidInput` for a bad domain or client id; nothing is sent.
    public convenience init(
        domain: String,
        clientId: String,
        dpopKey: DpopKey?,
        transport: HttpTransport = URLSessionTransport.shared,
        configure: (inout ClientConfig) -> Void = { _ in }
    ) throws {
        var config = ClientConfig(domain: domain, clientId: clientId, telemetry: Self.swiftTelemetry())
        configure(&config)
        try self.init(config: config, dpopKey: dpopKey, transport: transport)
    }

    /// Creates a client whose DPoP key is the platform's default key
    /// (`PlatformDpopKey.loadOrCreate()`: Secure Enclave, else a Keychain key, kept across
    /// relaunches), sending its requests through `transport` (default: the platform's
    /// `URLSession`).
    public convenience init(
        domain: String,
        clientId: String,
        transport: HttpTransport = URLSessionTransport.shared,
        configure: (inout ClientConfig) -> Void = { _ in }
    ) throws {
        try self.init(
            domain: domain,
            clientId: clientId,
            dpopKey: try PlatformDpopKey.loadOrCreate(),
            transport: transport,
            configure: configure
        )
    }

    /// Creates a client for a backend (a Token Vault Custom API Client, a server exchanging
    /// tokens): authenticated with `clientAuthentication`, no DPoP key, identified in telemetry
    /// as `token-exchange-swift`.
    public convenience init(
        domain: String,
        clientId: String,
        clientAuthentication: ClientAuthentication,
        transport: HttpTransport = URLSessionTransport.shared,
        configure: (inout ClientConfig) -> Void = { _ in }
    ) throws {
        try self.init(domain: domain, clientId: clientId, dpopKey: nil, transport: transport) { config in
            config.clientAuthentication = clientAuthentication
            configure(&config)
        }
    }

    /// The base URL every endpoint is resolved against (ends with `/`).
    public func baseUrl() -> String { bridge.baseUrl() }

    /// The application's client id.
    public func clientId() -> String { bridge.clientId() }

    /// The DPoP key, if the client has one.
    public func dpopKey() -> DpopKey? { bridge.dpopKey() }

    /// The thumbprint (`jkt`) of the client's DPoP key, if any.
    public func dpopThumbprint() -> String? { bridge.dpopThumbprint() }

    /// Native social token exchange: trades a native sign-in artifact (Sign in with Apple,
    /// Facebook) for Auth0 tokens. Invalid input fails before any I/O; the request is never
    /// replayed automatically, except once when the server demands a DPoP nonce.
    ///
    /// Cancelling the calling `Task` aborts the HTTP request at once and throws
    /// `TokenExchangeError.Cancelled`. On `Network`/`Timeout`, check
    /// `requestMayHaveReachedServer()` before reusing a single-use Apple code.
    public func nativeSocialExchange(_ request: NativeSocialExchange) async throws -> TokenSet {
        try await withTaskCancellation { token in
            try await self.bridge.nativeSocialExchange(request: request, cancellation: token)
        }
    }

    /// Custom Token Exchange of a prepared request: trades a subject token of your own type
    /// for Auth0 tokens through the token exchange profile whose `subjectTokenType` matches
    /// (its Action validates the token). Cancelling the calling `Task` aborts it.
    public func customTokenExchange(_ request: CustomTokenExchange) async throws -> TokenSet {
        try await withTaskCancellation { token in
            try await self.bridge.customTokenExchange(request: request, cancellation: token)
        }
    }

    /// Custom Token Exchange of any subject token of your own type. `extraParameters` reach
    /// your Action as `event.request.body`; security parameters (`audience`, `scope`,
    /// `subject_token`...) cannot be set that way (`InvalidInput`, field `extra_parameters`).
    /// Cancelling the calling `Task` aborts the request.
    public func customTokenExchange(
        subjectToken: String,
        subjectTokenType: String,
        audience: String? = nil,
        scope: String? = nil,
        organization: String? = nil,
        actor: ActorToken? = nil,
        extraParameters: [String: String] = [:]
    ) async throws -> TokenSet {
        try await customTokenExchange(CustomTokenExchange(
            subjectToken: subjectToken,
            subjectTokenType: subjectTokenType,
            audience: audience,
            scope: scope,
            organization: organization,
            actor: actor,
            extraParameters: extraParameters
        ))
    }

    /// Native Google sign-in through Custom Token Exchange: the Google ID token (from Google
    /// Sign-In's `GIDGoogleUser.idToken.tokenString`) sent to the token exchange profile you
    /// created for it (`profileSubjectTokenType`, e.g. `https://myapp.example.com/google-id-token`),
    /// whose Action verifies it.
    ///
    /// Cancelling the calling `Task` aborts the request and throws `TokenExchangeError.Cancelled`.
    /// A `profileSubjectTokenType` in a reserved namespace (`urn:ietf:`, `auth0.com`...) throws
    /// `InvalidInput` before any I/O.
    public func googleSignIn(
        idToken: String,
        profileSubjectTokenType: String,
        audience: String? = nil,
        scope: String? = nil,
        organization: String? = nil
    ) async throws -> TokenSet {
        try await customTokenExchange(.google(
            idToken: idToken,
            profileSubjectTokenType: profileSubjectTokenType,
            audience: audience,
            scope: scope,
            organization: organization
        ))
    }

    /// Token Vault exchange of a prepared request (backends): the user's access token at the
    /// provider behind `request.connection`. The client must be your API's Custom API Client
    /// with `clientAuthentication` set. On failure, `isConnectionRequired()` means the user must
    /// connect the account (again). Cancelling the calling `Task` aborts the request.
    public func tokenVaultExchange(_ request: TokenVaultExchange) async throws -> TokenVaultToken {
        try await withTaskCancellation { token in
            try await self.bridge.tokenVaultExchange(request: request, cancellation: token)
        }
    }

    /// Token Vault (backends): the user's access token at the provider behind `connection`
    /// (`google-oauth2`...) for the Auth0 `accessToken` an app sent your API.
    public func tokenVaultExchange(
        accessToken: String,
        connection: String,
        loginHint: String? = nil,
        extraParameters: [String: String] = [:]
    ) async throws -> TokenVaultToken {
        try await tokenVaultExchange(TokenVaultExchange(
            subjectToken: accessToken,
            subjectTokenType: .accessToken,
            connection: connection,
            loginHint: loginHint,
            extraParameters: extraParameters
        ))
    }

    /// Sends a request to your API with the access token (and a DPoP proof for a bound token),
    /// retrying once if the API demands a DPoP nonce. Any status is returned. Task
    /// cancellation aborts it.
    public func send(_ request: ResourceRequest, with tokens: TokenSet) async throws -> ResourceResponse {
        try await withTaskCancellation { token in
            try await self.bridge.sendAuthorized(request: request, tokens: tokens, cancellation: token)
        }
    }

    /// The user's claims from `/userinfo` as a JSON object, untyped (`userinfoClaims(_:)` types
    /// them). Task cancellation aborts the request.
    public func userinfo(_ tokens: TokenSet) async throws -> [String: Any] {
        let json = try await withTaskCancellation { token in
            try await self.bridge.userinfo(tokens: tokens, cancellation: token)
        }
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return object as? [String: Any] ?? [:]
    }

    /// The `Authorization` (and, for a bound token, `DPoP`) header values to present
    /// `tokens.accessToken` on `method url` with your own HTTP stack. Each proof is valid once.
    public func authorizationHeaders(method: String, url: String, tokens: TokenSet) throws -> AuthorizationHeaders {
        try bridge.authorizationHeaders(method: method, url: url, tokens: tokens)
    }

    /// A DPoP proof for `method url` (with `ath` when `accessToken` is given), carrying the
    /// nonce last received from that origin. `DpopKeyMissing` without a key.
    public func dpopProof(method: String, url: String, accessToken: String? = nil) throws -> String {
        try bridge.dpopProof(method: method, url: url, accessToken: accessToken)
    }
}

/// An in-memory cache of Token Vault provider tokens, keyed by a SHA-256 digest of the whole
/// request (the subject token itself, never a claim read from it), with the scopes the caller
/// needs. It hands back a cached token until `leeway` before its expiry, never after the
/// subject token's own `exp`, and runs at most one exchange per key at a time. Thread-safe:
/// share one.
public final class TokenVaultCache: Sendable {
    private let bridge: TokenExchangeBindings.TokenVaultCache

    /// A cache that exchanges through `client` (your API's authenticated Custom API Client).
    /// `leeway` defaults to 60 seconds.
    public init(client: TokenExchangeClient, leeway: TimeInterval? = nil) {
        bridge = TokenExchangeBindings.TokenVaultCache(client: client.bridge, leeway: leeway)
    }

    /// A provider token for `request` whose scope includes every scope of `requiredScopes`,
    /// from the cache or from a new exchange. Task cancellation aborts the exchange.
    public func get(_ request: TokenVaultExchange, requiredScopes: [String] = []) async throws -> TokenVaultToken {
        try await withTaskCancellation { token in
            try await self.bridge.get(request: request, requiredScopes: requiredScopes, cancellation: token)
        }
    }

    /// Forgets the cached token of `request` (for example after the provider rejected it).
    public func invalidate(_ request: TokenVaultExchange, requiredScopes: [String] = []) {
        bridge.invalidate(request: request, requiredScopes: requiredScopes)
    }
}
