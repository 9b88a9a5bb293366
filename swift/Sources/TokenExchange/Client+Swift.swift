import Foundation

extension TokenExchangeClient {
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

    /// Creates a client for one Auth0 application, identified in telemetry as
    /// `token-exchange-swift`, with DPoP proofs signed by `dpopKey` (`nil`: bearer tokens).
    ///
    /// `configure` adjusts the configuration (timeouts, user agent, `telemetryEnabled`...).
    /// Throws `TokenExchangeError.InvalidInput` for a bad domain or client id; nothing is sent.
    public convenience init(
        domain: String,
        clientId: String,
        dpopKey: DpopKey?,
        configure: (inout ClientConfig) -> Void = { _ in }
    ) throws {
        var config = ClientConfig(domain: domain, clientId: clientId, telemetry: Self.swiftTelemetry())
        configure(&config)
        try self.init(config: config, dpopKey: dpopKey)
    }

    /// Creates a client whose DPoP key is a new software key (the default). Persist it with
    /// `dpopKey()?.toPkcs8()` to use the tokens after a relaunch, or pass a
    /// `SecureEnclaveSigner`-backed key to `init(domain:clientId:dpopKey:configure:)`.
    public convenience init(
        domain: String,
        clientId: String,
        configure: (inout ClientConfig) -> Void = { _ in }
    ) throws {
        try self.init(domain: domain, clientId: clientId, dpopKey: try DpopKey.generate(), configure: configure)
    }

    /// Native social token exchange: trades a native sign-in artifact (Sign in with Apple,
    /// Facebook) for Auth0 tokens.
    ///
    /// Cancelling the calling `Task` aborts the HTTP request at once and throws
    /// `TokenExchangeError.Cancelled`. On `Network`/`Timeout`, check
    /// `requestMayHaveReachedServer()` before reusing a single-use Apple code.
    public func nativeSocialExchange(_ request: NativeSocialExchange) async throws -> TokenSet {
        try await cancellable { token in
            try await self.nativeSocialExchange(request: request, cancellation: token)
        }
    }

    /// Sends a request to your API with the access token (and a DPoP proof for a bound token),
    /// retrying once if the API demands a DPoP nonce. Task cancellation aborts it.
    public func send(_ request: ResourceRequest, with tokens: TokenSet) async throws -> ResourceResponse {
        try await cancellable { token in
            try await self.sendAuthorized(request: request, tokens: tokens, cancellation: token)
        }
    }

    /// The user's claims from `/userinfo`. Task cancellation aborts the request.
    public func userinfoClaims(_ tokens: TokenSet) async throws -> [String: Any] {
        let json = try await cancellable { token in
            try await self.userinfo(tokens: tokens, cancellation: token)
        }
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return object as? [String: Any] ?? [:]
    }

    /// Creates a client for a backend (a Token Vault Custom API Client, a server exchanging
    /// tokens): authenticated with `clientAuthentication`, no DPoP key, identified in telemetry
    /// as `token-exchange-swift`.
    public convenience init(
        domain: String,
        clientId: String,
        clientAuthentication: ClientAuthentication,
        configure: (inout ClientConfig) -> Void = { _ in }
    ) throws {
        try self.init(domain: domain, clientId: clientId, dpopKey: nil) { config in
            config.clientAuthentication = clientAuthentication
            configure(&config)
        }
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

    /// Custom Token Exchange of a prepared request. Cancelling the calling `Task` aborts it.
    public func customTokenExchange(_ request: CustomTokenExchange) async throws -> TokenSet {
        try await cancellable { token in
            try await self.customTokenExchange(request: request, cancellation: token)
        }
    }

    /// Token Vault (backends): the user's access token at the provider behind `connection`
    /// (`google-oauth2`...) for the Auth0 `accessToken` an app sent your API. On failure,
    /// `isConnectionRequired()` means the user must connect the account (again). Cancelling the
    /// calling `Task` aborts the request.
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

    /// Token Vault exchange of a prepared request. Cancelling the calling `Task` aborts it.
    public func tokenVaultExchange(_ request: TokenVaultExchange) async throws -> TokenVaultToken {
        try await cancellable { token in
            try await self.tokenVaultExchange(request: request, cancellation: token)
        }
    }

    /// Runs `call` with a `CancellationToken` that the current task's cancellation fires.
    ///
    /// uniffi's generated Swift awaits Rust futures in `withUnsafeContinuation`, which ignores
    /// task cancellation; the token is how cancellation reaches the Rust side.
    private func cancellable<T>(_ call: (CancellationToken) async throws -> T) async throws -> T {
        let token = CancellationToken()
        return try await withTaskCancellationHandler {
            try await call(token)
        } onCancel: {
            token.cancel()
        }
    }
}
