//! Files attached to messages: uploaded first (checked by content like knowledge-base uploads,
//! text extracted once), then named when a message is sent. Images (PNG, JPEG, GIF, WebP, known
//! by their signatures) are kept as they are and shown to models that can see them.

use std::{collections::HashMap, sync::Arc};

use super::Chat;
use crate::{
    Error, Result,
    ingest::files::{FileKind, FileLimits, display_name, human_size, plain_text, sniff},
    providers::{AttachedFile, FileContent, Image},
    storage::{AttachmentRow, NewAttachment},
    time::now_ms,
};

/// Files one message may carry.
pub const MAX_ATTACHMENTS_PER_MESSAGE: usize = 10;
/// Bytes an image may have (Anthropic's limit per image; OpenAI's is 20 MB).
pub const MAX_IMAGE_BYTES: usize = 5_000_000;
/// Characters of a file's text kept for its preview.
const PREVIEW_CHARS: usize = 2_000;
/// How long an upload waits for a message to be sent with it.
const UNSENT_KEPT_MS: i64 = 24 * 60 * 60 * 1000;

/// Extensions that promise a document: an image named so is refused (a photo renamed
/// `report.pdf` is a mistake the user should hear about).
const DOCUMENT_EXTENSIONS: [&str; 9] = ["pdf", "docx", "txt", "md", "markdown", "html", "htm", "csv", "json"];

/// The image types models take, by signature: (magic bytes at offset, media type).
const IMAGE_SIGNATURES: [(usize, &[u8], &str); 5] = [
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xFF\xD8\xFF", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (8, b"WEBP", "image/webp"),
];

/// The image type of `bytes`, if they are one models take.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    IMAGE_SIGNATURES
        .iter()
        .find(|(at, sig, _)| {
            bytes.get(*at..).is_some_and(|b| b.starts_with(sig)) && (*at == 0 || bytes.starts_with(b"RIFF"))
        })
        .map(|(_, _, media_type)| *media_type)
}

