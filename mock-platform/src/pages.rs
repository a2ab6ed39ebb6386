//! The HTML pages a browser sees: the login pickers that stand in for the real login screens
//! (which would ask for a password, a face scan or an app scan), and error pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// One selectable person or enterprise.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The value posted back.
    pub value: String,
    /// What the user reads.
    pub label: String,
}

/// A page that lets the tester pick who logs in.
#[derive(Debug, Clone)]
pub struct Picker<'a> {
    /// Page heading.
    pub title: &'a str,
    /// Where the form posts.
    pub action: &'a str,
    /// Hidden fields echoed back (service code, callback URL).
    pub hidden: Vec<(&'a str, &'a str)>,
    /// Name of the selected value's field.
    pub field: &'a str,
    /// The handful of demo identities offered.
    pub choices: Vec<Choice>,
    /// An error to show above the form (after a bad submission).
    pub error: Option<&'a str>,
}

/// Name of the free-text field that overrides the selection, so any fixture can log in.
pub const FREE_TEXT_SUFFIX: &str = "_text";

impl Picker<'_> {
    /// Renders the page.
    pub fn render(&self, status: StatusCode) -> Response {
        let mut html = format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1>\
             <p>Mock platform: choose who logs in. No password is asked.</p>",
            title = escape(self.title)
        );
        if let Some(error) = self.error {
            html.push_str(&format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                escape(error)
            ));
        }
        html.push_str(&format!(
            "<form method=\"post\" action=\"{}\">",
            escape(self.action)
        ));
        for (name, value) in &self.hidden {
            html.push_str(&format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            ));
        }
        html.push_str(&format!("<select name=\"{}\">", escape(self.field)));
        for choice in &self.choices {
            html.push_str(&format!(
                "<option value=\"{}\">{}</option>",
                escape(&choice.value),
                escape(&choice.label)
            ));
        }
        html.push_str(&format!(
            "</select><p><label>or any id: <input type=\"text\" name=\"{}{FREE_TEXT_SUFFIX}\"></label></p>\
             <button type=\"submit\">Log in</button></form></body></html>",
            escape(self.field)
        ));
        (status, Html(html)).into_response()
    }
}

/// An error page: the status and a sentence naming what is wrong.
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p role=\"alert\">{d}</p></body></html>",
        t = escape(title),
        d = escape(detail)
    );
    (status, Html(html)).into_response()
}

/// Escapes text for HTML content and quoted attributes: callback URLs and codes come from the
/// query string and must not become markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_input_is_escaped() {
        assert_eq!(
            escape("\"><script>x</script>&'"),
            "&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;&#39;"
        );
    }
}
