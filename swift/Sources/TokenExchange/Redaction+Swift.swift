import TokenExchangeBindings

// `dump()` and debuggers walk a value's mirror, not its description: give the types holding
// secrets or personal data a mirror that shows only their redacted description.
extension TokenSet: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension NativeSocialExchange: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension AuthorizationHeaders: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension UserProfile: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension PersonName: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension CustomTokenExchange: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension ActorToken: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension TokenVaultExchange: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}

extension TokenVaultToken: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}
