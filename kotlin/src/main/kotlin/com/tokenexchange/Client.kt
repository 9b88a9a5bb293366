package com.tokenexchange

/**
 * The idiomatic Kotlin layer over the generated bindings (`generated/token_exchange.kt`).
 *
 * ```kotlin
 * val client = TokenExchangeClient.create("tenant.us.auth0.com", "CLIENT_ID") {
 *     timeout = java.time.Duration.ofSeconds(15)
 * }
 * // Native social token exchange; cancelling the coroutine aborts the request.
 * val tokens = client.nativeSocialExchange(
 *     NativeSocialExchange.apple(code, firstName = "John", lastName = "Smith", audience = "https://api.example.com")
 * )
 * ```
 *
 * Calls are `suspend` functions running on the library's own threads; cancelling the calling
 * coroutine aborts the HTTP request (the call then throws `CancellationException`). Errors are
 * [TokenExchangeException] subclasses with predicates (`isMfaRequired()`, `isRetryable()`,
 * `requestMayHaveReachedServer()`...). Token sets, requests and headers print redacted.
 */
object TokenExchange {
    /** The SDK name sent in the `Auth0-Client` telemetry header. */
    const val SDK_NAME: String = "token-exchange-kotlin"

    /** The library version. */
    val version: String
        get() = libraryVersion()

    /** Telemetry identifying this SDK, the Kotlin version and the runtime (JVM or Android). */
    fun telemetry(): Telemetry {
        val vm = System.getProperty("java.vm.name").orEmpty()
        val env = mutableMapOf("kotlin" to KotlinVersion.CURRENT.toString())
        // Android's runtime (ART) still reports itself as Dalvik.
        if (vm.contains("Dalvik", ignoreCase = true)) {
            env["platform"] = "android"
        } else {
            env["platform"] = "jvm"
            System.getProperty("java.version")?.let { env["java"] = it }
        }
        return Telemetry(name = SDK_NAME, version = libraryVersion(), env = env)
    }
}

/**
 * Creates a client for one Auth0 application, identified in telemetry as `token-exchange-kotlin`.
 *
 * [dpopKey] defaults to the platform's key ([PlatformDpopKey]: the Android Keystore on Android,
 * kept across restarts; a JCA key shared by the process on the JVM): tokens are DPoP-bound to
 * it. Pass `null` for bearer tokens. Requests go through [transport]: by default
 * `HttpURLConnection` ([HttpUrlConnectionTransport]); pass your own (OkHttp with your
 * interceptors...). [configure] adjusts the [ClientConfig] (timeouts, user agent,
 * `telemetryEnabled = false`...). Throws [TokenExchangeException.InvalidInput] for a bad domain or
 * client id (nothing is sent).
 */
fun TokenExchangeClient.Companion.create(
    domain: String,
    clientId: String,
    dpopKey: DpopKey? = PlatformDpopKey.loadOrCreate(),
    transport: HttpTransport = HttpUrlConnectionTransport.shared,
    configure: ClientConfig.() -> Unit = {},
): TokenExchangeClient {
    val config = ClientConfig(domain = domain, clientId = clientId, telemetry = TokenExchange.telemetry())
    config.configure()
    return TokenExchangeClient.withTransport(config, dpopKey, transport)
}

/** The `mfa_token` to continue with Auth0's MFA API, when [TokenExchangeException.isMfaRequired]. */
val TokenExchangeException.mfaToken: Secret?
    get() = (this as? TokenExchangeException.OAuth)?.mfaToken

/** The OAuth error code (`invalid_grant`...), for OAuth errors. */
val TokenExchangeException.oauthCode: String?
    get() = (this as? TokenExchangeException.OAuth)?.code

/** The user's claims from `/userinfo`, as a JSON object string (parse it with your JSON library). */
suspend fun TokenExchangeClient.userinfoJson(tokens: TokenSet): String = userinfo(tokens)

/**
 * Creates a client for a backend (a Token Vault Custom API Client, a server exchanging tokens):
 * authenticated with [clientAuthentication], no DPoP key, telemetry as `token-exchange-kotlin`.
 */
fun TokenExchangeClient.Companion.backend(
    domain: String,
    clientId: String,
    clientAuthentication: ClientAuthentication,
    transport: HttpTransport = HttpUrlConnectionTransport.shared,
    configure: ClientConfig.() -> Unit = {},
): TokenExchangeClient = create(domain, clientId, dpopKey = null, transport = transport) {
    this.clientAuthentication = clientAuthentication
    configure()
}
