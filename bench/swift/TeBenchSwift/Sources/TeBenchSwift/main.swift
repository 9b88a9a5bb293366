// te-bench-swift: the same native social exchange as te-bench-client, bench/c/driver.c and
// bench/kotlin/Driver.kt, made the way an app makes it: `await` on the client's
// `nativeSocialExchange`, so through the phone library and the default transport
// (`URLSessionTransport.shared`, FoundationNetworking here) and, with DPoP, the default
// platform key.
//
//   te-bench-swift --base-url URL [--dpop] [--mode exchange|http] [--in-flight K]
//                  [--warmup W] [--exchanges N]
//
// exchange: W exchanges to warm up, then N measured, K child tasks of a task group sharing one
// client.
// http: URLSession's floor. One exchange through a transport that records the token request,
// then the same loop, each iteration one bare URLSession data task (ephemeral session, as the
// transport's) of that recorded request (same URL, headers and body, DPoP proof included: the
// canned endpoint checks nothing), its body read whole. No library call in the loop.
//
// Prints one JSON line like the other drivers: CPU of the whole process (getrusage, every
// thread) over the N, and the path of the phone library the process mapped.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import TokenExchange

let clientId = "bench-native-app"
let audience = "https://api.example.com/"

func usage() -> Never {
    FileHandle.standardError.write(Data(
        "usage: te-bench-swift --base-url URL [--dpop] [--mode exchange|http] [--in-flight K] [--warmup W] [--exchanges N]\n".utf8
    ))
    exit(2)
}

/// Apple code number `i`: the same shape and length as te-bench-client's.
func code(_ i: UInt64) -> String {
    let hex = String(i, radix: 16)
    return "c" + String(repeating: "0", count: max(0, 32 - hex.count)) + hex + ".0.srsv.Qm9vdHN0cmFwcGVkQ29kZUZvckJlbmNo"
}

func request(_ i: UInt64) -> NativeSocialExchange {
    var name = PersonNameComponents()
    name.givenName = "John"
    name.familyName = "Appleseed"
    return .apple(authorizationCode: code(i), fullName: name, audience: audience)
}

/// The default transport, keeping a copy of the last POST it sent.
final class Recording: HttpTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var last: HttpRequest?

    var post: HttpRequest? { lock.lock(); defer { lock.unlock() }; return last }

    func send(request: HttpRequest) async throws -> HttpResponse {
        if request.method == "POST" { lock.lock(); last = request; lock.unlock() }
        return try await URLSessionTransport.shared.send(request: request)
    }
}

/// One bare URLSession request of `recorded`, its body read whole; the status.
func barePost(_ session: URLSession, _ recorded: HttpRequest) async throws -> Int {
    var urlRequest = URLRequest(url: URL(string: recorded.url)!, cachePolicy: .reloadIgnoringLocalCacheData)
    urlRequest.httpMethod = recorded.method
    urlRequest.httpShouldHandleCookies = false
    for header in recorded.headers { urlRequest.addValue(header.value, forHTTPHeaderField: header.name) }
    urlRequest.httpBody = recorded.body
    return try await withCheckedThrowingContinuation { continuation in
        session.dataTask(with: urlRequest) { _, response, error in
            if let error { continuation.resume(throwing: error) } else {
                continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode ?? 0)
            }
        }.resume()
    }
}

/// Numbers shared by the child tasks: the next exchange to make.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var next: UInt64
    init(_ first: UInt64) { next = first }
    func take() -> UInt64 { lock.lock(); defer { lock.unlock() }; next += 1; return next - 1 }
}

/// Items first..<first + count, `inFlight` child tasks at once.
func run(_ first: UInt64, _ count: UInt64, _ inFlight: Int, _ one: @escaping @Sendable (UInt64) async throws -> Void) async throws {
    let counter = Counter(first)
    let end = first + count
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<max(inFlight, 1) {
            group.addTask {
                while true {
                    let i = counter.take()
                    if i >= end { return }
                    try await one(i)
                }
            }
        }
        try await group.waitForAll()
    }
}

