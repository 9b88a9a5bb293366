// Quickstart for token-exchange in Kotlin: trade a Sign in with Apple authorization code for
// DPoP-bound Auth0 tokens, then call /userinfo with them.
//
// Run against the emulator (what `cargo xtask test --lang kotlin` does), with the JSON line it
// printed at start (its control endpoints need the line's control_secret):
//   TOKEN_EXCHANGE_EMULATOR_URL=http://127.0.0.1:8787 TOKEN_EXCHANGE_EMULATOR_JSON='{...}' java ... QuickstartKt
// or against a tenant: QuickstartKt tenant.us.auth0.com CLIENT_ID APPLE_AUTHORIZATION_CODE
package com.tokenexchange.examples

import com.tokenexchange.DpopKey
import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.TokenExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.apple
import com.tokenexchange.create
import com.tokenexchange.mfaToken
import com.tokenexchange.userinfoJson
import java.net.HttpURLConnection
import java.net.URI
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

fun main(args: Array<String>) = runBlocking {
    val emulator = System.getenv("TOKEN_EXCHANGE_EMULATOR_URL")
    val domain = args.getOrNull(0) ?: emulator ?: usage()
    val clientId = args.getOrNull(1) ?: "native-app"
    // In an app the code comes from ASAuthorizationAppleIDCredential.authorizationCode.
    val code = args.getOrNull(2) ?: emulator?.let(::mintAppleCode) ?: usage()
    println("token-exchange ${TokenExchange.version}")

    // 1. One client per application. By default it signs DPoP proofs with the platform's key
    //    (PlatformDpopKey: the Android Keystore on Android) and sends its requests with
    //    HttpURLConnection (HttpUrlConnectionTransport).
    val client = TokenExchangeClient.create(domain, clientId)

    try {
        // 2. The exchange (Apple gives the user's name on the first sign-in only).
        val tokens = client.nativeSocialExchange(
            NativeSocialExchange.apple(code, firstName = "John", lastName = "Smith", audience = "https://api.example.com")
        )
        println("got $tokens") // redacted: no token value is printed
        check(tokens.isDpopBound() && tokens.dpopJkt == client.dpopThumbprint())

        // 3. Use the tokens.
        println("userinfo: ${client.userinfoJson(tokens)}")
    } catch (e: TokenExchangeException) {
        System.err.println("exchange failed: $e")
        when {
            e.isMfaRequired() -> System.err.println("  -> complete MFA with the mfa token (${e.mfaToken})")
            e.isRetryable() && !e.requestMayHaveReachedServer() -> System.err.println("  -> safe to retry")
            e.requestMayHaveReachedServer() -> System.err.println("  -> the Apple code may be spent: sign in again")
        }
        exitProcess(1)
    }
}

private fun usage(): Nothing {
    System.err.println("usage: QuickstartKt DOMAIN CLIENT_ID APPLE_CODE (or set TOKEN_EXCHANGE_EMULATOR_URL)")
    exitProcess(2)
}

/** Emulator only: mints an Apple authorization code through its control endpoint. */
private fun mintAppleCode(baseUrl: String): String {
    val connection = URI("${baseUrl.trimEnd('/')}/emulator/apple/authorization-codes").toURL()
        .openConnection() as HttpURLConnection
    connection.requestMethod = "POST"
    connection.doOutput = true
    connection.setRequestProperty("Content-Type", "application/json")
    val line = System.getenv("TOKEN_EXCHANGE_EMULATOR_JSON") ?: usage()
    val secret = Regex("\"control_secret\":\"([^\"]+)\"").find(line)?.groupValues?.get(1) ?: usage()
    connection.setRequestProperty("Authorization", "Bearer $secret")
    connection.outputStream.use { it.write("""{"sub":"apple|kotlin-quickstart","email":"kq@example.com"}""".toByteArray()) }
    val body = connection.inputStream.bufferedReader().use { it.readText() }
    return Regex("\"code\":\"([^\"]+)\"").find(body)!!.groupValues[1]
}
