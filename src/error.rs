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
    /// No configured provider serves this model id.
    #[error("the model {0:?} is not available; pick one from the model list")]
    UnknownModel(String),
    /// A dependency (model, provider) cannot serve right now.
    #[error("{0}")]
    Unavailable(String),
    /// An upstream provider refused this server's API key: only an administrator can fix it, so
    /// the user is told that (and which provider), never the upstream's answer.
    #[error("{provider} refused this server's API key; an administrator can update it in Admin → Connections")]
    ProviderKeyRefused { provider: String },
    /// A model's files are not on this server. Clients are told which model and to ask an
    /// administrator; `detail` (the path, the command that fetches it) goes only to the log.
    #[error("the model {model} is not installed on this server; ask the administrator to install it")]
    ModelMissing { model: String, detail: String },
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

    /// The HTTP status of this error: the one table every HTTP caller uses (server functions,
    /// REST, `/v1`, the widget). A validation failure is 400, as OpenAI answers it.
    pub fn status(&self) -> u16 {
        match self {
            Error::Invalid(_) => 400,
            Error::Unauthorized(_) => 401,
            Error::Forbidden(_) => 403,
            Error::NotFound(_) | Error::UnknownModel(_) => 404,
            Error::Conflict(_) => 409,
            Error::RateLimited { .. } => 429,
            Error::Internal(_) => 500,
            Error::Unavailable(_) | Error::ModelMissing { .. } | Error::ProviderKeyRefused { .. } => 503,
        }
    }

    /// What a client is told: the message for errors it can act on, "internal error" with the
    /// request id otherwise. Never a path, an upstream body or SQL.
    pub fn public_message(&self, request_id: &str) -> String {
        match self {
            Error::Internal(_) => format!("internal error (request id {request_id})"),
            other => other.to_string(),
        }
    }

    /// Logs an error that ends a request, by kind: internal ones at ERROR with their cause chain;
    /// the caller's mistakes (wrong password, bad input, not found) at INFO, refusals that may be
    /// abuse (forbidden, rate limited) and unavailable dependencies at WARN. The messages of
    /// client errors are written for the user and hold no secrets.
    pub fn log(&self, request_id: &str) {
        match self {
            Error::Internal(cause) => {
                tracing::error!(request_id, error = %format!("{cause:#}"), "internal error")
            }
            Error::ModelMissing { model, detail } => {
                tracing::error!(request_id, model, detail, "a model is not installed")
            }
            Error::ProviderKeyRefused { provider } => {
                tracing::error!(request_id, provider, "the provider refused the API key; update it in the settings")
            }
            Error::Forbidden(_) | Error::RateLimited { .. } | Error::Unavailable(_) => {
                tracing::warn!(request_id, error = %self, "request refused")
            }
            Error::NotFound(_)
            | Error::UnknownModel(_)
            | Error::Unauthorized(_)
            | Error::Invalid(_)
            | Error::Conflict(_) => {
                tracing::info!(request_id, error = %self, "client error")
            }
        }
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
            P::UnknownModel(m) => Error::UnknownModel(m),
            P::ModelMissing { model, detail } => Error::ModelMissing { model, detail },
            P::PromptTooLong { tokens, limit } => Error::invalid(
                "messages",
                format!("the prompt has {tokens} tokens but the model takes at most {limit}"),
            ),
            P::KeyRefused { provider } => Error::ProviderKeyRefused { provider },
            P::Unavailable(_) => Error::Unavailable("the model is busy or unreachable; try again shortly".into()),
            P::Failed(m) => Error::Internal(anyhow::anyhow!(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Everything logged while `f` runs, one line per event.
    fn logged(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || out.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn client_errors_are_logged_below_error_and_internal_ones_at_error_with_their_causes() {
        let log = logged(|| {
            Error::invalid("email", "enter an email address").log("r1");
            Error::NotFound("conversation").log("r2");
            Error::Forbidden("sign-ups are closed".into()).log("r3");
        });
        assert!(!log.contains("ERROR"), "{log}");
        assert!(log.contains(" INFO") && log.contains(" WARN"), "{log}");
        let log = logged(|| Error::internal(anyhow::anyhow!("disk full").context("saving the index")).log("r4"));
        assert!(log.contains("ERROR") && log.contains("saving the index: disk full"), "{log}");
    }

    #[test]
    fn a_refused_provider_key_is_a_503_naming_the_provider_and_the_fix_logged_at_error() {
        let refused = crate::providers::ProviderError::KeyRefused { provider: "Anthropic".into() };
        let e = Error::from(refused);
        assert_eq!(e.status(), 503);
        let message = e.public_message("r1");
        assert!(message.contains("Anthropic") && message.contains("administrator"), "{message}");
        let log = logged(|| e.log("r1"));
        assert!(log.contains("ERROR") && log.contains("Anthropic"), "{log}");
    }

    #[test]
    fn a_sign_up_with_an_invalid_email_is_not_logged_as_an_error() {
        let log = logged(|| {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (db, _dir) = crate::storage::test_support::temp_db().await;
                let mut s = crate::settings::Settings::defaults();
                s.jwt_secret = Some(crate::settings::Secret::new("k".repeat(64)));
                let accounts = crate::auth::Accounts::new(db, &s).unwrap();
                assert!(accounts.register("not-an-email", "lovelace-1815", None).await.is_err());
                accounts.register("a@x.io", "lovelace-1815", None).await.unwrap();
                assert!(accounts.register("a@x.io", "lovelace-1815", None).await.is_err(), "duplicate");
            });
        });
        assert!(!log.contains("ERROR"), "{log}");
    }
}
