package com.tokenexchange.test

import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.NetworkErrorKind
import com.tokenexchange.ResourceRequest
import com.tokenexchange.ResponseProblem
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.TokenSet
import com.tokenexchange.apple
import com.tokenexchange.create
import com.tokenexchange.facebook
import com.tokenexchange.mfaToken
import com.tokenexchange.oauthCode
import java.time.Duration
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test

class ErrorTest {
    private val base = Emulator.baseUrl
    private val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID)

    @Test
    fun reusedAppleCodeIsInvalidGrant() = runBlocking<Unit> {
        val request = NativeSocialExchange.apple(Emulator.appleCode("apple|kotlin-reuse"), audience = Emulator.API)
            .copy(forwardedFor = "198.51.100.20")
        client.nativeSocialExchange(request)
        val e = failure<TokenExchangeException.OAuth> { client.nativeSocialExchange(request) }
        assertTrue(e.isInvalidGrant())
        assertEquals("invalid_grant", e.oauthCode)
        assertEquals(403, e.status)
        assertTrue(e.requestMayHaveReachedServer())
        assertFalse(e.isRetryable())
        assertFalse(e.toString().contains(request.subjectToken))
    }

    @Test
    fun invalidInputFailsBeforeAnyIo() = runBlocking<Unit> {
        val e = failure<TokenExchangeException.InvalidInput> {
            client.nativeSocialExchange(NativeSocialExchange.apple("Bearer abc"))
        }
        assertEquals("subject_token", e.field)
        assertFalse(e.requestMayHaveReachedServer())
        val both = failure<TokenExchangeException.InvalidInput> {
            client.nativeSocialExchange(NativeSocialExchange.apple("c", audience = Emulator.API).copy(resource = Emulator.API))
        }
        assertEquals("resource", both.field)
        val ip = failure<TokenExchangeException.InvalidInput> {
            client.nativeSocialExchange(NativeSocialExchange.apple("c").copy(forwardedFor = "nope"))
        }
        assertEquals("forwarded_for", ip.field)
    }

    @Test
    fun badConfigurationNamesTheField() {
        val domain = failure<TokenExchangeException.InvalidInput> {
            TokenExchangeClient.create("http://tenant.example.com", Emulator.CLIENT_ID)
        }
        assertEquals("domain", domain.field)
        val timeout = failure<TokenExchangeException.InvalidInput> {
            TokenExchangeClient.create(base, "x") { timeout = Duration.ZERO }
        }
        assertEquals("timeout", timeout.field)
    }

    @Test
    fun clientWithoutTheGrantIsUnauthorized() = runBlocking<Unit> {
        val other = TokenExchangeClient.create(base, "no-exchange-app")
        val e = failure<TokenExchangeException.OAuth> { other.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode())) }
        assertTrue(e.isUnauthorizedClient())
        assertEquals(403, e.status)
    }

    @Test
    fun closedPortIsANetworkErrorThatNeverReachedTheServer() = runBlocking<Unit> {
        val dead = TokenExchangeClient.create("http://127.0.0.1:${Emulator.closedPort()}", Emulator.CLIENT_ID)
        val e = failure<TokenExchangeException.Network> { dead.nativeSocialExchange(NativeSocialExchange.apple("code")) }
        assertEquals(NetworkErrorKind.CONNECT, e.kind)
        assertFalse(e.requestMayHaveReachedServer())
        assertTrue(e.isRetryable() && e.isNetworkError())
        // The library's message and predicates reach Kotlin as the library computed them.
        assertEquals("network error: could not connect (the request did not reach the server)", e.info.message)
        assertTrue(e.info.isRetryable && e.info.isNetworkError && !e.info.isMfaRequired)
    }

    @Test
    fun htmlIsAnUnexpectedResponse() = runBlocking<Unit> {
        Emulator.queueTokenResponse(502, "text/html", "<html><body>Bad gateway</body></html>")
        val e = failure<TokenExchangeException.UnexpectedResponse> {
            client.nativeSocialExchange(NativeSocialExchange.facebook(Emulator.facebookToken()))
        }
        assertEquals(502, e.status)
        assertEquals(ResponseProblem.Html, e.problem)
        assertTrue(e.isRetryable())
    }

    @Test
    fun mfaRequiredCarriesARedactedToken() = runBlocking<Unit> {
        val e = failure<TokenExchangeException.OAuth> {
            client.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode("apple|mfa-user")))
        }
        assertTrue(e.isMfaRequired())
        val token = e.mfaToken
        assertNotNull(token)
        assertTrue(token!!.value.isNotEmpty())
        assertEquals(listOf("otp"), e.mfaChallengeTypes)
        assertFalse(e.message, e.message.contains(token.value))
        assertFalse(e.toString().contains(token.value))
        assertEquals("Secret(<redacted>)", token.toString())
    }

    @Test
    fun rateLimitingSaysWhenToRetry() = runBlocking<Unit> {
        Emulator.queueTokenResponse(429, "application/json", "{\"error\":\"too_many_requests\"}", mapOf("Retry-After" to "15"))
        val e = failure<TokenExchangeException.OAuth> {
            client.nativeSocialExchange(NativeSocialExchange.facebook(Emulator.facebookToken()))
        }
        assertTrue(e.isRateLimited() && e.isRetryable())
        assertEquals(Duration.ofSeconds(15), e.retryAfter())
        assertEquals(15L, e.info.retryAfterSeconds)
        // toString() (what loggers and stack traces print) is the library's text; the generated
        // message lists the fields, the library's text among them.
        assertTrue(e.toString(), e.toString().endsWith("(retry after 15 s)"))
        assertTrue(e.message, e.message.contains("(retry after 15 s)"))
        assertTrue(e.message, e.message.contains("retryAfterSeconds=15"))
    }

    @Test
    fun unavailableServersSayWhenToRetry() = runBlocking<Unit> {
        Emulator.queueTokenResponse(503, "application/json", "{\"error\":\"temporarily_unavailable\"}", mapOf("Retry-After" to "5"))
        val oauth = failure<TokenExchangeException.OAuth> {
            client.nativeSocialExchange(NativeSocialExchange.facebook(Emulator.facebookToken()))
        }
        assertTrue(oauth.toString(), oauth.toString().endsWith("(retry after 5 s)"))
        assertTrue(oauth.message, oauth.message.contains("(retry after 5 s)"))
        assertTrue(oauth.message, oauth.message.contains("retryAfterSeconds=5"))
        Emulator.queueTokenResponse(503, "text/html", "<html>down</html>", mapOf("Retry-After" to "5"))
        val html = failure<TokenExchangeException.UnexpectedResponse> {
            client.nativeSocialExchange(NativeSocialExchange.facebook(Emulator.facebookToken()))
        }
        assertTrue(html.toString(), html.toString().endsWith("(retry after 5 s)"))
        assertTrue(html.message, html.message.contains("(retry after 5 s)"))
        assertTrue(html.message, html.message.contains("retryAfterSeconds=5"))
    }

    @Test
    fun aStoredTokenWithANewlineIsInvalidInputNotANetworkError() = runBlocking<Unit> {
        val stored = TokenSet(accessToken = "stored-token\n", tokenType = "Bearer")
        val e = failure<TokenExchangeException.InvalidInput> {
            client.sendAuthorized(ResourceRequest(method = "GET", url = "$base/userinfo"), stored)
        }
        assertEquals("access_token", e.field)
        assertFalse(e.isRetryable() || e.requestMayHaveReachedServer())
        val headers = failure<TokenExchangeException.InvalidInput> {
            client.authorizationHeaders("GET", "$base/userinfo", stored)
        }
        assertEquals("access_token", headers.field)
    }

    @Test
    fun slowServersTimeOut() = runBlocking<Unit> {
        val impatient = TokenExchangeClient.create(base, Emulator.CLIENT_ID) { timeout = Duration.ofMillis(300) }
        val e = failure<TokenExchangeException.Timeout> {
            // The answer comes a minute later: no load can make it beat a 300 ms timeout.
            impatient.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode(delayMs = 60_000)))
        }
        assertTrue(e.requestMayHaveReachedServer() && e.isRetryable())
    }

    @Test
    fun bearerTokenForADpopRequestIsRefused() = runBlocking<Unit> {
        Emulator.queueTokenResponse(200, "application/json", "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}")
        val e = failure<TokenExchangeException.TokenNotBound> {
            client.nativeSocialExchange(NativeSocialExchange.facebook(Emulator.facebookToken()))
        }
        assertEquals("Bearer", e.tokenType)
    }
}
