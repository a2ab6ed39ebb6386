//! The language a person reads a message in. Simplified Chinese (zh-CN) is the default, as on
//! 浙里办 and 浙政钉; English is there for developers and visitors who ask for it with
//! `Accept-Language`.

/// A language ZheliKit writes messages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (zh-CN): the default.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag, as sent in `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// The language an `Accept-Language` header prefers among the two ZheliKit writes: the one
    /// with the highest `q` (the first on a tie); zh-CN when it names neither or is malformed.
    /// Any `zh` tag (zh, zh-CN, zh-Hans, even zh-TW) reads Simplified Chinese: that is the only
    /// Chinese the platforms write.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q));
            let Some(q) = q else { continue };
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "zh" => Lang::ZhCn,
                "en" => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::ZhCn, |(_, lang)| lang)
    }
}

/// A message written in both languages, chosen when it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// 简体中文.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Text {
    /// A message from its Chinese and English wording.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The wording in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_the_default_and_english_is_chosen_when_preferred() {
        assert_eq!(Lang::from_accept_language(""), Lang::ZhCn);
        assert_eq!(Lang::from_accept_language("fr-FR, de"), Lang::ZhCn);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, zh;q=0.4"),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language("zh-TW"), Lang::ZhCn);
        assert_eq!(
            Lang::from_accept_language("en;q=0, zh;q=0.1"),
            Lang::ZhCn,
            "q=0 means not acceptable"
        );
        assert_eq!(
            Lang::from_accept_language("en;q=banana"),
            Lang::ZhCn,
            "a malformed weight is ignored"
        );
    }

    #[test]
    fn a_text_answers_in_the_language_asked() {
        let t = Text::new("票据已过期", "the ticket has expired");
        assert_eq!(t.get(Lang::ZhCn), "票据已过期");
        assert_eq!(t.get(Lang::En), "the ticket has expired");
    }
}
