package com.tokenexchange

import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.PrivateKey
import java.security.PublicKey
import java.security.Signature

/**
 * A DPoP signer backed by a `java.security` EC P-256 key pair, for example a key of the Android
 * Keystore (the private key never leaves the secure hardware):
 *
 * ```kotlin
 * val keyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
 * // once: KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, "AndroidKeyStore")
 * //   .apply { initialize(KeyGenParameterSpec.Builder("dpop", KeyProperties.PURPOSE_SIGN)
 * //       .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
 * //       .setDigests(KeyProperties.DIGEST_SHA256).build()) }.generateKeyPair()
 * val key = DpopKey.fromSigner(JcaDpopSigner.fromKeyStore(keyStore, "dpop"))
 * val client = TokenExchangeClient.create(domain, clientId, dpopKey = key)
 * ```
 *
 * The public key is given as its X.509 `SubjectPublicKeyInfo` encoding and signatures as DER;
 * the library converts both. Failures are thrown as [SignerException.Failed], which reach the
 * caller of the exchange as [TokenExchangeException.Signer].
 *
 * Signing may block (a key that needs user authentication waits for a `BiometricPrompt`). It
 * counts against the client's `timeout`: a call whose signer has not returned by then throws
 * [TokenExchangeException.Timeout] (nothing was sent), and cancelling the coroutine ends the
 * call at once. The blocked `sign` is not interrupted: the prompt stays open until the user
 * answers it or you call `BiometricPrompt.cancelAuthentication()`, and its signature is
 * discarded.
 */
class JcaDpopSigner(
    private val privateKey: PrivateKey,
    private val publicKey: PublicKey,
    /** A JCA provider name (`"AndroidKeyStore"`), or `null` for the default provider. */
    private val provider: String? = null,
) : DpopSigner {
    override fun publicKey(): ByteArray =
        publicKey.encoded ?: throw SignerException.Failed("the public key has no X.509 encoding")

    override fun sign(message: ByteArray): ByteArray = try {
        val signature = if (provider != null) {
            Signature.getInstance("SHA256withECDSA", provider)
        } else {
            Signature.getInstance("SHA256withECDSA")
        }
        signature.initSign(privateKey)
        signature.update(message)
        signature.sign()
    } catch (e: GeneralSecurityException) {
        // The exception text may describe the key; the class name is enough to diagnose.
        throw SignerException.Failed("signing failed: ${e.javaClass.simpleName}")
    }

    override fun toString(): String = "JcaDpopSigner(${privateKey.algorithm}, provider=${provider ?: "default"})"

    companion object {
        /**
         * The key pair stored under [alias] in [keyStore] (for example `AndroidKeyStore`, which needs
         * no [protection]).
         */
        fun fromKeyStore(
            keyStore: KeyStore,
            alias: String,
            protection: KeyStore.ProtectionParameter? = null,
        ): JcaDpopSigner {
            val entry = keyStore.getEntry(alias, protection) as? KeyStore.PrivateKeyEntry
                ?: throw SignerException.Failed("no private key entry named '$alias'")
            // No explicit provider: JCA picks the one that can use this private key.
            return JcaDpopSigner(entry.privateKey, entry.certificate.publicKey)
        }
    }
}
