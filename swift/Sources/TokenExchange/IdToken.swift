import TokenExchangeBindings

// ID token validation is on by default (`ClientConfig.idTokenValidation`, leeway
// `ClientConfig.idTokenLeeway`): every exchange and refresh that returns an ID token checks it,
// and `TokenSet.idTokenClaims` holds its claims. A failure throws
// `TokenExchangeError.IdTokenInvalid(reason:info:)`.

/// Which check an ID token failed (`TokenExchangeError.IdTokenInvalid`): its signature, its
/// algorithm, the key, `iss`, `aud`, `azp`, `exp`, `iat`, the organization, or `sub` on renewal.
public typealias IdTokenProblem = TokenExchangeBindings.IdTokenProblem
