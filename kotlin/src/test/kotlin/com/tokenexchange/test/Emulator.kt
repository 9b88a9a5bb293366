package com.tokenexchange.test

import com.tokenexchange.DpopKey
import com.tokenexchange.JcaDpopSigner
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.spec.ECGenParameterSpec
import java.net.HttpURLConnection
import java.net.ServerSocket
import java.net.URI

/**
 * The emulator the tests run against (`TOKEN_EXCHANGE_EMULATOR_URL`) and its control endpoints,
 * which need the control secret of its startup line (`TOKEN_EXCHANGE_EMULATOR_JSON`).
 */
object Emulator {
    val baseUrl: String by lazy {
        System.getenv("TOKEN_EXCHANGE_EMULATOR_URL")?.trimEnd('/')
            ?: error("TOKEN_EXCHANGE_EMULATOR_URL is not set: run the tests with `cargo xtask test --lang kotlin`")
    }

    /** The `control_secret` of the emulator's startup line. */
    private val controlSecret: String by lazy {
        val line = System.getenv("TOKEN_EXCHANGE_EMULATOR_JSON")
            ?: error("TOKEN_EXCHANGE_EMULATOR_JSON is not set: run the tests with `cargo xtask test --lang kotlin`")
        field(line, "control_secret")
    }

    const val CLIENT_ID = "native-app"
    const val API = "https://api.example.com"

    private fun post(path: String, body: String): String {
        val connection = URI("$baseUrl$path").toURL().openConnection() as HttpURLConnection
        connection.requestMethod = "POST"
        connection.doOutput = true
        connection.setRequestProperty("Content-Type", "application/json")
        connection.setRequestProperty("Authorization", "Bearer $controlSecret")
        connection.outputStream.use { it.write(body.toByteArray()) }
        val status = connection.responseCode
        val text = (if (status < 400) connection.inputStream else connection.errorStream).bufferedReader().use { it.readText() }
        check(status in 200..299) { "POST $path: HTTP $status $text" }
        return text
    }

    private fun field(json: String, name: String): String =
        Regex("\"$name\":\"([^\"]+)\"").find(json)?.groupValues?.get(1) ?: error("no $name in $json")

    /** A single-use Apple authorization code for [sub]; the token response is delayed by [delayMs]. */
    fun appleCode(sub: String = "apple|kotlin-user", email: String? = null, delayMs: Long? = null): String {
        val members = mutableListOf("\"sub\":\"$sub\"")
        if (email != null) members += "\"email\":\"$email\""
        if (delayMs != null) members += "\"delay_ms\":$delayMs"
        return field(post("/emulator/apple/authorization-codes", "{${members.joinToString(",")}}"), "code")
    }

    /** The sample tenant's token exchange profile for Google ID tokens (JavaScript Action `act_google`). */
    const val GOOGLE_PROFILE = "urn:token-exchange:google-id-token"

    /** The Token Vault backend API and its Custom API Client. */
    const val VAULT_API = "https://calendar-backend.example.com"
    const val VAULT_CLIENT_ID = "calendar-backend"
    const val VAULT_CLIENT_SECRET = "calendar-backend-secret"

    /** A Google ID token for [sub] from the emulator's test Google issuer. */
    fun googleIdToken(sub: String, email: String = "$sub@example.com"): String =
        field(post("/emulator/google/id-tokens", "{\"sub\":\"$sub\",\"email\":\"$email\"}"), "id_token")

    /** Connects [userId]'s account at [connection] in the Token Vault. */
    fun connectAccount(userId: String, connection: String = "google-oauth2") {
        post("/emulator/vault/connect", "{\"user_id\":\"$userId\",\"connection\":\"$connection\"}")
    }

    /** A Facebook session token (reusable until it expires). */
    fun facebookToken(): String = field(post("/emulator/facebook/session-tokens", "{}"), "token")

    /** Makes the next /oauth/token answer [status] with [body] (and [headers]). */
    fun queueTokenResponse(status: Int, contentType: String, body: String, headers: Map<String, String> = emptyMap()) {
        val escaped = body.replace("\\", "\\\\").replace("\"", "\\\"")
        val headerJson = headers.entries.joinToString(",") { "\"${it.key}\":\"${it.value}\"" }
        post(
            "/emulator/token-responses",
            "{\"status\":$status,\"content_type\":\"$contentType\",\"headers\":{$headerJson},\"body\":\"$escaped\"}",
        )
    }

    /** Gives the tenant a new signing key (new `kid`), keeping the previous ones published. */
    fun rotateSigningKey() {
        post("/emulator/rotate-signing-key", "{\"keep_previous\":true}")
    }

    /** A loopback port nothing listens on. */
    fun closedPort(): Int = ServerSocket(0).use { it.localPort }
}

/** A new P-256 key held by Kotlin code (JCA), as the Android Keystore would hold it. */
fun p256(): KeyPair =
    KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()

/** A DPoP key around a new [p256] key pair. */
fun jcaKey(): DpopKey = p256().let { DpopKey.fromSigner(JcaDpopSigner(it.private, it.public)) }
