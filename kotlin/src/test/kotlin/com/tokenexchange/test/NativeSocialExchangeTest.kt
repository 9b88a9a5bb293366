package com.tokenexchange.test

import com.tokenexchange.AuthorizationHeaders
import com.tokenexchange.HttpHeader
import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.PlatformDpopKey
import com.tokenexchange.ResourceRequest
import com.tokenexchange.TokenExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.TokenSet
import com.tokenexchange.apple
import com.tokenexchange.create
import com.tokenexchange.facebook
import com.tokenexchange.userinfoJson
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

class NativeSocialExchangeTest {
    private val base = Emulator.baseUrl

    @Test
    fun bearerExchangeWithoutAKey() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = null)
        val tokens = client.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode(), audience = Emulator.API))
        assertEquals("Bearer", tokens.tokenType)
        assertFalse(tokens.isDpopBound())
        assertNull(tokens.dpopJkt)
        assertNull(client.dpopThumbprint())
    }

    @Test
    fun dpopBoundExchangeThroughTheNonceChallenge() = runBlocking<Unit> {
        val key = jcaKey()
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = key)
        val request = NativeSocialExchange.apple(
            Emulator.appleCode("apple|kotlin-dpop", email = "k@example.com"),
            firstName = "Katherine",
            lastName = "Johnson",
            audience = Emulator.API,
        )
        val tokens = client.nativeSocialExchange(request)
        assertTrue(tokens.isDpopBound())
        assertEquals("DPoP", tokens.tokenType)
        assertEquals(key.thumbprint(), tokens.dpopJkt)
        assertEquals(key.thumbprint(), client.dpopThumbprint())
        assertNotNull(tokens.refreshToken)
        assertTrue(tokens.expiresAt!! > System.currentTimeMillis() / 1000)
        assertTrue(tokens.scope!!.contains("openid"))

        val claims = client.userinfoJson(tokens)
        assertTrue(claims, claims.contains("\"sub\":\"apple|kotlin-dpop\""))
        assertTrue(claims, claims.contains("\"given_name\":\"Katherine\""))
        assertTrue(tokens.unverifiedIdTokenClaims()!!.contains("apple|kotlin-dpop"))

        val headers = client.authorizationHeaders("GET", "$base/userinfo", tokens)
        assertTrue(headers.authorization.startsWith("DPoP "))
        assertEquals(3, headers.dpop!!.split('.').size)

        val response = client.sendAuthorized(
            ResourceRequest(method = "GET", url = "$base/userinfo", headers = listOf(HttpHeader("Accept", "application/json"))),
            tokens,
        )
        assertEquals(200, response.status)
        assertTrue(response.bodyText()!!.contains("apple|kotlin-dpop"))
        assertTrue(response.header("content-type")!!.contains("json"))
    }

    @Test
    fun facebookExchangeWithResource() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID)
        val request = NativeSocialExchange.facebook(Emulator.facebookToken()).copy(resource = Emulator.API)
        val tokens = client.nativeSocialExchange(request)
        assertTrue(tokens.isDpopBound())
        assertEquals("openid profile email offline_access", tokens.scope)
    }

    @Test
    fun descriptionsAreRedacted() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID)
        val code = Emulator.appleCode()
        val request = NativeSocialExchange.apple(code, firstName = "Privatename", audience = Emulator.API)
        assertFalse(request.toString(), request.toString().contains(code))
        assertFalse(request.toString().contains("Privatename"))
        val tokens = client.nativeSocialExchange(request)
        val text = tokens.toString()
        assertFalse(text, text.contains(tokens.accessToken))
        assertFalse(text, text.contains(tokens.refreshToken!!))
        assertFalse(text, text.contains(tokens.idToken!!))
        assertTrue(text, text.contains("DPoP") && text.contains(tokens.dpopJkt!!))
        val headers: AuthorizationHeaders = client.authorizationHeaders("GET", "https://api.example.com/x", tokens)
        assertFalse(headers.toString().contains(tokens.accessToken))
    }

    @Test
    fun theDefaultKeyIsThePlatformKeyAndOutlivesTheClient() = runBlocking<Unit> {
        // Without a key, a client signs with the platform's key under the default alias (on the
        // JVM, a JCA key the process keeps; on Android, the Keystore), so a second client
        // presents the first one's tokens.
        val first = TokenExchangeClient.create(base, Emulator.CLIENT_ID)
        val tokens = first.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode("apple|kotlin-restart")))
        assertEquals(first.dpopThumbprint(), tokens.dpopJkt)
        assertFalse("the platform signs, not the Rust library", first.dpopKey()!!.isSoftware())

        val stored = TokenSet(accessToken = tokens.accessToken, tokenType = tokens.tokenType, dpopJkt = tokens.dpopJkt)
        val second = TokenExchangeClient.create(base, Emulator.CLIENT_ID)
        assertEquals(first.dpopThumbprint(), second.dpopThumbprint())
        assertTrue(second.userinfoJson(stored).contains("apple|kotlin-restart"))

        // Another alias is another key; a deleted key is replaced by a new one.
        val other = PlatformDpopKey.loadOrCreate("token-exchange-tests-other")
        assertNotEquals(first.dpopThumbprint(), other.thumbprint())
        PlatformDpopKey.delete("token-exchange-tests-other")
        assertNotEquals(other.thumbprint(), PlatformDpopKey.loadOrCreate("token-exchange-tests-other").thumbprint())
        PlatformDpopKey.delete("token-exchange-tests-other")
    }

    @Test
    fun telemetryNamesTheKotlinSdk() {
        val telemetry = TokenExchange.telemetry()
        assertEquals("token-exchange-kotlin", telemetry.name)
        assertEquals(TokenExchange.version, telemetry.version)
        assertEquals("jvm", telemetry.env["platform"])
        // The configuration the factory builds carries it.
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID) { telemetryEnabled = false }
        assertEquals("$base/", client.baseUrl())
    }

    @Test
    fun anExchangeCanLeaveOutScope() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = null)
        val request = NativeSocialExchange.apple(Emulator.appleCode("apple|kotlin-every-scope"), audience = Emulator.API)
            .copy(omitScope = true)
        val tokens = client.nativeSocialExchange(request)
        val scope = tokens.scope.orEmpty()
        assertTrue(scope, scope.contains("read:messages") && scope.contains("write:messages"))
        try {
            client.nativeSocialExchange(request.copy(scope = "email"))
            fail("scope and omitScope together were accepted")
        } catch (e: TokenExchangeException.InvalidInput) {
            assertEquals("scope", e.field)
        }
    }

    @Test
    fun requestsAndHeadersPrintNoSecrets() {
        val request = ResourceRequest(
            method = "POST",
            url = "https://api.example.com/notes?key=query-secret",
            headers = listOf(HttpHeader("X-Api-Key", "header-secret")),
            body = "body-secret".toByteArray(),
        )
        val text = "$request ${request.headers[0]}"
        for (secret in listOf("query-secret", "header-secret", "body-secret")) {
            assertFalse(text, text.contains(secret))
        }
        assertTrue(text, text.contains("X-Api-Key") && text.contains("https://api.example.com/notes"))
    }
}
