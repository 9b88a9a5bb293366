// te-bench-kotlin: Kotlin's side of `cargo xtask bench --only crossing` (issue 15 point 3). The
// same native social exchange as te-bench-client and bench/c/driver.c, made the way an app makes
// it: the suspend `nativeSocialExchange` of a client built with `TokenExchangeClient.create`, so
// through the phone library and the default transport (HttpURLConnection) and, with DPoP, the
// default platform key (a JCA key on the JVM).
//
//   bench.DriverKt --base-url URL [--dpop] [--mode exchange|http] [--in-flight K]
//                  [--warmup W] [--exchanges N]
//
// exchange: W exchanges to warm up (the JIT), then N measured, K coroutines at once on
// Dispatchers.Default sharing one client.
// http: the JVM's HTTP floor. One exchange through a transport that records the token request,
// then the same loop, each iteration one bare HttpURLConnection POST of that recorded request
// (same URL, headers and body, DPoP proof included: the canned endpoint checks nothing) on
// Dispatchers.IO, its body read whole. No library call in the loop.
//
// Prints one JSON line like the other drivers: CPU of the whole process (every JVM thread, the
// library's runtime thread included) over the N, and the path of the library JNA loaded.
// Compiled by `cargo xtask bench` with the Kotlin suite's kotlinc; not part of the test suite.
package bench

import com.tokenexchange.HttpRequest
import com.tokenexchange.HttpResponse
import com.tokenexchange.HttpTransport
import com.tokenexchange.HttpUrlConnectionTransport
import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.apple
import com.tokenexchange.create
import java.io.File
import java.lang.management.ManagementFactory
import java.net.HttpURLConnection
import java.net.URI
import java.util.concurrent.atomic.AtomicLong
import kotlin.system.exitProcess
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext

private const val CLIENT_ID = "bench-native-app"
private const val AUDIENCE = "https://api.example.com/"

/** Apple code number [i]: the same shape and length as te-bench-client's. */
private fun code(i: Long) = "c%032x.0.srsv.Qm9vdHN0cmFwcGVkQ29kZUZvckJlbmNo".format(i)

private fun request(i: Long) = NativeSocialExchange.apple(code(i), firstName = "John", lastName = "Appleseed", audience = AUDIENCE)

/** The default transport, keeping a copy of the last POST it sent. */
private class Recording : HttpTransport {
    @Volatile var post: HttpRequest? = null

    override suspend fun send(request: HttpRequest): HttpResponse {
        if (request.method == "POST") post = request.copy()
        return HttpUrlConnectionTransport.shared.send(request)
    }
}

/** One bare HttpURLConnection POST of [request], its body read whole; the status. */
private fun barePost(request: HttpRequest): Int {
    val connection = URI(request.url).toURL().openConnection() as HttpURLConnection
    connection.instanceFollowRedirects = false
    connection.useCaches = false
    connection.requestMethod = request.method
    for (header in request.headers) connection.addRequestProperty(header.name, header.value)
    connection.doOutput = true
    connection.outputStream.use { it.write(request.body!!) }
    val status = connection.responseCode
    (if (status >= 400) connection.errorStream else connection.inputStream)?.use { it.readBytes() }
    return status
}

/** Items first until first + count, [inFlight] coroutines at once. */
private suspend fun run(first: Long, count: Long, inFlight: Int, one: suspend (Long) -> Unit) {
    val next = AtomicLong(first)
    val end = first + count
    withContext(Dispatchers.Default) {
        (0 until maxOf(inFlight, 1)).map {
            async {
                while (true) {
                    val i = next.getAndIncrement()
                    if (i >= end) break
                    one(i)
                }
            }
        }.awaitAll()
    }
}

/** User and system CPU of the process in µs, from /proc/self/stat (clock ticks of 10 ms). */
private fun userSystemMicros(): Pair<Long, Long> {
    val stat = File("/proc/self/stat").readText()
    val fields = stat.substring(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of stat(5), counted from the state (field 3) here.
    return fields[11].toLong() * 10_000 to fields[12].toLong() * 10_000
}

/** The file the phone library was mapped from. */
private fun libraryPath(): String =
    File("/proc/self/maps").readLines().map { it.substringAfter('/', "") }.firstOrNull { it.contains("libtoken_exchange") }
        ?.let { "/$it" } ?: "?"

private fun usage(): Nothing {
    System.err.println(
        "usage: bench.DriverKt --base-url URL [--dpop] [--mode exchange|http] [--in-flight K] [--warmup W] [--exchanges N]"
    )
    exitProcess(2)
}

fun main(args: Array<String>): Unit = runBlocking {
    var baseUrl: String? = null
    var dpop = false
    var mode = "exchange"
    var inFlight = 1
    var warmup = 10_000L
    var exchanges = 10_000L
    var a = 0
    while (a < args.size) {
        val value = args.getOrNull(a + 1)
        when (args[a]) {
            "--dpop" -> { dpop = true; a++; continue }
            "--base-url" -> baseUrl = value
            "--mode" -> mode = value ?: usage()
            "--in-flight" -> inFlight = value?.toIntOrNull() ?: usage()
            "--warmup" -> warmup = value?.toLongOrNull() ?: usage()
            "--exchanges" -> exchanges = value?.toLongOrNull() ?: usage()
            else -> usage()
        }
        a += 2
    }
    if (baseUrl == null || mode !in setOf("exchange", "http")) usage()

    val recording = Recording()
    val client = TokenExchangeClient.create(
        baseUrl.trimEnd('/'),
        CLIENT_ID,
        dpopKey = if (dpop) com.tokenexchange.PlatformDpopKey.loadOrCreate() else null,
        transport = if (mode == "http") recording else HttpUrlConnectionTransport.shared,
    )
    val one: suspend (Long) -> Unit = if (mode == "exchange") {
        { i ->
            val tokens = client.nativeSocialExchange(request(i))
            check(tokens.isDpopBound() == dpop) { "the tokens are not bound as expected" }
        }
    } else {
        client.nativeSocialExchange(request(0))
        val post = recording.post ?: error("the exchange sent no POST")
        val floor: suspend (Long) -> Unit = { _ ->
            val status = withContext(Dispatchers.IO) { barePost(post) }
            check(status == 200) { "the bare POST got status $status" }
        }
        floor
    }

    run(1, warmup, inFlight, one)
    val os = ManagementFactory.getOperatingSystemMXBean() as com.sun.management.OperatingSystemMXBean
    val (user0, system0) = userSystemMicros()
    val cpu0 = os.processCpuTime
    val wall0 = System.nanoTime()
    run(1 + warmup, exchanges, inFlight, one)
    val wall = (System.nanoTime() - wall0) / 1000
    val cpu = (os.processCpuTime - cpu0) / 1000
    val (user1, system1) = userSystemMicros()
    println(
        "{\"client\":\"kotlin\",\"library\":\"${libraryPath()}\",\"dpop\":$dpop,\"mode\":\"$mode\",\"in_flight\":$inFlight," +
            "\"exchanges\":$exchanges,\"cpu_us\":$cpu,\"user_us\":${user1 - user0},\"system_us\":${system1 - system0},\"wall_us\":$wall}"
    )
    client.close()
    exitProcess(0)
}
