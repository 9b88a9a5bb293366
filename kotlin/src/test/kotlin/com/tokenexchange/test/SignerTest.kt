package com.tokenexchange.test

import com.tokenexchange.DpopKey
import com.tokenexchange.DpopSigner
import com.tokenexchange.JcaDpopSigner
import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.SignerException
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.apple
import com.tokenexchange.create
import com.tokenexchange.userinfoJson
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.io.File
import java.security.KeyStore
import java.security.spec.ECGenParameterSpec
import java.time.Duration
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/**
 * DPoP keys held by Kotlin code, as an Android Keystore key would be: `java.security` EC P-256
 * keys signing through `Signature("SHA256withECDSA")` (DER signatures, X.509 public keys).
 */
class SignerTest {
    private val base = Emulator.baseUrl

    /** Counts signatures, to show the library asked this key (twice: the nonce challenge). */
    private class Counting(private val inner: DpopSigner) : DpopSigner {
        val signatures = AtomicInteger()
        override fun publicKey(): ByteArray = inner.publicKey()
        override fun sign(message: ByteArray): ByteArray = inner.sign(message).also { signatures.incrementAndGet() }
    }

    @Test
    fun aJcaKeyGetsABoundTokenThroughTheNonceChallenge() = runBlocking<Unit> {
        val pair = p256()
        val signer = Counting(JcaDpopSigner(pair.private, pair.public))
        val key = DpopKey.fromSigner(signer)
        assertFalse(key.isSoftware())
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = key)
        val tokens = client.nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode("apple|kotlin-jca"), audience = Emulator.API))
        assertTrue(tokens.isDpopBound())
        assertEquals(key.thumbprint(), tokens.dpopJkt)
        assertEquals("a proof refused for lack of a nonce, then one accepted", 2, signer.signatures.get())
        // The emulator verifies each proof's ES256 signature with the JWK: userinfo proves it
        // again, through its own nonce challenge (two more proofs).
        assertTrue(client.userinfoJson(tokens).contains("apple|kotlin-jca"))
        assertEquals(4, signer.signatures.get())
    }

    @Test
    fun aKeyStoreEntryWorksLikeTheAndroidKeystore() = runBlocking<Unit> {
        // A PKCS#12 store made by keytool stands in for "AndroidKeyStore": same KeyStore API,
        // same entry type, a key generated outside this process.
        val file = File.createTempFile("dpop", ".p12").apply { delete() }
        val password = "test-only".toCharArray()
        val keytool = File(System.getProperty("java.home"), "bin/keytool").path
        val exit = ProcessBuilder(
            keytool, "-genkeypair", "-alias", "dpop", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=dpop", "-storetype", "PKCS12", "-keystore", file.path,
            "-storepass", String(password), "-keypass", String(password),
        ).redirectErrorStream(true).start().waitFor()
        assertEquals("keytool exit status", 0, exit)
        val store = KeyStore.getInstance("PKCS12").apply { file.inputStream().use { load(it, password) } }
        file.delete()
        val key = DpopKey.fromSigner(JcaDpopSigner.fromKeyStore(store, "dpop", KeyStore.PasswordProtection(password)))
        assertEquals(
            DpopKey.fromSigner(JcaDpopSigner(store.getKey("dpop", password) as java.security.PrivateKey, store.getCertificate("dpop").publicKey)).thumbprint(),
            key.thumbprint(),
        )
        val tokens = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = key)
            .nativeSocialExchange(NativeSocialExchange.apple(Emulator.appleCode()))
        assertEquals(key.thumbprint(), tokens.dpopJkt)
    }

    @Test
    fun aSignerWaitingOnAPromptIsBoundedByTheTimeout() = runBlocking<Unit> {
        // The signer waits, as a biometric prompt does, until the test answers it: it cannot
        // finish before the call gives up. (A minute without an answer only happens when the
        // client waits for it, which is the failure this test catches.)
        val pair = p256()
        val answered = CountDownLatch(1)
        val gaveUp = AtomicBoolean(false)
        val prompting = object : DpopSigner {
            private val jca = JcaDpopSigner(pair.private, pair.public)
            override fun publicKey(): ByteArray = jca.publicKey()
            override fun sign(message: ByteArray): ByteArray {
                if (!answered.await(60, TimeUnit.SECONDS)) gaveUp.set(true)
                return jca.sign(message)
            }
        }
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = DpopKey.fromSigner(prompting)) {
            timeout = Duration.ofMillis(300)
        }
        try {
            client.nativeSocialExchange(NativeSocialExchange.apple("never-sent-code"))
            fail("the exchange succeeded")
        } catch (e: TokenExchangeException.Timeout) {
            assertFalse("nothing was sent while the prompt was open", e.requestMayHaveReachedServer())
        }
        answered.countDown()
        assertFalse("the call waited for the prompt", gaveUp.get())
    }

    @Test
    fun aThrowingSignerIsATypedSignerError() = runBlocking<Unit> {
        val pair = p256()
        val refusing = object : DpopSigner {
            override fun publicKey(): ByteArray = pair.public.encoded
            override fun sign(message: ByteArray): ByteArray = throw SignerException.Failed("user cancelled the prompt")
        }
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = DpopKey.fromSigner(refusing))
        try {
            client.nativeSocialExchange(NativeSocialExchange.apple("unused-code"))
            fail("the exchange succeeded")
        } catch (e: TokenExchangeException.Signer) {
            assertTrue(e.reason, e.reason.contains("user cancelled the prompt"))
            assertFalse(e.requestMayHaveReachedServer())
        }
    }

    @Test
    fun anUnexpectedExceptionInTheSignerIsASignerErrorNotACrash() = runBlocking<Unit> {
        val pair = p256()
        val broken = object : DpopSigner {
            override fun publicKey(): ByteArray = pair.public.encoded
            override fun sign(message: ByteArray): ByteArray = throw IllegalStateException("keystore locked")
        }
        val client = TokenExchangeClient.create(base, Emulator.CLIENT_ID, dpopKey = DpopKey.fromSigner(broken))
        try {
            client.nativeSocialExchange(NativeSocialExchange.apple("unused-code"))
            fail("the exchange succeeded")
        } catch (e: TokenExchangeException.Signer) {
            assertTrue(e.reason, e.reason.contains("unexpected"))
        }
    }

    @Test
    fun anUnusablePublicKeyIsRefusedWhenTheKeyIsMade() {
        val compressed = object : DpopSigner {
            override fun publicKey(): ByteArray = ByteArray(33).also { it[0] = 2 }
            override fun sign(message: ByteArray): ByteArray = ByteArray(64)
        }
        try {
            DpopKey.fromSigner(compressed)
            fail("accepted a compressed point")
        } catch (e: TokenExchangeException.Signer) {
            assertTrue(e.reason, e.reason.contains("public key"))
        }
        val rsa = KeyPairGenerator.getInstance("RSA").apply { initialize(1024) }.generateKeyPair()
        try {
            DpopKey.fromSigner(JcaDpopSigner(rsa.private, rsa.public))
            fail("accepted an RSA key")
        } catch (e: TokenExchangeException.Signer) {
            assertTrue(e.reason.isNotEmpty())
        }
    }
}
