package com.tokenexchange

// Custom Token Exchange (native Google sign-in, subject tokens of your own type).

/**
 * A Custom Token Exchange request for native Google sign-in: the Google ID token (from Credential
 * Manager's `GoogleIdTokenCredential.idToken`) sent to the token exchange profile you created for
 * it ([profileSubjectTokenType], e.g. `https://myapp.example.com/google-id-token`), whose Action
 * verifies it against Google's keys and your client ids.
 */
fun CustomTokenExchange.Companion.google(
    idToken: String,
    profileSubjectTokenType: String,
    audience: String? = null,
    scope: String? = null,
    organization: String? = null,
): CustomTokenExchange = CustomTokenExchange(
    subjectToken = idToken,
    subjectTokenType = profileSubjectTokenType,
    audience = audience,
    scope = scope,
    organization = organization,
)

/**
 * Native Google sign-in through Custom Token Exchange (see [CustomTokenExchange.Companion.google]).
 * Cancelling the coroutine aborts the request. Throws [TokenExchangeException.InvalidInput] before
 * any I/O for a `profileSubjectTokenType` in a reserved namespace (`urn:ietf:`, `auth0.com`...).
 */
suspend fun TokenExchangeClient.googleSignIn(
    idToken: String,
    profileSubjectTokenType: String,
    audience: String? = null,
    scope: String? = null,
    organization: String? = null,
): TokenSet = customTokenExchange(
    CustomTokenExchange.google(idToken, profileSubjectTokenType, audience, scope, organization),
)

/**
 * Custom Token Exchange of any subject token of your own type. [extraParameters] reach your
 * Action as `event.request.body`; security parameters (`audience`, `scope`, `subject_token`...)
 * cannot be set that way ([TokenExchangeException.InvalidInput], field `extra_parameters`).
 * Cancelling the coroutine aborts the request.
 */
suspend fun TokenExchangeClient.customTokenExchange(
    subjectToken: String,
    subjectTokenType: String,
    audience: String? = null,
    scope: String? = null,
    organization: String? = null,
    actor: ActorToken? = null,
    extraParameters: Map<String, String> = emptyMap(),
): TokenSet = customTokenExchange(
    CustomTokenExchange(
        subjectToken = subjectToken,
        subjectTokenType = subjectTokenType,
        audience = audience,
        scope = scope,
        organization = organization,
        actor = actor,
        extraParameters = extraParameters,
    ),
)
