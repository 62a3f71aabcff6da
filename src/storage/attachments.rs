//! Files attached to messages (migration 0016). Every query is scoped by owner: another user's
//! attachment behaves as a missing one. Metadata, text and bytes are read separately, so listing
//! a conversation's attachments never loads the files.

use super::{Db, new_id, text};
use crate::{Error, Result, time::now_ms};

/// An attachment as chips and listings show it (no bytes, no full text).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: String,
    pub user_id: String,
    /// Set when a message is first sent with it.
    pub conversation_id: Option<String>,
    /// The file name as the user called it (display only, never a path).
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
    /// The start of the extracted text (None for images).
    pub preview: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, user_id, conversation_id, name, media_type, size_bytes, preview, created_at";

/// What the model is given of an attachment: its text, or an image's bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentPayload {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub text: Option<String>,
    /// The file's bytes, read for images only (None for the others).
    pub content: Option<Vec<u8>>,
}

/// A new upload.
#[derive(Debug, Clone, Copy)]
pub struct NewAttachment<'a> {
    pub user_id: &'a str,
    pub name: &'a str,
    pub media_type: &'a str,
    pub content: &'a [u8],
    pub text: Option<&'a str>,
    pub preview: Option<&'a str>,
}

impl Db {
    pub async fn insert_attachment(&self, new: NewAttachment<'_>) -> Result<AttachmentRow> {
        let row = sqlx::query_as(&format!(
            "INSERT INTO attachments (id, user_id, name, media_type, size_bytes, content, text, preview, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(new.user_id)
        .bind(text(new.name))
        .bind(new.media_type)
        .bind(new.content.len() as i64)
        .bind(new.content)
        .bind(new.text.map(text))
        .bind(new.preview.map(text))
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(row)
    }

    /// Removes the user's uploads that no message was sent with, uploaded before `before` (ms).
    pub async fn delete_unsent_attachments(&self, user_id: &str, before: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM attachments WHERE user_id = $1 AND conversation_id IS NULL AND created_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM message_attachments m WHERE m.attachment_id = attachments.id)",
        )
        .bind(user_id)
        .bind(before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// One of the user's attachments with its bytes (a download).
    pub async fn attachment_file(&self, user_id: &str, id: &str) -> Result<Option<(AttachmentRow, Vec<u8>)>> {
        let row: Option<AttachmentRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM attachments WHERE id = $1 AND user_id = $2"))
                .bind(id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let (content,): (Vec<u8>,) =
            sqlx::query_as("SELECT content FROM attachments WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
        Ok(Some((row, content)))
    }

    /// One of the user's attachments, if it may go with a message of `conversation_id`: not yet
    /// sent, or sent in that conversation.
    pub async fn attachment_for(&self, user_id: &str, conversation_id: &str, id: &str) -> Result<AttachmentRow> {
        let row: Option<AttachmentRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE id = $1 AND user_id = $2 \
             AND (conversation_id IS NULL OR conversation_id = $3)"
        ))
        .bind(id)
        .bind(user_id)
        .bind(conversation_id)
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or(Error::NotFound("attachment"))
    }

    /// The attachments of a conversation's messages: `(message id, attachment)`, each message's in
    /// the order they were attached.
    pub async fn conversation_attachments(
        &self,
        user_id: &str,
        conversation_id: &str,
    ) -> Result<Vec<(String, AttachmentRow)>> {
        #[derive(sqlx::FromRow)]
        struct Linked {
            message_id: String,
            #[sqlx(flatten)]
            row: AttachmentRow,
        }
        let rows: Vec<Linked> = sqlx::query_as(
            "SELECT m.message_id, a.id, a.user_id, a.conversation_id, a.name, a.media_type, a.size_bytes, \
             a.preview, a.created_at FROM message_attachments m JOIN attachments a ON a.id = m.attachment_id \
             WHERE a.conversation_id = $1 AND a.user_id = $2 ORDER BY m.message_id, m.position",
        )
        .bind(conversation_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|l| (l.message_id, l.row)).collect())
    }

    /// What the model is given of these attachments (the user's own): text, or an image's bytes.
    /// In the order of `ids`; ids not found are left out.
    pub async fn attachment_payloads(&self, user_id: &str, ids: &[&str]) -> Result<Vec<AttachmentPayload>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, name, media_type, text, CASE WHEN text IS NULL THEN content END AS content \
             FROM attachments WHERE user_id = $1 AND id IN ({})",
            (0..ids.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ")
        );
        let mut query = sqlx::query_as::<_, AttachmentPayload>(&sql).bind(user_id);
        for id in ids {
            query = query.bind(*id);
        }
        let mut rows = query.fetch_all(&self.pool).await?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
        Ok(rows)
    }
}

/// Links the question's attachments inside [`Db::start_reply`]'s transaction: each must be the
/// user's and not sent in another conversation (`NotFound` otherwise, and nothing is written).
pub(super) async fn link(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    conversation_id: &str,
    message_id: &str,
    attachments: &[&str],
) -> Result<()> {
    for (position, id) in attachments.iter().enumerate() {
        let claimed = sqlx::query(
            "UPDATE attachments SET conversation_id = $1 WHERE id = $2 AND user_id = $3 \
             AND (conversation_id IS NULL OR conversation_id = $1)",
        )
        .bind(conversation_id)
        .bind(*id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Err(Error::NotFound("attachment"));
        }
        sqlx::query("INSERT INTO message_attachments (message_id, attachment_id, position) VALUES ($1, $2, $3)")
            .bind(message_id)
            .bind(*id)
            .bind(position as i64)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
