package com.tokenexchange

/**
 * A secret string, such as the `mfaToken` of an `mfa_required` error.
 *
 * Its [toString] is redacted, so it never ends up in logs, exception messages or crash reports
 * by accident. Read [value] only where the secret is sent.
 */
class Secret(val value: String) {
    override fun toString(): String = "Secret(<redacted>)"

    override fun equals(other: Any?): Boolean = other is Secret && other.value == value

    override fun hashCode(): Int = value.hashCode()
}
