import Foundation
import TokenExchangeBindings

// Native social token exchange (Sign in with Apple, Facebook): request helpers.

extension NativeSocialExchange {
    /// A native social token exchange for Sign in with Apple: the credential's
    /// `authorizationCode` (as a string) and, on the first sign-in, the user's name.
    public static func apple(
        authorizationCode: String,
        fullName: PersonNameComponents? = nil,
        audience: String? = nil,
        scope: String? = nil
    ) -> NativeSocialExchange {
        var profile: UserProfile?
        if let name = fullName, name.givenName != nil || name.familyName != nil {
            profile = UserProfile(name: PersonName(firstName: name.givenName, lastName: name.familyName))
        }
        return NativeSocialExchange(
            subjectToken: authorizationCode,
            subjectTokenType: .appleAuthorizationCode,
            audience: audience,
            scope: scope,
            userProfile: profile
        )
    }

    /// A native social token exchange for Facebook: a session info access token.
    public static func facebook(sessionToken: String, audience: String? = nil, scope: String? = nil) -> NativeSocialExchange {
        NativeSocialExchange(
            subjectToken: sessionToken,
            subjectTokenType: .facebookSessionInfoToken,
            audience: audience,
            scope: scope
        )
    }

    /// A native social token exchange of any subject token whose type is the absolute URI
    /// `subjectTokenType`.
    public static func custom(
        subjectToken: String,
        subjectTokenType: String,
        audience: String? = nil,
        scope: String? = nil
    ) -> NativeSocialExchange {
        NativeSocialExchange(
            subjectToken: subjectToken,
            subjectTokenType: .custom(uri: subjectTokenType),
            audience: audience,
            scope: scope
        )
    }
}

#if canImport(AuthenticationServices)
import AuthenticationServices

@available(iOS 13.0, macOS 10.15, tvOS 13.0, watchOS 6.0, *)
extension NativeSocialExchange {
    /// A native social token exchange for Sign in with Apple, straight from the credential
    /// `ASAuthorizationController` delivered (its authorization code and, on the first
    /// sign-in, the name). A credential without an authorization code gives an empty subject
    /// token, which the library refuses before any I/O (`InvalidInput`, field `subject_token`):
    /// errors are made by the library only. (Apple platforms only: compiled out elsewhere.)
    public static func apple(
        credential: ASAuthorizationAppleIDCredential,
        audience: String? = nil,
        scope: String? = nil
    ) -> NativeSocialExchange {
        let code = credential.authorizationCode.flatMap { String(data: $0, encoding: .utf8) } ?? ""
        return .apple(authorizationCode: code, fullName: credential.fullName, audience: audience, scope: scope)
    }
}
#endif
