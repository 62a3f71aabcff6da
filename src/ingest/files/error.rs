//! What can go wrong with an uploaded file, worded for the person who uploaded it.
//!
//! Every message names the file (as the user called it, never a server path), says what was wrong
//! and what to do about it. Reasons from parser crates are shortened: they help a bug report, but a
//! user acts on the sentence around them.

/// An uploaded file that cannot become knowledge-base text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// A type we do not read at all (images, programs, spreadsheets...).
    #[error("{name} looks like {found}, which cannot be added. Upload txt, md, html, pdf or docx files{advice}")]
    Unsupported { name: String, found: String, advice: &'static str },
    /// The name (or declared type) promises one format and the content is another.
    #[error(
        "{name} is not {expected} (its content looks like {found}). Check that you picked the right file, or save it again as {expected}"
    )]
    Mismatch { name: String, expected: &'static str, found: String },
    /// Over the per-file byte limit.
    #[error("file {name} is {}; the limit is {}. Split it into smaller files", size_pair(*.size, *.limit).0, size_pair(*.size, *.limit).1)]
    TooLarge { name: String, size: u64, limit: u64 },
    /// More files in one upload than allowed.
    #[error("{count} files were uploaded at once; the limit is {limit}. Upload them in smaller batches")]
    TooMany { count: usize, limit: usize },
    /// Small on disk, huge inside: unpacked archive data or extracted text over a limit.
    #[error("{name} holds more than {limit}. Split it into smaller files")]
    TooMuchContent { name: String, limit: String },
    /// The format is right but the file is damaged, encrypted or not decodable.
    #[error("could not read the {format} {name}: {reason}")]
    Unreadable { name: String, format: &'static str, reason: String },
    /// Readable, but nothing to index.
    #[error("{name}: {reason}")]
    Empty { name: String, reason: &'static str },
}

impl FileError {
    pub(crate) fn unreadable(name: &str, format: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Unreadable { name: name.to_owned(), format, reason: short_reason(&reason.to_string()) }
    }
}

/// Parser messages can be long or multi-line; one short line is enough for a person.
fn short_reason(reason: &str) -> String {
    let line = reason.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(160) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// A size the way people read it: "31.2 MB", "800 KB", "12 bytes" (decimal units, as upload
/// dialogs show them).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let tenths = (bytes as f64 / unit as f64 * 10.0).round() / 10.0;
            return if tenths.fract() == 0.0 { format!("{tenths:.0} {name}") } else { format!("{tenths:.1} {name}") };
        }
    }
    format!("{bytes} bytes")
}

/// Both sizes for a "too large" message; exact byte counts when rounding would make them look equal.
fn size_pair(size: u64, limit: u64) -> (String, String) {
    let (a, b) = (human_size(size), human_size(limit));
    if a == b { (format!("{size} bytes"), format!("{limit} bytes")) } else { (a, b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_an_upload_dialog() {
        assert_eq!(human_size(31_200_000), "31.2 MB");
        assert_eq!(human_size(20_000_000), "20 MB");
        assert_eq!(human_size(999), "999 bytes");
        assert_eq!(human_size(1_500), "1.5 KB");
    }

    #[test]
    fn a_too_large_message_names_the_file_its_size_and_the_limit() {
        let err = FileError::TooLarge { name: "big.pdf".into(), size: 31_200_000, limit: 20_000_000 };
        assert_eq!(err.to_string(), "file big.pdf is 31.2 MB; the limit is 20 MB. Split it into smaller files");
    }

    #[test]
    fn a_size_just_over_the_limit_is_shown_in_bytes_rather_than_as_two_equal_numbers() {
        let err = FileError::TooLarge { name: "a.txt".into(), size: 20_000_001, limit: 20_000_000 };
        assert!(err.to_string().contains("20000001 bytes; the limit is 20000000 bytes"), "{err}");
    }

    #[test]
    fn parser_reasons_are_cut_to_one_short_line() {
        let err = FileError::unreadable("x.pdf", "PDF", format!("{}\nsecond line", "e".repeat(500)));
        let text = err.to_string();
        assert!(!text.contains("second line"));
        assert!(text.chars().count() < 200, "{text}");
    }
}
