package com.tokenexchange

import kotlinx.coroutines.suspendCancellableCoroutine
import java.io.IOException
import java.io.InputStream
import java.net.HttpURLConnection
import java.net.SocketTimeoutException
import java.net.URI
import java.net.URL
import java.net.UnknownHostException
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger
import javax.net.ssl.SSLException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

/**
 * The HTTP transport every client uses unless given another: `java.net.HttpURLConnection`, on
 * Android and on the JVM, with no extra dependency. On Android it is the platform's stack
 * (OkHttp inside), so the library's requests follow the system's proxy and VPN settings and the
 * app's Network Security Configuration (pinning, trusted CAs).
 *
 * Each request: `instanceFollowRedirects = false` (the `3xx` is returned and the library refuses
 * it), no caches, the request's `timeout` as connect and read timeouts, the body read up to
 * `maxResponseBytes` (`Content-Length` first, then while reading), and cancelling the calling
 * coroutine (or the library giving up at its deadline) disconnects the connection. A request is
 * never resent: on the JVM the transport sets `sun.net.http.retryPost=false` when the app has not
 * set it (set it at startup if your app uses HttpURLConnection before any client). Cookies are
 * sent only if the app installed a process-wide `CookieHandler`; don't, or use your own transport.
 *
 * [open] makes the connection (default: `url.openConnection()`): use it for a `Proxy`, or an
 * `SSLSocketFactory` that pins certificates. Any other client (OkHttp with your interceptors):
 * implement [HttpTransport] yourself; the README shows one.
 */
class HttpUrlConnectionTransport(
    private val open: (URL) -> HttpURLConnection = { it.openConnection() as HttpURLConnection },
) : HttpTransport {
    override suspend fun send(request: HttpRequest): HttpResponse {
        val url = try {
            URI(request.url).toURL().also { require(it.protocol == "https" || it.protocol == "http") }
        } catch (e: Exception) {
            throw TransportException.InvalidRequest()
        }
        val connection = try {
            open(url)
        } catch (e: IOException) {
            throw TransportException.Connect()
        }
        return suspendCancellableCoroutine { continuation ->
            continuation.invokeOnCancellation { connection.disconnect() }
            blockingIo.execute {
                try {
                    continuation.resume(exchange(connection, request))
                } catch (e: Throwable) {
                    connection.disconnect()
                    continuation.resumeWithException(e)
                }
            }
        }
    }

    private fun exchange(connection: HttpURLConnection, request: HttpRequest): HttpResponse {
        val timeout = request.timeout.toMillis().coerceIn(1, Int.MAX_VALUE.toLong()).toInt()
        val limit = request.maxResponseBytes.coerceAtLeast(0)
        try {
            connection.instanceFollowRedirects = false
            connection.useCaches = false
            connection.connectTimeout = timeout
            connection.readTimeout = timeout
            connection.requestMethod = request.method
            for (header in request.headers) connection.addRequestProperty(header.name, header.value)
        } catch (e: Exception) {
            throw TransportException.InvalidRequest()
        }
        val body = request.body
        try {
            if (body != null) {
                connection.doOutput = true
                // Android's HttpURLConnection (OkHttp inside) never resends a POST and returns 401
                // bodies in streaming mode. The JDK's resends a POST whose response it could not
                // read unless streaming, but in streaming mode it drops the body of every 401
                // (invalid_client, Token Vault's connection errors): on the JVM the body is
                // buffered and POSTs are kept from being resent by `sun.net.http.retryPost=false`.
                if (isAndroid) connection.setFixedLengthStreamingMode(body.size)
            }
            connection.connect()
        } catch (e: SocketTimeoutException) {
            throw TransportException.Timeout(requestMayHaveReachedServer = false)
        } catch (e: SSLException) {
            throw TransportException.Tls(requestMayHaveReachedServer = false)
        } catch (e: IOException) {
            throw TransportException.Connect()
        }
        try {
            if (body != null) connection.outputStream.use { it.write(body) }
            val status = connection.responseCode
            if (status < 0) throw TransportException.ConnectionLost(requestMayHaveReachedServer = true)
            val headers = connection.headerFields.orEmpty().flatMap { (name, values) ->
                if (name == null) emptyList() else values.map { HttpHeader(name, it) }
            }
            if (connection.contentLengthLong > limit) throw TransportException.BodyTooLarge(status, headers)
            val stream: InputStream? = if (status >= 400) connection.errorStream else connection.inputStream
            val bytes = if (stream == null) ByteArray(0) else stream.use { readCapped(it, limit) }
            return HttpResponse(status, headers, bytes ?: throw TransportException.BodyTooLarge(status, headers))
        } catch (e: SocketTimeoutException) {
            throw TransportException.Timeout(requestMayHaveReachedServer = true)
        } catch (e: SSLException) {
            throw TransportException.Tls(requestMayHaveReachedServer = true)
        } catch (e: UnknownHostException) {
            throw TransportException.Connect()
        } catch (e: IOException) {
            throw TransportException.ConnectionLost(requestMayHaveReachedServer = true)
        }
    }

    /** The whole stream, or `null` once more than [limit] bytes arrived (reading stops there). */
    private fun readCapped(stream: InputStream, limit: Long): ByteArray? {
        val out = java.io.ByteArrayOutputStream()
        val buffer = ByteArray(8192)
        while (true) {
            val n = stream.read(buffer)
            if (n < 0) return out.toByteArray()
            if (out.size() + n.toLong() > limit) return null
            out.write(buffer, 0, n)
        }
    }

    override fun toString(): String = "HttpUrlConnectionTransport"

    companion object {
        /** The transport clients share when none is given. */
        @JvmStatic
        val shared: HttpUrlConnectionTransport by lazy { HttpUrlConnectionTransport() }

        /** Android's runtime (ART) reports itself as Dalvik. */
        private val isAndroid = System.getProperty("java.vm.name").orEmpty().contains("Dalvik", ignoreCase = true)

        init {
            // The JDK's HTTP client reads this once, when it is first used: an app that made
            // HttpURLConnection requests before this class loaded keeps the JDK default (resend a
            // POST once when reading its response fails); set it at startup to be sure.
            if (!isAndroid && System.getProperty(RETRY_POST) == null) System.setProperty(RETRY_POST, "false")
        }

        private const val RETRY_POST = "sun.net.http.retryPost"

        /** HttpURLConnection blocks: each exchange runs on one of these daemon threads. */
        private val blockingIo: ExecutorService by lazy {
            val count = AtomicInteger()
            Executors.newCachedThreadPool { runnable ->
                Thread(runnable, "token-exchange-http-${count.incrementAndGet()}").apply { isDaemon = true }
            }
        }
    }
}
