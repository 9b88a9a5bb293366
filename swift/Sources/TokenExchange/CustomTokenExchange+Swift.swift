import Foundation
import TokenExchangeBindings

// Custom Token Exchange (native Google sign-in): request helpers.

extension CustomTokenExchange {
    /// Native Google sign-in: the Google ID token, for the token exchange profile you created
    /// for it (`profileSubjectTokenType`), whose Action verifies it.
    public static func google(
        idToken: String,
        profileSubjectTokenType: String,
        audience: String? = nil,
        scope: String? = nil,
        organization: String? = nil
    ) -> CustomTokenExchange {
        CustomTokenExchange(
            subjectToken: idToken,
            subjectTokenType: profileSubjectTokenType,
            audience: audience,
            scope: scope,
            organization: organization
        )
    }
}
