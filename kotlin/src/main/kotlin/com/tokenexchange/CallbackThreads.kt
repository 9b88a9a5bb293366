package com.tokenexchange

import com.sun.jna.Callback
import com.sun.jna.CallbackThreadInitializer
import com.sun.jna.Native

/**
 * Keeps the library's threads attached to the JVM between calls into Kotlin.
 *
 * Every call from the library into Kotlin (uniffi's future continuation, [HttpTransport.send],
 * [DpopSigner.sign], a [CredentialStore] method) is a JNA callback made on the library's own
 * runtime thread. By default JNA attaches that native thread to the JVM for the call and
 * detaches it after, creating, starting and tearing down a `java.lang.Thread` each time: five
 * per exchange in the Kotlin suite (`CallbackThreadTest`; the CPU it costs on HotSpot is within
 * the benchmark's spread, BENCHMARKS.md "Kotlin and Swift crossing"; attaching costs more on
 * ART). Registered here, JNA attaches the thread once and keeps it attached until the
 * native thread exits (JNA detaches it then, as ART requires). The thread is a daemon, so it
 * never keeps the JVM from exiting, and it is named [THREAD_NAME] in thread dumps.
 *
 * [install] runs first in the generated `UniffiLib`'s initializer (`cargo xtask bindgen` adds the
 * call), before any of these callbacks reaches native code: JNA reads a callback's initializer
 * only when it first makes the callback's native pointer.
 */
internal object CallbackThreads {
    /** The name the library's runtime thread has in the JVM. */
    const val THREAD_NAME = "token-exchange-runtime"

    /** Registers the initializer on every callback object the generated bindings hand to Rust (once). */
    fun install() = registration

    private val registration: Unit by lazy {
        val keepAttached = CallbackThreadInitializer(true, false, THREAD_NAME)
        val callbacks: List<Callback> = listOf(
            uniffiRustFutureContinuationCallbackImpl,
            uniffiForeignFutureDroppedCallbackImpl,
            uniffiCallbackInterfaceHttpTransport.`send`,
            uniffiCallbackInterfaceHttpTransport.uniffiFree,
            uniffiCallbackInterfaceHttpTransport.uniffiClone,
            uniffiCallbackInterfaceDpopSigner.`publicKey`,
            uniffiCallbackInterfaceDpopSigner.`sign`,
            uniffiCallbackInterfaceDpopSigner.uniffiFree,
            uniffiCallbackInterfaceDpopSigner.uniffiClone,
            uniffiCallbackInterfaceCredentialStore.`load`,
            uniffiCallbackInterfaceCredentialStore.`save`,
            uniffiCallbackInterfaceCredentialStore.`clear`,
            uniffiCallbackInterfaceCredentialStore.uniffiFree,
            uniffiCallbackInterfaceCredentialStore.uniffiClone,
        )
        for (callback in callbacks) {
            Native.setCallbackThreadInitializer(callback, keepAttached)
        }
    }
}
