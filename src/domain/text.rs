//! Short validated strings: emails, titles, names, message bodies.

use super::ValidationError;

/// A normalised (trimmed, lower-cased) email address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim().to_lowercase();
        let err = |r: &str| Err(ValidationError::new("email", r));
        if s.is_empty() {
            return err("enter your email address");
        }
        if s.len() > Self::MAX_LEN {
            return err("an email address has at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return err("an email address looks like name@example.com");
        };
        let valid_domain = !domain.is_empty()
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || !valid_domain || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("an email address looks like name@example.com");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trims, then checks that 1..=max characters remain.
fn bounded(field: &'static str, raw: &str, max: usize, what: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValidationError::new(field, format!("{what} cannot be empty")));
    }
    let n = s.chars().count();
    if n > max {
        return Err(ValidationError::new(field, format!("{what} has at most {max} characters (this one has {n})")));
    }
    Ok(s.to_string())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                bounded($field, raw, $max, $what).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}

bounded_text!(
    /// A conversation's title.
    ConversationTitle, "title", 200, "a title"
);
bounded_text!(
    /// The label a user gives an API key.
    ApiKeyName, "name", 100, "a key name"
);
bounded_text!(
    /// What a user sends to the model.
    MessageContent, "content", 32_000, "a message"
);
bounded_text!(
    /// A knowledge base's name.
    KnowledgeBaseName, "name", 120, "a knowledge base name"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_rejected_with_a_hint() {
        for bad in ["", "ada", "@example.com", "ada@", "ada@@x.com", "a da@x.com", "ada@.com", "ada@x..com"] {
            let e = Email::parse(bad).unwrap_err();
            assert_eq!(e.field, "email", "{bad:?}");
        }
    }

    #[test]
    fn a_blank_title_is_rejected_and_a_long_one_says_how_long() {
        assert!(ConversationTitle::parse("   ").is_err());
        let e = ConversationTitle::parse(&"x".repeat(201)).unwrap_err();
        assert!(e.reason.contains("201"), "{e}");
        assert_eq!(ConversationTitle::parse(" Hi ").unwrap().as_str(), "Hi");
    }
}
