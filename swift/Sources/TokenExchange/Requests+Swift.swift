import Foundation
import TokenExchangeBindings

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

// `dump()` and debuggers walk a value's mirror, not its description: give the types holding
// secrets or personal data a mirror that shows only their redacted description.
extension TokenSet: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension NativeSocialExchange: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension AuthorizationHeaders: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension UserProfile: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension PersonName: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension CustomTokenExchange: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension ActorToken: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension TokenVaultExchange: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension TokenVaultToken: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}
