package com.tokenexchange

// Token Vault (backends): the user's access token at a connected provider.

/**
 * Token Vault: the user's access token at the provider behind [connection] (`google-oauth2`...),
 * for the Auth0 [accessToken] an app sent your API. [TokenExchangeException.isConnectionRequired]
 * means the user must connect the account (again). [extraParameters] follow the library's one
 * rule for every flow (no security parameter, none the request already sends:
 * [TokenExchangeException.InvalidInput], field `extra_parameters`). Cancelling the coroutine
 * aborts the request.
 */
suspend fun TokenExchangeClient.tokenVaultExchange(
    accessToken: String,
    connection: String,
    loginHint: String? = null,
    extraParameters: Map<String, String> = emptyMap(),
): TokenVaultToken = tokenVaultExchange(
    TokenVaultExchange(
        subjectToken = accessToken,
        subjectTokenType = TokenVaultSubjectTokenType.ACCESS_TOKEN,
        connection = connection,
        loginHint = loginHint,
        extraParameters = extraParameters,
    ),
)
