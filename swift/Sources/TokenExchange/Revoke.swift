import TokenExchangeBindings

extension TokenExchangeClient {
    /// Revokes `refreshToken` at the tenant's `/oauth/revoke` (RFC 7009): signs the user out on
    /// the server. A token the server does not know (already revoked) is a success. No DPoP
    /// proof is needed, so it works after the key was lost; revoking twice is harmless, so a
    /// network failure may be retried. `CredentialsManager.clear()` revokes, then forgets.
    /// Cancelling the calling `Task` aborts the request.
    public func revoke(refreshToken: String) async throws {
        try await withTaskCancellation { token in
            try await self.bridge.revoke(refreshToken: refreshToken, cancellation: token)
        }
    }
}