func micros(_ t: timeval) -> Int64 { Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_usec) }

func cpuUsage() -> rusage {
    var r = rusage()
    getrusage(RUSAGE_SELF.rawValue, &r)
    return r
}

/// The file the phone library was mapped from.
func libraryPath() -> String {
    // Read to the end: /proc files report a size of 0, which `String(contentsOfFile:)` trusts.
    let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data()
    let maps = String(decoding: data, as: UTF8.self)
    for line in maps.split(separator: "\n") {
        if let slash = line.firstIndex(of: "/"), line.contains("libtoken_exchange") { return String(line[slash...]) }
    }
    return "?"
}

func number<T: FixedWidthInteger>(_ value: String) -> T {
    guard let n = T(value) else { usage() }
    return n
}

/// The driver (in a function: top-level variables captured by the closures crash Swift 6.0.3's
/// SIL lowering).
func driver() async throws {
    var baseUrl: String?
    var dpop = false
    var mode = "exchange"
    var inFlight = 1
    var warmup: UInt64 = 1000
    var exchanges: UInt64 = 10000
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let flag = arguments.next() {
        if flag == "--dpop" { dpop = true; continue }
        guard let value = arguments.next() else { usage() }
        switch flag {
        case "--base-url": baseUrl = value
        case "--mode": mode = value
        case "--in-flight": inFlight = number(value)
        case "--warmup": warmup = number(value)
        case "--exchanges": exchanges = number(value)
        default: usage()
        }
    }
    guard let baseUrl, ["exchange", "http"].contains(mode) else { usage() }

    let recording = Recording()
    let domain = baseUrl.hasSuffix("/") ? String(baseUrl.dropLast()) : baseUrl
    let client = try TokenExchangeClient(
        domain: domain,
        clientId: clientId,
        dpopKey: dpop ? try PlatformDpopKey.loadOrCreate() : nil,
        transport: mode == "http" ? recording : URLSessionTransport.shared
    )
    let one: @Sendable (UInt64) async throws -> Void
    if mode == "exchange" {
        let expectBound = dpop
        one = { i in
            let tokens = try await client.nativeSocialExchange(request(i))
            guard tokens.isDpopBound() == expectBound else {
                FileHandle.standardError.write(Data("te-bench-swift: the tokens are not bound as expected\n".utf8))
                exit(1)
            }
        }
    } else {
        _ = try await client.nativeSocialExchange(request(0))
        guard let post = recording.post else { fatalError("the exchange sent no POST") }
        let session = URLSession(configuration: .ephemeral)
        one = { _ in
            let status = try await barePost(session, post)
            guard status == 200 else {
                FileHandle.standardError.write(Data("te-bench-swift: the bare POST got status \(status)\n".utf8))
                exit(1)
            }
        }
    }

    try await run(1, warmup, inFlight, one)
    let before = cpuUsage()
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    try await run(1 + warmup, exchanges, inFlight, one)
    var end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &end)
    let after = cpuUsage()
    let wall = (Int64(end.tv_sec) - Int64(start.tv_sec)) * 1_000_000 + (Int64(end.tv_nsec) - Int64(start.tv_nsec)) / 1000
    let user = micros(after.ru_utime) - micros(before.ru_utime)
    let system = micros(after.ru_stime) - micros(before.ru_stime)
    print(
        "{\"client\":\"swift\",\"library\":\"\(libraryPath())\",\"dpop\":\(dpop),\"mode\":\"\(mode)\",\"in_flight\":\(inFlight),"
            + "\"exchanges\":\(exchanges),\"cpu_us\":\(user + system),\"user_us\":\(user),\"system_us\":\(system),\"wall_us\":\(wall)}"
    )
}

try await driver()
exit(0)
