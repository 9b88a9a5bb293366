package com.tokenexchange

import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.future.future

/**
 * The client for Java: every network call of [TokenExchangeClient] as a [CompletableFuture]
 * instead of a `suspend` function.
 *
 * ```java
 * try (TokenExchangeFutures client = TokenExchangeFutures.create("tenant.us.auth0.com", "CLIENT_ID")) {
 *     TokenSet tokens = client.nativeSocialExchange(TokenExchangeFutures.apple(code)).get();
 * } catch (ExecutionException e) {
 *     if (e.getCause() instanceof TokenExchangeException error && error.isRetryable()) { ... }
 * }
 * ```
 *
 * A future fails with the same [TokenExchangeException] the suspend function throws (`get()`
 * wraps it in `ExecutionException`, `join()` in `CompletionException`). Cancelling a future
 * (`cancel(true)`) cancels its coroutine, which aborts the HTTP request like cancelling a
 * coroutine does; a request that may have reached the server is never replayed. [close]
 * cancels what is still running and closes [client].
 */
class TokenExchangeFutures(
    /** The client the futures run on; [close] closes it. */
    val client: TokenExchangeClient,
) : AutoCloseable {
    // Supervisor: one failed call must not cancel the others. The calls suspend on the
    // library's own threads, so the default dispatcher only starts and completes them.
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** [TokenExchangeClient.nativeSocialExchange]: Sign in with Apple, Facebook. */
    fun nativeSocialExchange(request: NativeSocialExchange): CompletableFuture<TokenSet> =
        scope.future { client.nativeSocialExchange(request) }

    /** [TokenExchangeClient.customTokenExchange]: native Google sign-in, your own subject tokens. */
    fun customTokenExchange(request: CustomTokenExchange): CompletableFuture<TokenSet> =
        scope.future { client.customTokenExchange(request) }

    /** [TokenExchangeClient.refresh], keeping the scope when [scope] is null. */
    @JvmOverloads
    fun refresh(tokens: TokenSet, scope: String? = null): CompletableFuture<TokenSet> =
        this.scope.future { client.refresh(tokens, scope) }

    /** [TokenExchangeClient.revoke]: completes with `null` once Auth0 revoked [refreshToken]. */
    fun revoke(refreshToken: String): CompletableFuture<Void?> =
        scope.future {
            client.revoke(refreshToken)
            null
        }

    /** [TokenExchangeClient.userinfo]: the user's claims as a JSON object string. */
    fun userinfo(tokens: TokenSet): CompletableFuture<String> = scope.future { client.userinfo(tokens) }

    /** [TokenExchangeClient.userinfoClaims]: the user's claims, typed. */
    fun userinfoClaims(tokens: TokenSet): CompletableFuture<UserClaims> =
        scope.future { client.userinfoClaims(tokens) }

    /** Cancels the calls still running, then closes [client]. */
    override fun close() {
        scope.cancel()
        client.close()
    }

    /** Factories for Java, which cannot call Kotlin's default arguments or companion extensions. */
    companion object {
        /** [TokenExchangeClient.create] with its defaults (see there), wrapped. */
        @JvmStatic
        fun create(domain: String, clientId: String): TokenExchangeFutures =
            TokenExchangeFutures(TokenExchangeClient.create(domain, clientId))

        /**
         * [TokenExchangeClient.create] with the DPoP key [dpopKey] (`null`: bearer tokens) and,
         * when given, the [transport] (yours: OkHttp, a proxy, pinning), wrapped.
         */
        @JvmStatic
        @JvmOverloads
        fun create(
            domain: String,
            clientId: String,
            dpopKey: DpopKey?,
            transport: HttpTransport = HttpUrlConnectionTransport.shared,
        ): TokenExchangeFutures =
            TokenExchangeFutures(TokenExchangeClient.create(domain, clientId, dpopKey = dpopKey, transport = transport))

        /** [NativeSocialExchange.Companion.apple]: a Sign in with Apple exchange. */
        @JvmStatic
        @JvmOverloads
        fun apple(
            authorizationCode: String,
            firstName: String? = null,
            lastName: String? = null,
            audience: String? = null,
            scope: String? = null,
        ): NativeSocialExchange = NativeSocialExchange.apple(authorizationCode, firstName, lastName, audience, scope)

        /** [NativeSocialExchange.Companion.facebook]: a Facebook exchange. */
        @JvmStatic
        @JvmOverloads
        fun facebook(sessionToken: String, audience: String? = null, scope: String? = null): NativeSocialExchange =
            NativeSocialExchange.facebook(sessionToken, audience, scope)
    }
}
