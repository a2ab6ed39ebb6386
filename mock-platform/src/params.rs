//! Query strings and form bodies, read leniently.
//!
//! The platform answers a missing or malformed parameter with its own error shape (a `result`
//! code, a `Response::error`, an HTML page), never with the web framework's rejection text, so
//! parameters are read from the raw string here and each handler decides what "missing" means.

use std::collections::HashMap;

/// Decoded `name=value` pairs; the first occurrence of a name wins.
#[derive(Debug, Clone, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Decodes `application/x-www-form-urlencoded` text (a query string or a form body).
    /// Decoding never fails: undecodable bytes become U+FFFD and then fail validation.
    pub fn parse(raw: &str) -> Self {
        let mut map = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Self(map)
    }

    /// Decodes a body, which must be UTF-8 to mean anything.
    pub fn parse_body(body: &[u8]) -> Self {
        Self::parse(&String::from_utf8_lossy(body))
    }

    /// The value of `name`, trimmed; `None` when absent or blank (the platform treats both as
    /// missing).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decoded_and_blank_means_missing() {
        let p = Params::parse("a=%E6%B5%99&b=&c=x+y&a=second");
        assert_eq!(p.get("a"), Some("浙"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert_eq!(p.get("d"), None);
    }
}
