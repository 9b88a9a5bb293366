package com.tokenexchange

import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.spec.ECGenParameterSpec

/**
 * DPoP keys kept in the Android Keystore: the private key is generated in secure hardware and
 * never leaves it, so tokens bound to it cannot be used from another device. It is what
 * [PlatformDpopKey] (every client's default key) uses on Android. Android only: compiled by the
 * Gradle build, not by the JVM test suite, and not exercised on this project's CI.
 *
 * ```kotlin
 * val client = TokenExchangeClient.create(domain, clientId, dpopKey = AndroidKeystore.dpopKey())
 * ```
 */
object AndroidKeystore : DpopKeyStore {
    private const val PROVIDER = "AndroidKeyStore"

    /** The default alias of the DPoP key. */
    const val DEFAULT_ALIAS: String = "token-exchange-dpop"

    /**
     * The P-256 signing key stored under [alias], generated on first use (in StrongBox when
     * [preferStrongBox] and the device has one, else in the TEE).
     */
    @JvmStatic
    @JvmOverloads
    fun dpopKey(alias: String = DEFAULT_ALIAS, preferStrongBox: Boolean = true): DpopKey {
        val store = KeyStore.getInstance(PROVIDER).apply { load(null) }
        if (!store.containsAlias(alias)) {
            generate(alias, preferStrongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P)
        }
        return DpopKey.fromSigner(JcaDpopSigner.fromKeyStore(store, alias))
    }

    override fun loadOrCreate(alias: String): DpopKey = dpopKey(alias)

    /**
     * Deletes the key. Do this when the app signs the user out for good, or after a
     * `DpopKeyMismatch` error, then sign the user in again with a new key.
     */
    override fun delete(alias: String) {
        KeyStore.getInstance(PROVIDER).apply { load(null) }.deleteEntry(alias)
    }

    private fun generate(alias: String, strongBox: Boolean) {
        val builder = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
        if (strongBox) {
            try {
                builder.setIsStrongBoxBacked(true)
                keyPairGenerator().apply { initialize(builder.build()) }.generateKeyPair()
                return
            } catch (e: Exception) {
                // Not only StrongBoxUnavailableException: some devices advertise StrongBox and
                // then fail with a ProviderException or a KeyStoreException. The TEE it is.
                builder.setIsStrongBoxBacked(false)
            }
        }
        keyPairGenerator().apply { initialize(builder.build()) }.generateKeyPair()
    }

    private fun keyPairGenerator(): KeyPairGenerator =
        KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, PROVIDER)
}
