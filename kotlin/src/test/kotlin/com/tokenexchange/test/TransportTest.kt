package com.tokenexchange.test

import com.tokenexchange.HttpHeader
import com.tokenexchange.HttpRequest
import com.tokenexchange.HttpResponse
import com.tokenexchange.HttpTransport
import com.tokenexchange.HttpUrlConnectionTransport
import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.NetworkErrorKind
import com.tokenexchange.ResponseProblem
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.TransportException
import com.tokenexchange.apple
import com.tokenexchange.create
import java.time.Duration
import java.util.Collections
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/**
 * The platform transport ([HttpUrlConnectionTransport], every client's default) against the
 * emulator: what it refuses, how it stops, and how what a transport reports reaches the caller.
 */
class TransportTest {
    private val base = Emulator.baseUrl

    /**
     * Wraps a transport and records what went through it to the token endpoint (the client
     * also fetches the tenant's JWKS before an exchange that returns an ID token).
     */
    private class Recording(private val inner: HttpTransport = HttpUrlConnectionTransport.shared) : HttpTransport {
        val requests: MutableList<HttpRequest> = Collections.synchronizedList(mutableListOf())
        val statuses: MutableList<Int> = Collections.synchronizedList(mutableListOf())
        val errors: MutableList<Throwable> = Collections.synchronizedList(mutableListOf())

        override suspend fun send(request: HttpRequest): HttpResponse {
            if (!request.url.endsWith("/oauth/token")) return inner.send(request)
            requests += request
            return try {
                inner.send(request).also { statuses += it.status }
            } catch (e: Throwable) {
                errors += e
                throw e
            }
        }
    }

    /** A transport that fails the way a platform stack reports a failure. */
    private class Failing(private val error: Exception) : HttpTransport {
        override suspend fun send(request: HttpRequest): HttpResponse = throw error
    }

    private suspend fun failureOf(client: TokenExchangeClient): TokenExchangeException =
        try {
            client.nativeSocialExchange(NativeSocialExchange.apple("code"))
            fail("expected a TokenExchangeException")
            throw AssertionError()
        } catch (e: TokenExchangeException) {
            e
        }

