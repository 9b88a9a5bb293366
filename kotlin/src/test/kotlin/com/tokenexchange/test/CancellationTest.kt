package com.tokenexchange.test

import com.tokenexchange.CancellationToken
import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.TokenSet
import com.tokenexchange.apple
import com.tokenexchange.create
import java.util.concurrent.atomic.AtomicReference
import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/**
 * The emulator delays the token response of these Apple codes by [DELAY_MS], past the client's
 * own 30 s timeout: only the cancellation can end a call the way these tests expect, and no token
 * set may arrive. Nothing is timed, so a loaded machine cannot make them fail.
 */
class CancellationTest {
    private val client = TokenExchangeClient.create(Emulator.baseUrl, Emulator.CLIENT_ID)

    @Test
    fun cancellingTheCoroutineAbortsTheExchange() = runBlocking<Unit> {
        val request = NativeSocialExchange.apple(Emulator.appleCode(delayMs = DELAY_MS))
        val outcome = AtomicReference<Any?>(null)
        val job = launch(Dispatchers.IO, start = CoroutineStart.UNDISPATCHED) {
            try {
                outcome.set(client.nativeSocialExchange(request))
            } catch (e: CancellationException) {
                outcome.set(e)
                throw e
            }
        }
        delay(300)
        job.cancel()
        job.join()
        assertTrue("the call ended with ${outcome.get()}", outcome.get() is CancellationException)
    }

    @Test
    fun withTimeoutCancelsTheExchange() = runBlocking<Unit> {
        val request = NativeSocialExchange.apple(Emulator.appleCode(delayMs = DELAY_MS))
        var tokens: TokenSet? = null
        try {
            withTimeout(300) { tokens = client.nativeSocialExchange(request) }
            fail("the exchange finished")
        } catch (e: TimeoutCancellationException) {
            // expected
        }
        assertNull(tokens)
    }

    @Test
    fun anExplicitCancellationTokenEndsTheCallWithCancelled() = runBlocking<Unit> {
        val request = NativeSocialExchange.apple(Emulator.appleCode(delayMs = DELAY_MS))
        val token = CancellationToken()
        launch {
            delay(300)
            token.cancel()
        }
        try {
            client.nativeSocialExchange(request, token)
            fail("the exchange finished")
        } catch (e: TokenExchangeException.Cancelled) {
            assertTrue(e.requestMayHaveReachedServer())
        }
        assertTrue(token.isCancelled())
        // A cancelled token fails new calls at once, before any I/O.
        try {
            client.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode()), token)
            fail("the exchange ran")
        } catch (e: TokenExchangeException.Cancelled) {
            assertEquals(true, token.isCancelled())
        }
    }

    companion object {
        const val DELAY_MS = 120_000L
    }
}
