//! Password policy (length, common passwords) and a strength estimate shown while typing.

use super::ValidationError;

/// The 5,000 most common passwords of 8+ characters, from the zxcvbn project's frequency lists
/// (MIT licence, Dropbox). Shorter ones are already refused by the length rule.
const COMMON: &str = include_str!("common_passwords.txt");

/// A password that meets the policy. Never printed: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(ValidationError::new("password", "use at least 8 characters"));
        }
        if n > Self::MAX_CHARS {
            return Err(ValidationError::new("password", "use at most 1024 characters"));
        }
        if is_common(raw) {
            return Err(ValidationError::new(
                "password",
                "this password is on a list of commonly used passwords; choose another",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn is_common(raw: &str) -> bool {
    let lower = raw.to_lowercase();
    COMMON.lines().any(|c| c == lower)
}

/// A strength estimate for the meter beside the password field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Strength {
    /// 0 (refused) to 4 (strong).
    pub score: u8,
}

impl Strength {
    pub fn label(self) -> &'static str {
        match self.score {
            0 => "too weak",
            1 => "weak",
            2 => "fair",
            3 => "good",
            _ => "strong",
        }
    }
}

/// Estimates strength from length and character variety; anything the policy refuses scores 0.
pub fn password_strength(raw: &str) -> Strength {
    if Password::parse(raw).is_err() {
        return Strength { score: 0 };
    }
    let n = raw.chars().count();
    let classes = [
        raw.chars().any(|c| c.is_lowercase()),
        raw.chars().any(|c| c.is_uppercase()),
        raw.chars().any(|c| c.is_ascii_digit()),
        raw.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let distinct = {
        let mut v: Vec<char> = raw.chars().collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    // Rough entropy: length times variety, penalising repeated characters.
    let mut score: u8 = match n {
        0..=9 => 1,
        10..=13 => 2,
        14..=19 => 3,
        _ => 4,
    };
    if classes >= 3 && score < 4 {
        score += 1;
    }
    if distinct * 3 < n || classes == 1 && n < 16 {
        score = score.saturating_sub(1).max(1);
    }
    Strength { score }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_shorter_than_8_chars_is_rejected() {
        assert!(Password::parse("Ab1!xyz").is_err());
    }

    #[test]
    fn a_password_longer_than_1024_chars_is_rejected() {
        assert!(Password::parse(&"aB3$".repeat(257)).is_err());
        assert!(Password::parse(&"aB3$".repeat(256)).is_ok());
    }

    #[test]
    fn common_passwords_are_rejected_whatever_their_case() {
        for p in ["password", "PassWord", "12345678", "football"] {
            let e = Password::parse(p).unwrap_err();
            assert!(e.reason.contains("commonly used"), "{p}: {e}");
        }
    }

    #[test]
    fn the_list_holds_only_passwords_the_length_rule_lets_through() {
        assert!(COMMON.lines().all(|l| l.chars().count() >= 8));
        assert!(COMMON.lines().count() >= 4000);
    }

    #[test]
    fn strength_grows_with_length_and_variety() {
        assert_eq!(password_strength("password").score, 0);
        let weak = password_strength("lkjhgfdsaq").score;
        let strong = password_strength("correct-Horse-battery-9-staple").score;
        assert!(weak < strong, "{weak} < {strong}");
        assert_eq!(strong, 4);
    }

    #[test]
    fn a_password_never_prints() {
        let p = Password::parse("s3cret-enough").unwrap();
        assert!(!format!("{p:?}").contains("s3cret"));
    }
}
