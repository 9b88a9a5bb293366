package com.tokenexchange.test

import com.tokenexchange.ActorToken
import com.tokenexchange.CustomTokenExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.create
import com.tokenexchange.customTokenExchange
import com.tokenexchange.google
import com.tokenexchange.googleSignIn
import com.tokenexchange.oauthCode
import com.tokenexchange.userinfoJson
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/** Custom Token Exchange: native Google sign-in through the sample tenant's profile and Action. */
class CustomTokenExchangeTest {
    private val base = Emulator.baseUrl
    private val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID)

    @Test
    fun googleSignInEndToEnd() = runBlocking<Unit> {
        val idToken = Emulator.googleIdToken("kotlin-google-user", email = "kg@example.com")
        val tokens = client.googleSignIn(idToken, Emulator.GOOGLE_PROFILE, audience = Emulator.API)
        assertEquals("urn:ietf:params:oauth:token-type:access_token", tokens.issuedTokenType)
        assertTrue("the default client binds tokens with DPoP", tokens.isDpopBound())
        assertEquals(client.dpopThumbprint(), tokens.dpopJkt)
        assertNotNull(tokens.refreshToken)
        assertNull(tokens.actorClaim())
        assertTrue(tokens.scope!!.split(" ").containsAll(listOf("openid", "offline_access")))
        val claims = client.userinfoJson(tokens)
        assertTrue(claims, claims.contains("\"sub\":\"google-oauth2|kotlin-google-user\""))
        assertTrue(claims, claims.contains("kg@example.com"))
        val idClaims = tokens.unverifiedIdTokenClaims()!!
        assertTrue(idClaims.contains("google-oauth2|kotlin-google-user"))
    }

    @Test
    fun actorTokenGivesAnActClaimAndNoRefreshToken() = runBlocking<Unit> {
        val first = client.googleSignIn(Emulator.googleIdToken("kotlin-actor"), Emulator.GOOGLE_PROFILE)
        val delegated = client.customTokenExchange(
            subjectToken = Emulator.googleIdToken("kotlin-delegator"),
            subjectTokenType = Emulator.GOOGLE_PROFILE,
            actor = ActorToken(first.idToken!!, "urn:ietf:params:oauth:token-type:id_token"),
            extraParameters = mapOf("device" to "kotlin-test"),
        )
        val act = delegated.actorClaim()
        assertNotNull(act)
        assertTrue(act!!, act.contains("\"sub\":\"google-oauth2|kotlin-actor\""))
        assertNull(delegated.refreshToken)
    }

    @Test
    fun reservedNamespaceSubjectTokenTypeIsRefusedBeforeSending() = runBlocking<Unit> {
        for (reserved in listOf(
            "urn:ietf:params:oauth:token-type:id_token",
            "http://auth0.com/oauth/token-type/google",
            "https://okta.com/google",
            "urn:auth0:google",
        )) {
            val e = failure<TokenExchangeException.InvalidInput> {
                runBlocking { client.googleSignIn(Emulator.googleIdToken("kotlin-reserved"), reserved) }
            }
            assertEquals(reserved, "subject_token_type", e.field)
            assertFalse(e.requestMayHaveReachedServer())
        }
    }

    @Test
    fun extraParameterOverridingAudienceIsRefused() = runBlocking<Unit> {
        for (name in listOf("audience", "AUDIENCE", "scope", "subject_token", "client_id")) {
            val e = failure<TokenExchangeException.InvalidInput> {
                runBlocking {
                    client.customTokenExchange(
                        subjectToken = "token",
                        subjectTokenType = Emulator.GOOGLE_PROFILE,
                        extraParameters = mapOf(name to "https://evil.example.com"),
                    )
                }
            }
            assertEquals(name, "extra_parameters", e.field)
        }
        val badIp = failure<TokenExchangeException.InvalidInput> {
            runBlocking {
                client.customTokenExchange(
                    CustomTokenExchange.google("token", Emulator.GOOGLE_PROFILE).copy(forwardedFor = "not-an-ip"),
                )
            }
        }
        assertEquals("forwarded_for", badIp.field)
    }

    @Test
    fun forgedGoogleTokenIsRejectedByTheAction() = runBlocking<Unit> {
        val request = CustomTokenExchange.google(
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
            Emulator.GOOGLE_PROFILE,
        ).copy(forwardedFor = "198.51.100.41")
        val e = failure<TokenExchangeException.OAuth> { runBlocking { client.customTokenExchange(request) } }
        assertTrue(e.isInvalidRequest())
        assertEquals("invalid_request", e.oauthCode)
        assertTrue(e.description.orEmpty(), e.description.orEmpty().contains("Invalid Google ID token"))
        assertFalse(e.toString().contains(request.subjectToken))
    }

    @Test
    fun requestDescriptionIsRedacted() {
        val request = CustomTokenExchange.google("google-secret-id-token", Emulator.GOOGLE_PROFILE, audience = Emulator.API)
        assertFalse(request.toString().contains("google-secret-id-token"))
        assertTrue(request.toString().contains(Emulator.GOOGLE_PROFILE))
    }
}
