package com.tokenexchange.test

import com.tokenexchange.TokenExchangeException
import org.junit.Assert.fail

/** Expects [block] to throw an [E]; returns it. */
internal inline fun <reified E : TokenExchangeException> failure(block: () -> Unit): E {
    try {
        block()
    } catch (e: TokenExchangeException) {
        if (e is E) return e
        fail("expected ${E::class.simpleName}, got $e")
    }
    fail("expected ${E::class.simpleName}, the call succeeded")
    throw AssertionError()
}