impl Chat {
    /// Stores an upload for a message the user is writing: an image, or a file whose text can be
    /// read (txt, md, code, html, pdf, docx). The file is refused with what was wrong and what to
    /// do when it is empty, too large, of another type than its name says, or unreadable.
    /// Uploads of the user's that no message was sent with for a day are removed meanwhile.
    pub async fn attach(
        &self,
        user_id: &str,
        file_name: &str,
        declared_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<AttachmentRow> {
        self.db.delete_unsent_attachments(user_id, now_ms() - UNSENT_KEPT_MS).await?;
        let name = display_name(file_name);
        let (media_type, text) = {
            let (name, declared) = (name.clone(), declared_type.map(str::to_owned));
            let bytes = bytes.clone();
            tokio::task::spawn_blocking(move || read(&name, declared.as_deref(), &bytes))
                .await
                .map_err(Error::internal)??
        };
        let preview: Option<String> = text.as_deref().map(|t| t.chars().take(PREVIEW_CHARS).collect());
        self.db
            .insert_attachment(NewAttachment {
                user_id,
                name: &name,
                media_type,
                content: &bytes,
                text: text.as_deref(),
                preview: preview.as_deref(),
            })
            .await
    }

    /// One of the user's attachments with its bytes (a download).
    pub async fn attachment_file(&self, user_id: &str, id: &str) -> Result<(AttachmentRow, Vec<u8>)> {
        self.db.attachment_file(user_id, id).await?.ok_or(Error::NotFound("attachment"))
    }

    /// Checks the files a message is sent with: at most [`MAX_ATTACHMENTS_PER_MESSAGE`], no
    /// repeats, each the user's and not sent in another conversation.
    pub(super) async fn check_attachments(
        &self,
        user_id: &str,
        conversation_id: &str,
        ids: &[String],
    ) -> Result<Vec<AttachmentRow>> {
        if ids.len() > MAX_ATTACHMENTS_PER_MESSAGE {
            return Err(Error::invalid(
                "attachments",
                format!("attach at most {MAX_ATTACHMENTS_PER_MESSAGE} files to one message"),
            ));
        }
        let mut rows: Vec<AttachmentRow> = Vec::with_capacity(ids.len());
        for id in ids {
            if rows.iter().any(|r| r.id == *id) {
                return Err(Error::invalid("attachments", "each file can be attached once"));
            }
            rows.push(self.db.attachment_for(user_id, conversation_id, id).await?);
        }
        Ok(rows)
    }

    /// What the model is given of these attachments, by id.
    pub(super) async fn attached_files(&self, user_id: &str, ids: &[&str]) -> Result<HashMap<String, AttachedFile>> {
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let payloads = self.db.attachment_payloads(user_id, &unique).await?;
        Ok(payloads
            .into_iter()
            .filter_map(|p| {
                let content = match (p.text, p.content) {
                    (Some(text), _) => FileContent::Text(Arc::from(text)),
                    (None, Some(bytes)) => {
                        FileContent::Image(Image { media_type: p.media_type, data: Arc::from(bytes) })
                    }
                    (None, None) => return None,
                };
                Some((p.id, AttachedFile { name: p.name, content }))
            })
            .collect())
    }
}

/// The media type to keep and the text to give models (None: an image). CPU-bound.
fn read(name: &str, declared: Option<&str>, bytes: &[u8]) -> Result<(&'static str, Option<String>)> {
    let refuse = |e: crate::ingest::FileError| Error::invalid("file", e.to_string());
    if let Some(media_type) = image_type(bytes) {
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        if DOCUMENT_EXTENSIONS.contains(&extension.as_str()) {
            return Err(Error::invalid(
                "file",
                format!(
                    "{name} is named like a .{extension} file but is an image ({media_type}). Check that you \
                     picked the right file, or rename it"
                ),
            ));
        }
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(Error::invalid(
                "file",
                format!(
                    "the image {name} is {}; images may be at most {}. Make it smaller and attach it again",
                    human_size(bytes.len() as u64),
                    human_size(MAX_IMAGE_BYTES as u64)
                ),
            ));
        }
        return Ok((media_type, None));
    }
    let limits = FileLimits::default();
    limits.check_file(name, bytes.len() as u64).map_err(refuse)?;
    let kind = sniff(name, declared, bytes).map_err(refuse)?;
    let text = plain_text(name, kind, bytes, &limits).map_err(refuse)?;
    let media_type = match kind {
        // A page is kept as text: it is never served as HTML.
        FileKind::Html => FileKind::Txt.content_type(),
        kind => kind.content_type(),
    };
    Ok((media_type, Some(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_signatures() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(image_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WAVEfmt "), None, "a WAV file is no image");
        assert_eq!(image_type(b"xxxxxxxxWEBP"), None);
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
    }

    #[test]
    fn files_are_read_by_content_and_refused_with_the_reason() {
        let (media_type, text) = read("main.rs", None, b"fn main() {\n    println!(\"hi\");\n}\n").unwrap();
        assert_eq!(
            (media_type, text.as_deref()),
            ("text/plain; charset=utf-8", Some("fn main() {\n    println!(\"hi\");\n}\n"))
        );
        let (media_type, text) =
            read("page.html", None, b"<html><body><h1>Title</h1><p>Body text.</p></body></html>").unwrap();
        assert_eq!(media_type, "text/plain; charset=utf-8", "HTML is never kept as HTML");
        assert!(text.unwrap().contains("Body text."));
        let e = read("photo.pdf", None, b"%PDF-1.4 broken").unwrap_err().to_string();
        assert!(e.contains("photo.pdf"), "{e}");
        let e = read("tool.exe", None, b"MZ\x90\0\x03").unwrap_err().to_string();
        assert!(e.contains("tool.exe") && e.contains("Windows program"), "{e}");
        let big = [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0u8; MAX_IMAGE_BYTES]].concat();
        let e = read("big.png", None, &big).unwrap_err().to_string();
        assert!(e.contains("big.png") && e.contains("at most 5 MB"), "{e}");
    }
}
