package com.tokenexchange.test

import com.tokenexchange.CredentialStore
import com.tokenexchange.CredentialStoreException
import com.tokenexchange.CredentialStoreProblem
import com.tokenexchange.CredentialsManager
import com.tokenexchange.Revocation
import com.tokenexchange.SignInReason
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.TokenSet
import com.tokenexchange.create
import com.tokenexchange.fileCredentialStore
import com.tokenexchange.memoryCredentialStore
import java.nio.file.Files
import java.nio.file.attribute.PosixFilePermissions
import java.time.Duration
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/** A [CredentialStore] written in Kotlin, as an app writes one over its own storage; it counts calls. */
class KotlinStore : CredentialStore {
    private var record: String? = null
    var saves = 0
        private set
    var clears = 0
        private set

    @Volatile var failing = false

    @Synchronized override fun load(): String? = checked { record }

    @Synchronized override fun save(record: String) = checked {
        saves++
        this.record = record
    }

    @Synchronized override fun clear() = checked {
        clears++
        record = null
    }

    val stored: String? @Synchronized get() = record

    private inline fun <T> checked(body: () -> T): T {
        if (failing) throw CredentialStoreException.Failed("the store is locked")
        return body()
    }
}

/** [CredentialsManager] against the emulator, over a store written in Kotlin. */
class CredentialsManagerTest {
    /** Long enough that tokens living an hour always need renewing. */
    private val twoDays = Duration.ofDays(2)

    private class SignedIn(val client: TokenExchangeClient, val manager: CredentialsManager, val store: KotlinStore, val tokens: TokenSet)

    private suspend fun signedIn(sub: String): SignedIn {
        val client = TokenExchangeClient.create(Emulator.baseUrl, ROTATING_CLIENT_ID)
        val tokens = signIn(client, sub)
        val store = KotlinStore()
        val manager = CredentialsManager(client, store)
        manager.save(tokens)
        return SignedIn(client, manager, store, tokens)
    }

    @Test
    fun storedTokensAreHandedOutThenRenewedAndSaved() = runBlocking<Unit> {
        val s = signedIn("apple|kotlin-manager")
        assertEquals(1, s.store.saves)
        val record = s.store.stored!!

        val fresh = s.manager.credentials(Duration.ofSeconds(60))
        assertTrue("fresh tokens are not renewed", s.tokens.accessToken == fresh.accessToken)
        assertEquals("apple|kotlin-manager", fresh.idTokenClaims?.sub)
        assertEquals(1, s.store.saves)

        val renewed = s.manager.credentials(twoDays)
        assertFalse(s.tokens.accessToken == renewed.accessToken)
        assertFalse("rotated", s.tokens.refreshToken == renewed.refreshToken)
        assertEquals("the renewed tokens were saved", 2, s.store.saves)
        assertFalse(record == s.store.stored)

        val again = s.manager.renew()
        assertFalse(renewed.accessToken == again.accessToken)
        assertEquals(3, s.store.saves)

        // Sign-out revokes at the server, then forgets.
        assertEquals(Revocation.Revoked, s.manager.clear())
        assertNull(s.store.stored)
        val e = failure<TokenExchangeException.SignInRequired> { s.manager.credentials(Duration.ZERO) }
        assertEquals(SignInReason.NoCredentials, e.reason)
        assertTrue(e.isSignInRequired())
    }

    @Test
    fun fiftyConcurrentCallersShareOneRefresh() = runBlocking<Unit> {
        val s = signedIn("apple|kotlin-fifty")
        // Stored as they are an hour after they expired: every caller needs them renewed, and the
        // renewed ones (living an hour) satisfy every caller.
        s.manager.save(s.tokens.copy(expiresAt = System.currentTimeMillis() / 1000 - 3600))
        val results = (1..50).map { async(Dispatchers.Default) { s.manager.credentials(Duration.ofSeconds(60)) } }.awaitAll()
        val first = results.first()
        assertFalse(s.tokens.accessToken == first.accessToken)
        // Each issuance has its own `jti`: one access token for all means one refresh. (Sizes,
        // not the sets: a failure must not print tokens.)
        assertEquals(1, results.map { it.accessToken }.toSet().size)
        assertEquals(1, results.map { it.refreshToken }.toSet().size)
        assertEquals("the sign-in, the aged copy, then one renewal", 3, s.store.saves)
        // `rotating-app` detects reuse: the family being alive shows no second refresh happened.
        s.client.refresh(first)
    }

