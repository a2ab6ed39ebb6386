//! The scopes a session can carry, defined once: mini-app registrations name them, the BFF
//! grants and requires them, the SDK and (next) the bridge's manifests ask for them. On the
//! wire and in storage a scope is its string (OAuth's space-separated `scope`).

/// What a session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read the current user (`GET /v1/me`, the home screen).
    Profile,
    /// Register and manage passkeys; mini-apps with it may be entered with a passkey.
    Passkey,
    /// Read the user's own records unmasked (the personal data vault).
    VaultRead,
    /// Share vault records under a consent.
    VaultShare,
    /// Verify e-certificates others present (an officer checking a 亮证 code).
    VaultVerify,
    /// Read policies matched to an enterprise.
    PolicyRead,
    /// Draft, approve, publish and withdraw policies (officials of the issuing department).
    PolicyManage,
    /// Submit forms.
    FormsSubmit,
    /// Read the official's organisation.
    OrgRead,
    /// Take part in 政务督查 (officials): items, tasks, reports, the dashboard.
    Supervision,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 10] = [
        Scope::Profile,
        Scope::Passkey,
        Scope::VaultRead,
        Scope::VaultShare,
        Scope::VaultVerify,
        Scope::PolicyRead,
        Scope::PolicyManage,
        Scope::FormsSubmit,
        Scope::OrgRead,
        Scope::Supervision,
    ];

    /// The scope as it travels and is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Profile => "profile",
            Scope::Passkey => "passkey",
            Scope::VaultRead => "vault.read",
            Scope::VaultShare => "vault.share",
            Scope::VaultVerify => "vault.verify",
            Scope::PolicyRead => "policy.read",
            Scope::PolicyManage => "policy.manage",
            Scope::FormsSubmit => "forms.submit",
            Scope::OrgRead => "org.read",
            Scope::Supervision => "supervision",
        }
    }

    /// The scope named `text`; `None` for a name ZheliKit does not know.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a space-separated `scope` claim (or list) grants this scope.
    pub fn granted_by(self, claim: &str) -> bool {
        claim.split(' ').any(|s| s == self.as_str())
    }
}

/// A scope serialises as its string, and an unknown string is an error naming it.
impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Scope::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a ZheliKit scope")))
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_reads_back_and_a_claim_grants_whole_names_only() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("vault"), None);
        assert!(Scope::VaultRead.granted_by("profile vault.read"));
        assert!(!Scope::Passkey.granted_by("profile pass"));
    }
}
