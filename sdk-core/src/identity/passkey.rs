//! WebAuthn JSON between the platform authenticator and the BFF.
//!
//! The BFF speaks the W3C JSON forms (`PublicKeyCredentialCreationOptions` wrapped as
//! `{"publicKey": …}`, and `PublicKeyCredential` with base64url fields). Browsers and iOS take
//! the options whole; Android's Credential Manager (`CreatePublicKeyCredentialRequest`,
//! `GetPublicKeyCredentialOption`) takes the inner `publicKey` object and answers with the
//! standard JSON, which passes through. iOS's `ASAuthorization…` classes hand back raw bytes:
//! [`ios_registration_response`] and [`ios_assertion_response`] build the JSON from them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// The inner `publicKey` object of a WebAuthn options document, as Android expects it.
pub(crate) fn android_request(options: &Value) -> Result<String> {
    let inner = options
        .get("publicKey")
        .ok_or_else(|| Error::Decode("WebAuthn options without publicKey".into()))?;
    serde_json::to_string(inner).map_err(|e| Error::Internal(e.to_string()))
}

/// Parses the authenticator's answer (from Android, a browser, or the iOS helpers).
pub(crate) fn parse_response(json_text: &str) -> Result<Value> {
    let value: Value = serde_json::from_str(json_text).map_err(|e| Error::Input {
        field: "response_json",
        reason: format!("not JSON: {e}"),
    })?;
    for field in ["id", "rawId", "response", "type"] {
        if value.get(field).is_none() {
            return Err(Error::Input {
                field: "response_json",
                reason: format!("not a PublicKeyCredential: no {field:?}"),
            });
        }
    }
    Ok(value)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Builds the registration answer JSON from the fields of iOS's
/// `ASAuthorizationPlatformPublicKeyCredentialRegistration` (`credentialID`,
/// `rawClientDataJSON`, `rawAttestationObject`), for `IdentityClient.finish_passkey_registration`.
#[uniffi::export]
pub fn ios_registration_response(
    credential_id: Vec<u8>,
    client_data_json: Vec<u8>,
    attestation_object: Vec<u8>,
) -> String {
    platform_credential(
        &credential_id,
        json!({
            "clientDataJSON": b64(&client_data_json),
            "attestationObject": b64(&attestation_object),
            "transports": ["internal"],
        }),
    )
}

/// Builds the login answer JSON from the fields of iOS's
/// `ASAuthorizationPlatformPublicKeyCredentialAssertion` (`credentialID`, `rawClientDataJSON`,
/// `rawAuthenticatorData`, `signature`, `userID`), for `IdentityClient.finish_passkey_login`.
#[uniffi::export]
pub fn ios_assertion_response(
    credential_id: Vec<u8>,
    client_data_json: Vec<u8>,
    authenticator_data: Vec<u8>,
    signature: Vec<u8>,
    user_handle: Option<Vec<u8>>,
) -> String {
    platform_credential(
        &credential_id,
        json!({
            "clientDataJSON": b64(&client_data_json),
            "authenticatorData": b64(&authenticator_data),
            "signature": b64(&signature),
            "userHandle": user_handle.map(|h| b64(&h)),
        }),
    )
}

/// A platform authenticator's `PublicKeyCredential` as JSON, around its `response`.
fn platform_credential(credential_id: &[u8], response: Value) -> String {
    json!({
        "id": b64(credential_id),
        "rawId": b64(credential_id),
        "type": "public-key",
        "response": response,
        "authenticatorAttachment": "platform",
        "clientExtensionResults": {},
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_gets_the_inner_public_key_object() {
        let options = json!({"publicKey": {"challenge": "abc", "rp": {"id": "zhelikit.test"}}, "mediation": null});
        let inner: Value = serde_json::from_str(&android_request(&options).unwrap()).unwrap();
        assert_eq!(
            inner,
            json!({"challenge": "abc", "rp": {"id": "zhelikit.test"}})
        );
        assert!(android_request(&json!({})).is_err());
    }

    #[test]
    fn ios_raw_fields_become_base64url_credential_json() {
        let text = ios_assertion_response(vec![1, 2, 255], b"{}".to_vec(), vec![9], vec![8], None);
        let value = parse_response(&text).unwrap();
        assert_eq!(value["rawId"], "AQL_");
        assert_eq!(value["response"]["clientDataJSON"], "e30");
        assert_eq!(value["response"]["userHandle"], Value::Null);
        let reg = parse_response(&ios_registration_response(vec![1], vec![2], vec![3])).unwrap();
        assert_eq!(reg["response"]["attestationObject"], "Aw");
    }

    #[test]
    fn an_answer_that_is_not_a_credential_names_the_missing_field() {
        let err = parse_response(r#"{"id": "x"}"#).unwrap_err();
        assert!(
            matches!(err, Error::Input { field: "response_json", reason } if reason.contains("rawId"))
        );
    }
}
