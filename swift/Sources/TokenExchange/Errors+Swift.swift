import Foundation
import TokenExchangeBindings

// The generated enum has the library's text as `description` but does not declare the
// conformance, so string interpolation, `String(reflecting:)` and hence `localizedDescription`
// (the generated `errorDescription`) fell back to listing the fields. With it they all show the
// library's message, "retry after N s" included when the server sent `Retry-After`.
extension TokenExchangeError: CustomStringConvertible {}

extension TokenExchangeError {
    /// With `mfa_required`: the token to continue with Auth0's MFA API (redacted when printed).
    public var mfaToken: Secret? {
        if case let .OAuth(_, _, _, mfaToken, _, _, _, _) = self { return mfaToken }
        return nil
    }

    /// The OAuth error code (`invalid_grant`...), for OAuth errors.
    public var oauthCode: String? {
        if case let .OAuth(_, code, _, _, _, _, _, _) = self { return code }
        return nil
    }

    /// The HTTP status of an OAuth error or an unexpected response.
    public var httpStatus: Int? {
        switch self {
        case let .OAuth(status, _, _, _, _, _, _, _): return Int(status)
        case let .UnexpectedResponse(status, _, _): return Int(status)
        default: return nil
        }
    }

    /// Whether the call was cancelled.
    public var isCancelled: Bool {
        if case .Cancelled = self { return true }
        return false
    }
}
