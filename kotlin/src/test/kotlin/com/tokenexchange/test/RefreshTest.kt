package com.tokenexchange.test

import com.tokenexchange.IdTokenProblem
import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.TokenSet
import com.tokenexchange.apple
import com.tokenexchange.create
import com.tokenexchange.oauthCode
import java.net.URI
import java.time.Duration
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/** Signs [sub] in on [client] with an Apple code. */
internal suspend fun signIn(client: TokenExchangeClient, sub: String): TokenSet =
    client.nativeSocialExchange(
        NativeSocialExchange.apple(Emulator.appleCode(sub, email = "kotlin-refresh@example.com"), audience = Emulator.API),
    )

/** The sample client with rotating refresh tokens and reuse detection. */
internal const val ROTATING_CLIENT_ID = "rotating-app"

/**
 * Refresh with rotation, revoke, the validated ID token's claims, a signing-key rotation and an
 * issuer that is not the configured server, against the emulator.
 */
class RefreshTest {
    @Test
    fun refreshRotatesTheRefreshTokenAndValidatesTheIdToken() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(Emulator.baseUrl, ROTATING_CLIENT_ID)
        val tokens = signIn(client, "apple|kotlin-refresh")
        val claims = tokens.idTokenClaims ?: error("the exchange validated the ID token")
        assertEquals("apple|kotlin-refresh", claims.sub)
        assertEquals("kotlin-refresh@example.com", claims.email)
        assertTrue(claims.other, claims.other.contains("\"iss\":\"${Emulator.baseUrl}/\""))
        assertFalse("typed claims are not repeated in other", claims.other.contains("\"sub\""))
        assertFalse("claims print redacted", claims.toString().contains("kotlin-refresh@example.com"))
        assertEquals("apple|kotlin-refresh", client.userinfoClaims(tokens).sub)

        val renewed = client.refresh(tokens)
        assertFalse(tokens.accessToken == renewed.accessToken)
        assertNotNull(renewed.refreshToken)
        assertFalse("rotated", tokens.refreshToken == renewed.refreshToken)
        assertTrue(renewed.isDpopBound())
        assertEquals("apple|kotlin-refresh", renewed.idTokenClaims?.sub)

        val narrower = client.refresh(renewed, scope = "openid offline_access")
        assertEquals("openid offline_access", narrower.scope)

        // Reuse of a rotated refresh token revokes the whole family.
        assertTrue(failure<TokenExchangeException.OAuth> { client.refresh(tokens) }.isInvalidGrant())
        assertTrue(failure<TokenExchangeException.OAuth> { client.refresh(narrower) }.isInvalidGrant())
    }

    @Test
    fun revokeThenRefreshFailsWithInvalidGrant() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(Emulator.baseUrl, ROTATING_CLIENT_ID)
        val tokens = signIn(client, "apple|kotlin-revoke")
        client.revoke(tokens.refreshToken!!)
        val e = failure<TokenExchangeException.OAuth> { client.refresh(tokens) }
        assertTrue(e.isInvalidGrant())
        assertEquals("invalid_grant", e.oauthCode)
        // RFC 7009: a token the server does not know is a success, so a retry is harmless.
        client.revoke(tokens.refreshToken!!)
        client.revoke("never-issued")
    }

    @Test
    fun anotherKeyOrNoKeyIsRefusedBeforeAnythingIsSent() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(Emulator.baseUrl, ROTATING_CLIENT_ID)
        val tokens = signIn(client, "apple|kotlin-key-mismatch")
        // Nothing listens there: had a request been sent, the error would be a network error.
        val nowhere = "http://127.0.0.1:${Emulator.closedPort()}"
        // (Not the default key: every client of the process shares that one.)
        val otherKey = TokenExchangeClient.create(nowhere, ROTATING_CLIENT_ID, dpopKey = jcaKey())
        val mismatch = failure<TokenExchangeException.DpopKeyMismatch> { otherKey.refresh(tokens) }
        assertEquals(tokens.dpopJkt, mismatch.tokenJkt)
        assertTrue(mismatch.isSignInRequired())
        val keyless = TokenExchangeClient.create(nowhere, ROTATING_CLIENT_ID, dpopKey = null)
        assertTrue(failure<TokenExchangeException.DpopKeyMissing> { keyless.refresh(tokens) }.isSignInRequired())
        client.refresh(tokens) // still good with its own key
    }

    @Test
    fun anIdTokenSignedByARotatedInKeyIsValidated() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(Emulator.baseUrl, Emulator.CLIENT_ID)
        val tokens = signIn(client, "apple|kotlin-key-rotation")
        Emulator.rotateSigningKey()
        assertEquals("apple|kotlin-key-rotation", client.refresh(tokens).idTokenClaims?.sub)
    }

    /**
     * `localhost` reaches the same emulator, whose tokens name `127.0.0.1` as their issuer: as
     * for a token minted by another server, the ID token must be refused.
     */
    @Test
    fun anIdTokenFromAnotherIssuerIsRefusedUnlessValidationIsOff() = runBlocking<Unit> {
        val elsewhere = "http://localhost:${URI(Emulator.baseUrl).port}"
        val client = TokenExchangeClient.create(elsewhere, Emulator.CLIENT_ID) { idTokenLeeway = Duration.ofSeconds(30) }
        val e = failure<TokenExchangeException.IdTokenInvalid> { signIn(client, "apple|kotlin-issuer") }
        assertEquals(IdTokenProblem.Issuer, e.reason)
        assertFalse(e.isRetryable())

        val trusting = TokenExchangeClient.create(elsewhere, Emulator.CLIENT_ID) { idTokenValidation = false }
        val tokens = signIn(trusting, "apple|kotlin-no-validation")
        assertNull(tokens.idTokenClaims)
        assertNotNull(tokens.idToken)
    }

    @Test
    fun badInputIsRefusedBeforeAnythingIsSent() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(Emulator.baseUrl, Emulator.CLIENT_ID)
        val tokens = signIn(client, "apple|kotlin-refresh-input")
        val cases = listOf(
            Triple(tokens.copy(refreshToken = null), null, "refresh_token"),
            Triple(tokens, " ", "scope"),
            Triple(tokens, "bad\"scope", "scope"),
        )
        for ((input, scope, field) in cases) {
            assertEquals(field, failure<TokenExchangeException.InvalidInput> { client.refresh(input, scope) }.field)
        }
        client.refresh(tokens) // nothing was spent
    }
}
