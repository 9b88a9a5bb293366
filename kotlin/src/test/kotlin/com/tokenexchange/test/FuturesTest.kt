package com.tokenexchange.test

import com.tokenexchange.TokenExchangeException
import com.tokenexchange.TokenExchangeFutures
import java.util.concurrent.CancellationException
import java.util.concurrent.ExecutionException
import org.junit.Assert.assertEquals
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test

/** The CompletableFuture surface Java uses (`TokenExchangeFutures`), against the emulator. */
class FuturesTest {
    @Test
    fun exchangeCompletesWithBoundTokens() {
        TokenExchangeFutures.create(Emulator.baseUrl, Emulator.CLIENT_ID).use { futures ->
            val tokens = futures.nativeSocialExchange(TokenExchangeFutures.apple(Emulator.appleCode("apple|futures"))).get()
            assertTrue(tokens.isDpopBound())
            assertEquals(futures.client.dpopThumbprint(), tokens.dpopJkt)
            assertTrue(futures.userinfo(tokens).get().contains("\"sub\":\"apple|futures\""))
        }
    }

    @Test
    fun failureCompletesExceptionallyWithTheLibrarysError() {
        TokenExchangeFutures.create(Emulator.baseUrl, Emulator.CLIENT_ID).use { futures ->
            val code = Emulator.appleCode()
            futures.nativeSocialExchange(TokenExchangeFutures.apple(code)).get()
            // Apple codes are single-use: the second exchange is refused, and the future carries
            // the same exception the suspend function throws.
            val failed = assertThrows(ExecutionException::class.java) {
                futures.nativeSocialExchange(TokenExchangeFutures.apple(code)).get()
            }
            val error = failed.cause as TokenExchangeException
            assertTrue(error.toString(), error.isInvalidGrant())
        }
    }

    @Test
    fun cancellingOneFutureLeavesTheOthersRunning() {
        TokenExchangeFutures.create(Emulator.baseUrl, Emulator.CLIENT_ID).use { futures ->
            // The emulator holds this response for a minute: only cancellation ends the call.
            val slow = futures.nativeSocialExchange(TokenExchangeFutures.apple(Emulator.appleCode(delayMs = 60_000)))
            assertTrue(slow.cancel(true))
            assertThrows(CancellationException::class.java) { slow.join() }
            val tokens = futures.nativeSocialExchange(TokenExchangeFutures.apple(Emulator.appleCode())).get()
            assertTrue(tokens.isDpopBound())
        }
    }
}
