//! The engine's error: variants a user can act on, plus `Internal` for everything else.
//!
//! `Internal` keeps its cause chain for the logs; the HTTP layer shows clients only "internal error"
//! and a request id. The other variants carry text written for the user.

use crate::domain::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing does not exist, or belongs to someone else (we do not say which).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Not logged in, or the credentials are wrong or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// Logged in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// A field failed validation.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The request clashes with existing state (duplicate email, ...).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (model, provider) cannot serve right now.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an infrastructure failure. Logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error with its sources, joined by ": ". reqwest's top-level message is vague ("error sending
/// request"); the sources say what happened.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl Error {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Error::Internal(e.into())
    }

    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid(ValidationError::new(field, reason))
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(e.into())
    }
}

impl From<crate::providers::ProviderError> for Error {
    fn from(e: crate::providers::ProviderError) -> Self {
        use crate::providers::ProviderError as P;
        match e {
            P::UnknownModel(m) => {
                Error::invalid("model", format!("unknown model {m:?}; GET /v1/models lists the available ones"))
            }
            P::ModelMissing(hint) => Error::Unavailable(hint),
            P::PromptTooLong { tokens, limit } => Error::invalid(
                "messages",
                format!("the prompt has {tokens} tokens but the model takes at most {limit}"),
            ),
            P::Unavailable(_) => Error::Unavailable("the model is busy or unreachable; try again shortly".into()),
            P::Failed(m) => Error::Internal(anyhow::anyhow!(m)),
        }
    }
}
