//! Who may do what with a pipeline: its owner everything; a user it is shared with may view it
//! (open it read-only, export it, see the runs they started) or also run it. Every call by id goes
//! through `allowed`, so a pipeline neither owned nor shared is "not found", whoever asks.

use super::Pipelines;
use crate::{
    Error, Result,
    domain::Email,
    storage::{PipelineRow, SharedPipelineRow},
};

/// What a user may do with a pipeline, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Open it read-only and export it.
    View,
    /// Also run it (with the runner's own models, knowledge bases and ledger).
    Run,
    /// Also change, share and delete it.
    Owner,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::View => "view",
            Access::Run => "run",
            Access::Owner => "owner",
        }
    }

    /// What a share may grant: `view` or `run`.
    pub fn parse_share(s: &str) -> Result<Access> {
        match s {
            "view" => Ok(Access::View),
            "run" => Ok(Access::Run),
            other => Err(Error::invalid("access", format!("{other:?} is not an access; use \"view\" or \"run\""))),
        }
    }
}

/// A pipeline the user may open: their own or one shared with them.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub row: PipelineRow,
    pub access: Access,
    /// Whose it is, when it is not the user's.
    pub owner_email: Option<String>,
}

/// One user a pipeline is shared with.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub user_id: String,
    pub email: String,
    pub access: Access,
}

impl Pipelines {
    /// The pipeline and what `user_id` may do with it; "not found" when it is neither theirs
    /// nor shared with them.
    pub async fn access(&self, user_id: &str, id: &str) -> Result<(PipelineRow, Access)> {
        let row = self.inner.db.pipeline(id).await?.ok_or(Error::NotFound("pipeline"))?;
        if row.owner_id == user_id {
            return Ok((row, Access::Owner));
        }
        match self.inner.db.pipeline_share(id, user_id).await? {
            Some(access) => Ok((row, Access::parse_share(&access)?)),
            None => Err(Error::NotFound("pipeline")),
        }
    }

    /// The pipeline, when `user_id` may do at least `need` with it.
    pub(super) async fn allowed(&self, user_id: &str, id: &str, need: Access) -> Result<PipelineRow> {
        let (row, access) = self.access(user_id, id).await?;
        if access >= need {
            return Ok(row);
        }
        Err(Error::Forbidden(match need {
            Access::Run => "this pipeline is shared with you to view only; ask its owner for run access".into(),
            _ => {
                "only the pipeline's owner can change, share or delete it; export it to make a copy of your own".into()
            }
        }))
    }

    /// The user's own pipelines, the latest changed first, then those shared with them.
    pub async fn list(&self, user_id: &str) -> Result<Vec<Listed>> {
        let own = self.inner.db.list_pipelines(user_id).await?;
        let shared = self.inner.db.pipelines_shared_with(user_id).await?;
        let mut out: Vec<Listed> =
            own.into_iter().map(|row| Listed { row, access: Access::Owner, owner_email: None }).collect();
        for SharedPipelineRow { row, access, owner_email } in shared {
            out.push(Listed { row, access: Access::parse_share(&access)?, owner_email: Some(owner_email) });
        }
        Ok(out)
    }

    /// The users the owner shares the pipeline with, by email.
    pub async fn shares(&self, owner_id: &str, id: &str) -> Result<Vec<Share>> {
        self.allowed(owner_id, id, Access::Owner).await?;
        let rows = self.inner.db.pipeline_shares(id).await?;
        rows.into_iter()
            .map(|r| Ok(Share { user_id: r.user_id, email: r.email, access: Access::parse_share(&r.access)? }))
            .collect()
    }

    /// Shares the pipeline with the user who has `email` (or changes their access); returns the
    /// shares as they are then.
    pub async fn share(&self, owner_id: &str, id: &str, email: &str, access: Access) -> Result<Vec<Share>> {
        self.allowed(owner_id, id, Access::Owner).await?;
        if access == Access::Owner {
            return Err(Error::invalid("access", "a pipeline is shared to \"view\" or to \"run\""));
        }
        if email.trim().is_empty() {
            return Err(Error::invalid("email", "give the email of the user to share with"));
        }
        let email = Email::parse(email)?;
        let email = email.as_str();
        let user = self.inner.db.user_by_email(email).await?.ok_or_else(|| {
            Error::invalid("email", format!("no user has the email {email:?}; they need an account first"))
        })?;
        if user.id == owner_id {
            return Err(Error::invalid("email", "that is you: you own this pipeline"));
        }
        self.inner.db.put_pipeline_share(id, &user.id, access.as_str()).await?;
        tracing::info!(pipeline = id, with = user.id, access = access.as_str(), "pipeline shared");
        self.shares(owner_id, id).await
    }

    /// Stops sharing the pipeline with a user. Their runs stay theirs, but they can no longer
    /// open them.
    pub async fn unshare(&self, owner_id: &str, id: &str, user_id: &str) -> Result<()> {
        self.allowed(owner_id, id, Access::Owner).await?;
        if !self.inner.db.delete_pipeline_share(id, user_id).await? {
            return Err(Error::NotFound("share"));
        }
        tracing::info!(pipeline = id, with = user_id, "pipeline no longer shared");
        Ok(())
    }
}
