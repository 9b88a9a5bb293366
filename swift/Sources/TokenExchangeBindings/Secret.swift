import Foundation

/// A secret string, such as the `mfaToken` of an `mfa_required` error.
///
/// Its `description`, `debugDescription` and mirror are redacted, so it never ends up in logs,
/// `print`, `dump` or crash reports by accident. Read `value` only where the secret is sent.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself.
    public let value: String

    /// Wraps a secret.
    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "Secret(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
