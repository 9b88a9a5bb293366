import Foundation
import TokenExchangeBindings

/// The user's claims, typed (`sub`, `name`, `givenName`, `familyName`, `email`,
/// `emailVerified`, `picture`, `updatedAt`; every other claim in `other`, a JSON object): from
/// a validated ID token (`TokenSet.idTokenClaims`) and from `/userinfo`
/// (`TokenExchangeClient.userinfoClaims(_:)`). Profile data: printed redacted.
public typealias UserClaims = TokenExchangeBindings.UserClaims

extension TokenExchangeClient {
    /// The user's claims from `/userinfo`, typed. When `tokens` carries validated ID token
    /// claims, the response must be about the same user (`sub`), or it is refused as
    /// `UnexpectedResponse`. Task cancellation aborts the request.
    public func userinfoClaims(_ tokens: TokenSet) async throws -> UserClaims {
        try await withTaskCancellation { token in
            try await self.bridge.userinfoClaims(tokens: tokens, cancellation: token)
        }
    }
}

extension UserClaims {
    /// The claims of `other` (`iss`, `aud`, `org_id`, your custom claims...) as a dictionary.
    public var otherClaims: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(other.utf8))) as? [String: Any] ?? [:]
    }

    /// When the profile was last updated.
    public var updatedDate: Date? {
        updatedAt.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}

extension UserClaims: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}
