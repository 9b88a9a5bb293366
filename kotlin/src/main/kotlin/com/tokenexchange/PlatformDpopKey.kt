package com.tokenexchange

import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.ConcurrentHashMap

/**
 * The DPoP key a client gets when none is given: a P-256 key kept by the platform under an
 * alias, created on first use and found again afterwards, so tokens bound to it keep working
 * across clients.
 *
 * - Android: the Android Keystore ([AndroidKeystore]: StrongBox when the device has one, else
 *   the TEE), kept across restarts. That code is compiled by the Gradle build only and is not
 *   exercised on this project's CI.
 * - JVM: a JCA key (the default provider's `EC`, `secp256r1`) held in memory for the life of
 *   the process: every client of the process created with the same alias shares it. To keep a
 *   JVM key across restarts, keep it in your own `KeyStore` and pass
 *   `DpopKey.fromSigner(JcaDpopSigner.fromKeyStore(...))`.
 *
 * The Rust library never sees the private key: it asks the key to sign each proof.
 */
object PlatformDpopKey {
    /** The alias used when none is given. */
    const val DEFAULT_ALIAS: String = "token-exchange-dpop"

    /** The key kept under [alias], created on first use. */
    @JvmStatic
    @JvmOverloads
    fun loadOrCreate(alias: String = DEFAULT_ALIAS): DpopKey = store.loadOrCreate(alias)

    /**
     * Forgets the key kept under [alias] (sign-out for good, or after `DpopKeyMismatch`): the next
     * [loadOrCreate] makes a new one, and tokens bound to the old one stop working.
     */
    @JvmStatic
    @JvmOverloads
    fun delete(alias: String = DEFAULT_ALIAS) = store.delete(alias)

    /** Android's store when the Android part of the library is there, else the JVM's. */
    private val store: DpopKeyStore by lazy {
        try {
            Class.forName("com.tokenexchange.AndroidKeystore").getField("INSTANCE").get(null) as DpopKeyStore
        } catch (e: ReflectiveOperationException) {
            JvmKeys
        } catch (e: LinkageError) {
            JvmKeys
        }
    }
}

/** Where [PlatformDpopKey] keeps keys: the Android Keystore ([AndroidKeystore]), or the JVM's memory. */
interface DpopKeyStore {
    /** The key kept under [alias], created on first use. */
    fun loadOrCreate(alias: String): DpopKey

    /** Forgets the key kept under [alias]. */
    fun delete(alias: String)
}

/** JVM keys, one per alias, in memory for the life of the process. */
private object JvmKeys : DpopKeyStore {
    private val keys = ConcurrentHashMap<String, KeyPair>()

    override fun loadOrCreate(alias: String): DpopKey {
        val pair = keys.computeIfAbsent(alias) {
            KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
        }
        return DpopKey.fromSigner(JcaDpopSigner(pair.private, pair.public))
    }

    override fun delete(alias: String) {
        keys.remove(alias)
    }
}