    /**
     * Cancelling the caller's coroutine ends its call; a renewal that started still finishes and
     * saves the rotated refresh token. Had it been sent and not saved, the next renewal would
     * reuse the spent token and `rotating-app` would refuse it (and revoke the family).
     */
    @Test
    fun aCancelledRenewalKeepsTheUserSignedIn() = runBlocking<Unit> {
        val s = signedIn("apple|kotlin-cancelled-renewal")
        val call = async(Dispatchers.Default) { s.manager.renew() }
        yield()
        call.cancel()
        assertTrue(runCatching { call.await() }.exceptionOrNull() is CancellationException)
        assertEquals("apple|kotlin-cancelled-renewal", s.manager.renew().idTokenClaims?.sub)
        s.manager.credentials(Duration.ofSeconds(60))
    }

    @Test
    fun aRefusedRefreshTokenClearsTheStoreAndAsksForSignIn() = runBlocking<Unit> {
        val s = signedIn("apple|kotlin-refused")
        s.client.revoke(s.tokens.refreshToken!!)
        val e = failure<TokenExchangeException.SignInRequired> { s.manager.credentials(twoDays) }
        assertTrue(e.isSignInRequired())
        val reason = e.reason as? SignInReason.RefreshTokenRejected ?: error("expected RefreshTokenRejected, got ${e.reason}")
        assertEquals("invalid_grant", reason.code)
        assertNull(s.store.stored)
        assertEquals(1, s.store.clears)
    }

    @Test
    fun aKeyMismatchClearsTheStoreWithoutSendingAnything() = runBlocking<Unit> {
        val s = signedIn("apple|kotlin-lost-key")
        // Another key, and nothing listens: a request sent would be a network error.
        val otherKey = TokenExchangeClient.create("http://127.0.0.1:${Emulator.closedPort()}", ROTATING_CLIENT_ID, dpopKey = jcaKey())
        val store = KotlinStore()
        val manager = CredentialsManager(otherKey, store)
        manager.save(s.tokens)
        val e = failure<TokenExchangeException.DpopKeyMismatch> { manager.credentials(Duration.ZERO) }
        assertTrue(e.isSignInRequired())
        assertNull(store.stored)
    }

    @Test
    fun storeFailuresAreTypedAndLoseNothing() = runBlocking<Unit> {
        val s = signedIn("apple|kotlin-store-failure")
        s.store.failing = true
        val e = failure<TokenExchangeException.CredentialStore> { s.manager.credentials(Duration.ZERO) }
        assertEquals(CredentialStoreProblem.Failed("the store is locked"), e.problem)
        s.store.failing = false
        assertTrue(s.tokens.accessToken == s.manager.credentials(Duration.ZERO).accessToken)
    }

    @Test
    fun theLibraryStoresKeepTheRecord() = runBlocking<Unit> {
        val directory = Files.createTempDirectory("te-kotlin")
        val path = directory.resolve("credentials")
        try {
            for (store in listOf(memoryCredentialStore(), fileCredentialStore(path.toString()))) {
                val client = TokenExchangeClient.create(Emulator.baseUrl, Emulator.CLIENT_ID)
                val tokens = signIn(client, "apple|kotlin-library-store")
                CredentialsManager(client, store).save(tokens)
                // A new manager (a restart) over the same store finds the tokens.
                val found = CredentialsManager(client, store).credentials(Duration.ZERO)
                assertTrue(tokens.accessToken == found.accessToken)
                assertNotNull(store.load())
                assertFalse("tokens print redacted", found.toString().contains(tokens.accessToken))
            }
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
        } finally {
            directory.toFile().deleteRecursively()
        }
    }
}
