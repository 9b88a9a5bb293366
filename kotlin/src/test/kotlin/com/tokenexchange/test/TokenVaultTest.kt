package com.tokenexchange.test

import com.tokenexchange.ClientAuthentication
import com.tokenexchange.TokenVaultSubjectTokenType
import com.tokenexchange.TokenVaultCache
import com.tokenexchange.TokenVaultExchange
import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.Secret
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.apple
import com.tokenexchange.backend
import com.tokenexchange.create
import com.tokenexchange.tokenVaultExchange
import java.util.Base64
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** Token Vault from Kotlin (a JVM backend): the calendar backend exchanges a user's token for Google's. */
class TokenVaultTest {
    private val base = Emulator.baseUrl
    private val backend = TokenExchangeClient.backend(
        base,
        Emulator.VAULT_CLIENT_ID,
        ClientAuthentication.ClientSecretPost(Secret(Emulator.VAULT_CLIENT_SECRET)),
    )

    private suspend fun appAccessToken(user: String): String {
        val app = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = null)
        return app.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode(user), audience = Emulator.VAULT_API)).accessToken
    }

    @Test
    fun backendGetsTheConnectedGoogleToken() = runBlocking<Unit> {
        val user = "apple|kotlin-vault-user"
        val accessToken = appAccessToken(user)
        Emulator.connectAccount(user)
        val google = backend.tokenVaultExchange(accessToken, "google-oauth2")
        assertEquals("Bearer", google.tokenType)
        assertTrue(google.accessToken.isNotEmpty() && google.accessToken != accessToken)
        assertEquals("http://auth0.com/oauth/token-type/federated-connection-access-token", google.issuedTokenType)
        assertTrue(google.scope.orEmpty().contains("calendar.readonly"))
        assertTrue((google.expiresIn ?: 0) > 0)
        assertFalse(google.toString().contains(google.accessToken))
    }

    @Test
    fun extraParametersFollowTheLibrarysOneRule() = runBlocking<Unit> {
        try {
            backend.tokenVaultExchange("at", "google-oauth2", extraParameters = mapOf("audience" to "https://api.example.com"))
            fail("expected invalid input")
        } catch (e: TokenExchangeException.InvalidInput) {
            assertEquals("extra_parameters", e.field)
        }
    }

    @Test
    fun neverConnectedUserNeedsToConnect() = runBlocking<Unit> {
        val accessToken = appAccessToken("apple|kotlin-vault-never")
        try {
            backend.tokenVaultExchange(accessToken, "google-oauth2")
            fail("expected connection required")
        } catch (e: TokenExchangeException.OAuth) {
            assertTrue(e.toString(), e.isConnectionRequired())
            assertEquals(401, e.status)
        }
    }

    @Test
    fun aForgedTokenWithACachedUsersClaimsMissesTheCache() = runBlocking<Unit> {
        val user = "apple|kotlin-vault-victim"
        val accessToken = appAccessToken(user)
        Emulator.connectAccount(user)
        val cache = TokenVaultCache(backend)
        val request = TokenVaultExchange(accessToken, TokenVaultSubjectTokenType.ACCESS_TOKEN, "google-oauth2")
        val google = cache.get(request)
        assertEquals(google, cache.get(request))
        // The victim's claims under an `alg: none` header, without a signature.
        val header = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".toByteArray())
        val forged = header + "." + accessToken.split(".")[1] + "."
        try {
            cache.get(request.copy(subjectToken = forged))
            fail("a forged token got the victim's Google token")
        } catch (e: TokenExchangeException.OAuth) {
            assertTrue(e.toString(), e.isInvalidGrant())
        }
    }
}
