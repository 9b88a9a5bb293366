package com.tokenexchange

// Native social token exchange (Sign in with Apple, Facebook): request helpers. The call is
// the generated suspend `TokenExchangeClient.nativeSocialExchange(request)`.

/** A native social token exchange for Sign in with Apple: the credential's `authorizationCode` and, on the first sign-in, the name. */
fun NativeSocialExchange.Companion.apple(
    authorizationCode: String,
    firstName: String? = null,
    lastName: String? = null,
    audience: String? = null,
    scope: String? = null,
): NativeSocialExchange = NativeSocialExchange(
    subjectToken = authorizationCode,
    subjectTokenType = SubjectTokenType.AppleAuthorizationCode,
    audience = audience,
    scope = scope,
    userProfile = if (firstName != null || lastName != null) {
        UserProfile(name = PersonName(firstName = firstName, lastName = lastName))
    } else {
        null
    },
)

/** A native social token exchange for Facebook: a session info access token. */
fun NativeSocialExchange.Companion.facebook(
    sessionToken: String,
    audience: String? = null,
    scope: String? = null,
): NativeSocialExchange = NativeSocialExchange(
    subjectToken = sessionToken,
    subjectTokenType = SubjectTokenType.FacebookSessionInfoToken,
    audience = audience,
    scope = scope,
)

/** A native social token exchange of any subject token whose type is the absolute URI [subjectTokenType]. */
fun NativeSocialExchange.Companion.custom(
    subjectToken: String,
    subjectTokenType: String,
    audience: String? = null,
    scope: String? = null,
): NativeSocialExchange = NativeSocialExchange(
    subjectToken = subjectToken,
    subjectTokenType = SubjectTokenType.Custom(subjectTokenType),
    audience = audience,
    scope = scope,
)