    @Test
    fun aRedirectIsReturnedAsAnErrorAndNotFollowed() = runBlocking<Unit> {
        // If it were followed, the emulator's health check would answer 200.
        Emulator.queueTokenResponse(302, "text/plain", "", mapOf("Location" to "$base/emulator/health"))
        val recording = Recording()
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = null, transport = recording)
        val error = failureOf(client) as TokenExchangeException.UnexpectedResponse
        assertEquals(302, error.status)
        assertEquals(ResponseProblem.Redirect, error.problem)
        assertEquals("the transport handed back the 3xx itself", listOf(302), recording.statuses.toList())
        assertEquals(1, recording.requests.size)
    }

    @Test
    fun aBodyOverTheCapIsRefused() = runBlocking<Unit> {
        val big = "{\"access_token\":\"" + "a".repeat(8192) + "\",\"token_type\":\"Bearer\"}"
        Emulator.queueTokenResponse(200, "application/json", big)
        val recording = Recording()
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = null, transport = recording) {
            maxResponseBytes = 4096
        }
        val error = failureOf(client) as TokenExchangeException.UnexpectedResponse
        assertEquals(200, error.status)
        assertEquals(ResponseProblem.TooLarge(4096), error.problem)
        assertEquals(4096L, recording.requests.single().maxResponseBytes)
        val stopped = recording.errors.single() as TransportException.BodyTooLarge
        assertEquals(200, stopped.status)
    }

    @Test
    fun cancellingTheCoroutineAbortsTheHeldRequestAndTheNextCallWorks() = runBlocking<Unit> {
        // The emulator holds this response for two minutes, past the client's timeout: only the
        // cancellation can end the call (nothing is timed).
        val held = Emulator.appleCode("apple|kotlin-held", delayMs = 120_000)
        val recording = Recording()
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = null, transport = recording)
        val call = async { client.nativeSocialExchange(NativeSocialExchange.apple(held)) }
        waitUntil { recording.requests.isNotEmpty() }
        call.cancel()
        try {
            call.await()
            fail("the exchange completed despite the cancellation")
        } catch (e: CancellationException) {
            // expected
        }
        // The connection was disconnected: the transport's send ended, long before the emulator
        // would have answered.
        waitUntil { recording.errors.isNotEmpty() || recording.statuses.isNotEmpty() }
        assertTrue("the held response never arrived", recording.statuses.isEmpty())
        assertFalse("the connection was disconnected", recording.errors.isEmpty())

        val tokens = client.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode("apple|kotlin-after-cancel")))
        assertEquals("Bearer", tokens.tokenType)
    }

    @Test
    fun aThrowingTransportIsATypedNetworkErrorSayingWhatItReported() = runBlocking<Unit> {
        for (reached in listOf(false, true)) {
            val client = TokenExchangeClient.create(
                base, Emulator.CLIENT_ID, dpopKey = null,
                transport = Failing(TransportException.ConnectionLost(requestMayHaveReachedServer = reached)),
            )
            val error = failureOf(client) as TokenExchangeException.Network
            assertEquals(NetworkErrorKind.CONNECTION_LOST, error.kind)
            assertEquals(reached, error.requestMayHaveReachedServer())
        }
        val refused = failureOf(
            TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = null, transport = Failing(TransportException.Connect())),
        ) as TokenExchangeException.Network
        assertEquals(NetworkErrorKind.CONNECT, refused.kind)
        assertFalse(refused.requestMayHaveReachedServer())

        // An exception that is not a TransportException: the request may have been received.
        val unknown = failureOf(
            TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = null, transport = Failing(IllegalStateException("boom"))),
        ) as TokenExchangeException.Network
        assertEquals(NetworkErrorKind.CONNECTION_LOST, unknown.kind)
        assertTrue(unknown.requestMayHaveReachedServer())
    }

    @Test
    fun aClosedPortThroughHttpUrlConnectionNeverReachedTheServer() = runBlocking<Unit> {
        val client = TokenExchangeClient.create("http://127.0.0.1:${Emulator.closedPort()}", Emulator.CLIENT_ID, dpopKey = null)
        val error = failureOf(client) as TokenExchangeException.Network
        assertEquals(NetworkErrorKind.CONNECT, error.kind)
        assertFalse(error.requestMayHaveReachedServer())
    }

    @Test
    fun theDpopNonceRetryGoesThroughThePlatformTransport() = runBlocking<Unit> {
        val recording = Recording()
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = jcaKey(), transport = recording)
        val tokens = client.nativeSocialExchange(
            NativeSocialExchange.apple(Emulator.appleCode("apple|kotlin-nonce"), audience = Emulator.API),
        )
        assertTrue(tokens.isDpopBound())
        assertEquals("use_dpop_nonce, then the retry with the nonce", listOf(400, 200), recording.statuses.toList())
        val proofs = recording.requests.map { request -> request.headers.firstOrNull { it.name.equals("dpop", true) }?.value }
        assertEquals(2, proofs.size)
        assertNotNull(proofs[0])
        assertNotNull(proofs[1])
        assertNotEquals("a new proof, carrying the nonce", proofs[0], proofs[1])
        assertEquals(List(2) { "$base/oauth/token" }, recording.requests.map { it.url })
    }

    @Test
    fun transportRecordsPrintRedacted() {
        val request = HttpRequest(
            method = "POST",
            url = "$base/oauth/token?code=query-secret",
            headers = listOf(HttpHeader("dpop", "proof-secret")),
            body = "subject_token=body-secret".toByteArray(),
            timeout = Duration.ofSeconds(30),
            maxResponseBytes = 1024,
        )
        val text = request.toString()
        assertTrue(text, text.contains("dpop"))
        assertFalse(text, text.contains("secret"))
    }

    /**
     * Polls [condition] until it holds, for at most a minute: half the time the emulator holds
     * the response, so only a request that was not aborted can run out of it.
     */
    private suspend fun waitUntil(condition: () -> Boolean) {
        withTimeoutOrNull(60_000) {
            while (!condition()) delay(10)
        }
    }
}
