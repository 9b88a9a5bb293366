package com.tokenexchange.test

import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.apple
import com.tokenexchange.create
import com.tokenexchange.userinfoJson
import java.util.Collections
import kotlin.concurrent.thread
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** One client shared by many coroutines and threads at once. */
class ConcurrencyTest {
    private val key = jcaKey()
    private val client = TokenExchangeClient.create(Emulator.baseUrl, Emulator.CLIENT_ID, dpopKey = key)

    @Test
    fun manyCoroutinesShareOneClient() = runBlocking<Unit> {
        val codes = (1..12).map { Emulator.appleCode("apple|kotlin-coroutine-$it") }
        val results = codes.map { code ->
            async(Dispatchers.Default) {
                val tokens = client.nativeSocialExchange(NativeSocialExchange.apple(code, audience = Emulator.API))
                tokens to client.userinfoJson(tokens)
            }
        }.awaitAll()
        assertEquals(12, results.size)
        results.forEachIndexed { i, (tokens, claims) ->
            assertEquals(key.thumbprint(), tokens.dpopJkt)
            assertTrue(claims, claims.contains("apple|kotlin-coroutine-${i + 1}"))
        }
        assertEquals(12, results.map { it.first.accessToken }.toSet().size)
    }

    @Test
    fun manyThreadsShareOneClient() {
        val failures = Collections.synchronizedList(mutableListOf<Throwable>())
        val bound = Collections.synchronizedList(mutableListOf<String?>())
        val threads = (1..6).map { n ->
            val code = Emulator.appleCode("apple|kotlin-thread-$n")
            thread {
                try {
                    bound += runBlocking { client.nativeSocialExchange(NativeSocialExchange.apple(code)).dpopJkt }
                } catch (e: Throwable) {
                    failures += e
                }
            }
        }
        threads.forEach { it.join() }
        assertTrue("failures: $failures", failures.isEmpty())
        assertEquals(List(6) { key.thumbprint() }, bound.toList())
    }
}
