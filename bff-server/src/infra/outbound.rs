//! Reading the answers of services outside the BFF (the platform, the departments): bodies are
//! capped, and parse errors are described without the values they quote.
//!
//! A department's body can be arbitrarily large (a broken gateway streaming garbage) and a
//! serde message quotes the offending value (`invalid type: string "330302…"`), which may be
//! personal data: neither may reach memory unbounded or a log line.

/// The largest answer read from an outside service; a longer one is refused as malformed.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Why an answer could not be read in full.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The connection failed mid-answer.
    #[error("the answer was cut off ({0})")]
    Cut(String),
    /// More than [`MAX_ANSWER_BYTES`].
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
}

/// Reads the body of `response`, at most [`MAX_ANSWER_BYTES`].
pub async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ReadError::Cut(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What went wrong parsing JSON, naming fields but never values: the category and position,
/// and the field for a missing or unknown field (serde's message for those names only the
/// field).
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let kind = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "unexpected shape",
        serde_json::error::Category::Eof => "cut off",
    };
    let field = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .map(|name| format!(", field `{name}`"))
        .unwrap_or_default();
    format!("{kind}{field} at line {} column {}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Licence {
        points: u32,
        number: String,
    }

    #[test]
    fn a_parse_error_names_the_field_but_never_the_value() {
        let wrong_type =
            serde_json::from_str::<Licence>(r#"{"points":"330302199001011234","number":"x"}"#)
                .unwrap_err();
        assert!(
            wrong_type.to_string().contains("330302199001011234"),
            "serde quotes it"
        );
        let described = describe_json_error(&wrong_type);
        assert!(!described.contains("330302"), "{described}");
        assert!(described.starts_with("unexpected shape"), "{described}");

        let missing = serde_json::from_str::<Licence>(r#"{"points":1}"#).unwrap_err();
        assert!(
            describe_json_error(&missing).contains("field `number`"),
            "{}",
            describe_json_error(&missing)
        );
        let garbage = serde_json::from_str::<Licence>("<html>").unwrap_err();
        assert!(describe_json_error(&garbage).starts_with("not JSON"));
    }
}
