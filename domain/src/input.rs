//! The input rules the SDK and the BFF both apply, written once: the SDK refuses bad input
//! before it leaves the phone (a single-use ticket is not spent on a typo), and the BFF refuses
//! it again because not every caller is our SDK. Each rule parses: it returns the value to use
//! (trimmed where that is the rule) or an [`Invalid`] naming the field and why, in zh-CN and
//! English.

use crate::lang::Text;

/// An input refused by a rule: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The request field (or SDK parameter) at fault.
    pub field: &'static str,
    /// Why, in both languages.
    pub reason: Text,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason.en)
    }
}

impl std::error::Error for Invalid {}

/// A refusal of `field`, in both languages.
pub fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: Text::new(zh, en),
    }
}

/// Longest platform credential (ticket, ticketId, auth code) we pass on, in bytes.
pub const CREDENTIAL_MAX_BYTES: usize = 256;

/// A login credential the platform issued (a 浙里办 `ticket` or `ticketId`, a 浙政钉 auth
/// code): 1–256 printable ASCII characters, passed on exactly as given. `field` names the
/// request field it came in.
pub fn platform_credential<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Invalid> {
    if value.is_empty()
        || value.len() > CREDENTIAL_MAX_BYTES
        || !value.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid(
            field,
            "须为政务平台签发的 1–256 个可打印字符，原样传入",
            "must be the 1–256 printable characters the platform issued, exactly as issued",
        ));
    }
    Ok(value)
}

/// A request id a device makes once per request and sends again on every retry (a correction,
/// an objection): 8–64 letters, digits or `-`.
pub fn request_id(value: &str) -> Result<&str, Invalid> {
    let ok = (8..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !ok {
        return Err(invalid(
            "request_id",
            "须为 8–64 位字母、数字或“-”",
            "must be 8–64 letters, digits or '-'",
        ));
    }
    Ok(value)
}

/// Longest mini-app id, in bytes.
pub const MINI_APP_ID_MAX_BYTES: usize = 64;

/// A mini-app id as registered (`zk-demo-services`): 1–64 bytes.
pub fn mini_app_id(value: &str) -> Result<&str, Invalid> {
    if value.is_empty() || value.len() > MINI_APP_ID_MAX_BYTES {
        return Err(invalid(
            "mini_app_id",
            "须为已登记的小程序编号（1–64 个字符）",
            "must be a registered mini-app id (1–64 characters)",
        ));
    }
    Ok(value)
}

/// Longest passkey credential id we accept, in bytes.
pub const CREDENTIAL_ID_MAX_BYTES: usize = 1024;

/// A passkey's credential id as `GET /v1/passkeys` lists it: base64url, so it is safe in a URL
/// path.
pub fn passkey_credential_id(value: &str) -> Result<&str, Invalid> {
    let ok = !value.is_empty()
        && value.len() <= CREDENTIAL_ID_MAX_BYTES
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(invalid(
            "credential_id",
            "须为通行密钥列表中的凭证编号（base64url）",
            "must be a credential id from the passkey list (base64url)",
        ));
    }
    Ok(value)
}

/// Longest passkey name, in characters.
pub const PASSKEY_NAME_MAX_CHARS: usize = 64;

/// A passkey's name (e.g. the device's): trimmed, 1–64 characters, no control characters.
pub fn passkey_name(value: &str) -> Result<&str, Invalid> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > PASSKEY_NAME_MAX_CHARS {
        return Err(invalid(
            "name",
            "须为 1–64 个字符",
            "must be 1–64 characters",
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "不能包含控制字符",
            "must not contain control characters",
        ));
    }
    Ok(trimmed)
}

/// Longest passkey ceremony id, in bytes.
pub const CEREMONY_ID_MAX_BYTES: usize = 64;

/// The id of a passkey ceremony, as its start call returned it.
pub fn ceremony_id(value: &str) -> Result<&str, Invalid> {
    if value.is_empty() || value.len() > CEREMONY_ID_MAX_BYTES {
        return Err(invalid(
            "ceremony_id",
            "须为开始调用返回的流程编号",
            "must be the id from the start call",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_is_passed_on_exactly_and_anything_unprintable_is_refused() {
        assert_eq!(platform_credential("ticket", "ST-1a2b"), Ok("ST-1a2b"));
        for bad in ["", "has space", "换行\n", &"x".repeat(257)] {
            let err = platform_credential("ticket", bad).unwrap_err();
            assert_eq!(err.field, "ticket");
            assert!(err.reason.zh.contains("可打印字符"), "{err}");
        }
    }

    #[test]
    fn a_mini_app_id_is_one_to_sixty_four_bytes() {
        assert!(mini_app_id("zk-demo-services").is_ok());
        assert!(mini_app_id("").is_err());
        assert!(mini_app_id(&"a".repeat(65)).is_err());
    }

    #[test]
    fn a_credential_id_is_base64url_only() {
        assert!(passkey_credential_id("AbC-_9").is_ok());
        assert_eq!(
            passkey_credential_id("../me").unwrap_err().field,
            "credential_id"
        );
    }

    #[test]
    fn a_passkey_name_is_trimmed_and_bounded() {
        assert_eq!(passkey_name("  我的手机 "), Ok("我的手机"));
        assert!(passkey_name("   ").is_err());
        assert!(passkey_name(&"名".repeat(65)).is_err());
        assert!(passkey_name("a\u{7}b").is_err());
    }
}
