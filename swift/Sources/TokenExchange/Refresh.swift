import TokenExchangeBindings

extension TokenExchangeClient {
    /// Renews `tokens` with their refresh token, optionally for a narrower `scope`
    /// (space-separated). A fresh DPoP proof from the client's key and ID token validation, as
    /// for the exchange. The result is merged with `tokens`: a rotated refresh token replaces the
    /// old one (store the result in place of `tokens`), an ID token not reissued is kept.
    ///
    /// Throws before any I/O `InvalidInput` (no refresh token, bad scope), `DpopKeyMissing` or
    /// `DpopKeyMismatch` (the tokens are bound to a key this client does not hold: sign in
    /// again). `isInvalidGrant()` means the refresh token was revoked or already rotated: sign in
    /// again. `CredentialsManager` does all this for you. Cancelling the calling `Task` aborts
    /// the request; a refresh that may have reached the server is never replayed.
    public func refresh(_ tokens: TokenSet, scope: String? = nil) async throws -> TokenSet {
        try await withTaskCancellation { token in
            try await self.bridge.refresh(tokens: tokens, scope: scope, cancellation: token)
        }
    }
}
