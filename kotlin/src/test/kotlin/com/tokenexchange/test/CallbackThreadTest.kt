package com.tokenexchange.test

import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.apple
import com.tokenexchange.create
import java.lang.management.ManagementFactory
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * The library's runtime thread calls into the JVM (future continuations, the transport, the
 * signer) attached once and kept attached (`CallbackThreads`), instead of JNA's default of
 * attaching and detaching it around every call, which starts a `java.lang.Thread` each time.
 */
class CallbackThreadTest {
    @Test
    fun theRuntimeThreadStaysAttachedAcrossExchanges() = runBlocking<Unit> {
        val client = TokenExchangeClient.create(Emulator.baseUrl, Emulator.CLIENT_ID, dpopKey = jcaKey())
        // Warm up: the first exchange attaches the runtime thread and fills the pools.
        client.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode("apple|kotlin-threads")))
        val codes = (1..EXCHANGES).map { Emulator.appleCode("apple|kotlin-threads-$it") }
        val jvmThreads = ManagementFactory.getThreadMXBean()
        val before = jvmThreads.totalStartedThreadCount
        for (code in codes) {
            client.nativeSocialExchange(NativeSocialExchange.apple(code))
        }
        val started = jvmThreads.totalStartedThreadCount - before
        // Attached per call, each exchange (continuation callbacks, `send`, `sign`) starts
        // five threads (100 here, measured without CallbackThreads); kept attached, only the
        // JVM's own pools may grow.
        assertTrue("$started JVM threads started during $EXCHANGES exchanges", started < EXCHANGES)
        // The runtime's thread, and its blocking pool's while they live.
        val library = Thread.getAllStackTraces().keys.filter { it.name == "token-exchange-runtime" }
        assertTrue("the library's threads stay attached, named", library.isNotEmpty())
        assertTrue("daemons: they never keep the JVM from exiting", library.all { it.isDaemon })
    }

    private companion object {
        const val EXCHANGES = 20
    }
}
