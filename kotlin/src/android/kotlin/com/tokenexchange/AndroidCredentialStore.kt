package com.tokenexchange

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import java.io.File
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * A [CredentialStore] for Android: the record is sealed with an AES-256-GCM key kept in the
 * Android Keystore (generated on first use, never exported), and the sealed text is written to
 * [file] by the library's file store (mode `0600`, replaced atomically). Put [file] in
 * `context.noBackupFilesDir`: tokens bound to this device's DPoP key are useless elsewhere.
 *
 * ```kotlin
 * val manager = CredentialsManager(client, AndroidCredentialStore(File(context.noBackupFilesDir, "credentials")))
 * ```
 *
 * A key the system invalidated, or a file sealed by another key, makes `load` throw; the
 * manager reports it as [TokenExchangeException.CredentialStore] and `clear()` starts afresh.
 *
 * Android only: compiled by the Gradle build, NOT by this repository's JVM test suite, which
 * drives the same [CredentialStore] interface with a store written in Kotlin and the library's
 * file store. It only seals, unseals and delegates.
 */
class AndroidCredentialStore @JvmOverloads constructor(
    file: File,
    private val keyAlias: String = DEFAULT_KEY_ALIAS,
) : CredentialStore {
    private val sealed: CredentialStore = fileCredentialStore(file.path)

    override fun load(): String? = sealed.load()?.let { text ->
        guarded("unseal") {
            val bytes = Base64.decode(text, Base64.NO_WRAP)
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BITS, bytes, 0, IV_BYTES))
            cipher.updateAAD(AAD)
            String(cipher.doFinal(bytes, IV_BYTES, bytes.size - IV_BYTES), Charsets.UTF_8)
        }
    }

    override fun save(record: String) {
        val text = guarded("seal") {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.ENCRYPT_MODE, key()) // the Keystore picks a fresh random IV
            cipher.updateAAD(AAD)
            Base64.encodeToString(cipher.iv + cipher.doFinal(record.toByteArray(Charsets.UTF_8)), Base64.NO_WRAP)
        }
        sealed.save(text)
    }

    override fun clear() = sealed.clear()

    private fun key(): SecretKey {
        val store = KeyStore.getInstance(PROVIDER).apply { load(null) }
        (store.getKey(keyAlias, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        generator.init(
            KeyGenParameterSpec.Builder(keyAlias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    private inline fun <T> guarded(action: String, body: () -> T): T = try {
        body()
    } catch (e: GeneralSecurityException) {
        // The exception's class only: never the record.
        throw CredentialStoreException.Failed("could not $action the credentials (${e.javaClass.simpleName})")
    } catch (e: IllegalArgumentException) {
        throw CredentialStoreException.Failed("the credentials file is not sealed text")
    }

    companion object {
        /** The default alias of the sealing key in the Android Keystore. */
        const val DEFAULT_KEY_ALIAS: String = "token-exchange-credentials"
        private const val PROVIDER = "AndroidKeyStore"
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val IV_BYTES = 12
        private const val TAG_BITS = 128
        private val AAD = "token-exchange credentials".toByteArray(Charsets.UTF_8)
    }
}
