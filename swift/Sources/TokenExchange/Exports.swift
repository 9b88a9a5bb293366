import TokenExchangeBindings

// The records, enums, errors and key types of the generated bindings, re-exported under their
// own names: they are plain data (or, for `DpopKey` and `DpopSigner`, the key), safe to use
// as they are. The generated client and cache are not re-exported: `TokenExchangeClient` and
// `TokenVaultCache` of this module wrap them, so that every call honours `Task` cancellation.

/// Configuration of a `TokenExchangeClient` (domain, client id, timeouts, telemetry...).
public typealias ClientConfig = TokenExchangeBindings.ClientConfig
/// How a client authenticates at the token endpoint (public client, client secret, private key JWT).
public typealias ClientAuthentication = TokenExchangeBindings.ClientAuthentication
/// The `Auth0-Client` telemetry a client sends.
public typealias Telemetry = TokenExchangeBindings.Telemetry
/// What to do when DPoP was used but the server issued a bearer token.
public typealias UnboundTokenPolicy = TokenExchangeBindings.UnboundTokenPolicy
/// A native social token exchange request (Sign in with Apple, Facebook).
public typealias NativeSocialExchange = TokenExchangeBindings.NativeSocialExchange
/// What the subject token of a native social token exchange is.
public typealias SubjectTokenType = TokenExchangeBindings.SubjectTokenType
/// Profile data sent with a native social token exchange (redacted when printed).
public typealias UserProfile = TokenExchangeBindings.UserProfile
/// A person's name as Sign in with Apple returns it.
public typealias PersonName = TokenExchangeBindings.PersonName
/// A Custom Token Exchange request (native Google sign-in, your own subject tokens).
public typealias CustomTokenExchange = TokenExchangeBindings.CustomTokenExchange
/// The party acting on the user's behalf in a Custom Token Exchange.
public typealias ActorToken = TokenExchangeBindings.ActorToken
/// A Token Vault exchange request (backends).
public typealias TokenVaultExchange = TokenExchangeBindings.TokenVaultExchange
/// What the subject token of a Token Vault exchange is.
public typealias TokenVaultSubjectTokenType = TokenExchangeBindings.TokenVaultSubjectTokenType
/// The user's access token at an external provider, from Token Vault (redacted when printed).
public typealias TokenVaultToken = TokenExchangeBindings.TokenVaultToken
/// Tokens issued by an exchange (redacted when printed).
public typealias TokenSet = TokenExchangeBindings.TokenSet
/// A request to your own API, sent with `TokenExchangeClient.send(_:with:)`.
public typealias ResourceRequest = TokenExchangeBindings.ResourceRequest
/// Your API's response.
public typealias ResourceResponse = TokenExchangeBindings.ResourceResponse
/// One HTTP header of a `ResourceRequest` or `ResourceResponse`.
public typealias HttpHeader = TokenExchangeBindings.HttpHeader
/// The `Authorization` (and `DPoP`) header values for your own HTTP stack (redacted when printed).
public typealias AuthorizationHeaders = TokenExchangeBindings.AuthorizationHeaders
/// Everything that can go wrong; each case carries the library's `ErrorInfo`.
public typealias TokenExchangeError = TokenExchangeBindings.TokenExchangeError
/// What the library computed about an error: its message and every predicate.
public typealias ErrorInfo = TokenExchangeBindings.ErrorInfo
/// What failed on the network.
public typealias NetworkErrorKind = TokenExchangeBindings.NetworkErrorKind
/// Why a response could not be used.
public typealias ResponseProblem = TokenExchangeBindings.ResponseProblem
/// A DPoP key held by a `DpopSigner` (`PlatformDpopKey`, Secure Enclave, your own).
public typealias DpopKey = TokenExchangeBindings.DpopKey
/// A DPoP signer implemented in Swift (Secure Enclave, your own HSM...).
public typealias DpopSigner = TokenExchangeBindings.DpopSigner
/// The error a `DpopSigner` throws.
public typealias SignerError = TokenExchangeBindings.SignerError
/// Sends the library's HTTP requests: `URLSessionTransport` by default, or your own.
public typealias HttpTransport = TokenExchangeBindings.HttpTransport
/// One HTTP request of the library, with the limits a transport must apply (redacted when printed).
public typealias HttpRequest = TokenExchangeBindings.HttpRequest
/// The response a transport read, whatever its status (redacted when printed).
public typealias HttpResponse = TokenExchangeBindings.HttpResponse
/// Why a transport could not deliver a response, and whether the request may have reached the server.
public typealias TransportError = TokenExchangeBindings.TransportError
/// A secret string, such as the `mfaToken` of an `mfa_required` error (redacted when printed).
public typealias Secret = TokenExchangeBindings.Secret

/// The library version (`MAJOR.MINOR.PATCH`).
public func libraryVersion() -> String {
    TokenExchangeBindings.libraryVersion()
}

/// The scope sent when a request names none: `openid profile email offline_access`.
public func defaultScope() -> String {
    TokenExchangeBindings.defaultScope()
}

/// The RFC 7638 thumbprint of a public JWK given as JSON (`EC`, `RSA` or `OKP`).
public func jwkThumbprint(jwkJson: String) throws -> String {
    try TokenExchangeBindings.jwkThumbprint(jwkJson: jwkJson)
}

/// The DPoP `ath` of an access token: base64url(SHA-256(token)).
public func accessTokenHash(accessToken: String) -> String {
    TokenExchangeBindings.accessTokenHash(accessToken: accessToken)
}

/// Runs `call` with a cancellation token that the current task's cancellation fires.
///
/// uniffi's generated Swift awaits Rust futures in `withUnsafeContinuation`, which ignores
/// task cancellation; the token is how cancellation reaches the Rust side (which then throws
/// `TokenExchangeError.Cancelled`).
func withTaskCancellation<T>(_ call: (TokenExchangeBindings.CancellationToken) async throws -> T) async throws -> T {
    let token = TokenExchangeBindings.CancellationToken()
    return try await withTaskCancellationHandler {
        try await call(token)
    } onCancel: {
        token.cancel()
    }
}
