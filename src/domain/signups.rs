//! Who may create an account by signing up (an instance setting admins change).

use serde::{Deserialize, Serialize};

use super::ValidationError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    /// Anyone can sign up and use the account at once.
    Open,
    /// Anyone can sign up; the account waits for an administrator's approval before it can log in.
    /// The default once the first account (the admin) exists.
    #[default]
    Approval,
    /// Nobody can sign up; administrators create accounts (`webplus admin create-user`).
    Closed,
}

impl SignupMode {
    pub const ALL: [SignupMode; 3] = [SignupMode::Open, SignupMode::Approval, SignupMode::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            SignupMode::Open => "open",
            SignupMode::Approval => "approval",
            SignupMode::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| ValidationError::new("signup_mode", "expected open, approval or closed"))
    }

    /// One line for people: what the mode means.
    pub fn describe(self) -> &'static str {
        match self {
            SignupMode::Open => "anyone can sign up",
            SignupMode::Approval => "anyone can sign up; an administrator must approve each new account",
            SignupMode::Closed => "sign-ups are closed; administrators create accounts",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_their_names_and_others_are_refused() {
        for m in SignupMode::ALL {
            assert_eq!(SignupMode::parse(m.as_str()), Ok(m));
        }
        assert!(SignupMode::parse("invite").is_err());
        assert_eq!(SignupMode::default(), SignupMode::Approval);
    }
}
