//! Files attached to messages, put into them before the history is fitted.
//!
//! A message's text files go in front of its text, each in a `<file name="…">` block, when they
//! fit in its share of the window: half of what is left for the history for the newest message,
//! an eighth for older ones (which the fitting drops first anyway). A file too long for that is
//! cut into passages, ranked against the message's text with BM25 (a question about page 300 of
//! a book finds page 300; a question that matches nothing gets the file's beginning), and as many
//! as fit go in, in the file's order, with `[…]` where text was left out. Images go to a model
//! that can see them (the catalog's `vision`); any other model gets a note naming the image, so
//! its reply can say why it cannot answer about it.

use std::collections::HashMap;

use crate::{
    ingest::{ChunkConfig, Document, chunk, text_to_blocks},
    providers::{AttachedFile, ChatMessage, ChatProvider, FileContent, Role},
};

/// Characters per passage of a file too long to go in whole (about 300 tokens).
const PASSAGE_CHARS: usize = 1200;
/// No language has fewer than this many characters per token on average in any tokenizer we
/// count with, so a text longer than `budget * MAX_CHARS_PER_TOKEN` characters cannot fit and is
/// not counted (counting a 5-million-character book costs seconds).
const MAX_CHARS_PER_TOKEN: usize = 8;

/// Puts every message's files into it (text into `content`, images into `images` or a note).
/// `available`: tokens the history may use.
pub(super) fn expand(
    messages: &mut [ChatMessage],
    provider: &dyn ChatProvider,
    model: &str,
    vision: bool,
    available: usize,
) {
    let newest = messages.iter().rposition(|m| m.role == Role::User);
    for (i, message) in messages.iter_mut().enumerate() {
        if message.files.is_empty() {
            continue;
        }
        let share = if Some(i) == newest { available / 2 } else { available / 8 };
        let files = std::mem::take(&mut message.files);
        let mut notes = Vec::new();
        let mut texts = Vec::new();
        for AttachedFile { name, content } in files {
            match content {
                FileContent::Image(image) if vision => message.images.push(image),
                FileContent::Image(_) => notes.push(format!(
                    "[The user attached the image \"{}\", but the model answering ({model}) cannot see images, so \
                     it was not sent. If the question is about the image, say that you cannot see it and that \
                     a model that supports images can.]",
                    quoted(&name)
                )),
                FileContent::Text(text) => texts.push((name, text)),
            }
        }
        let mut parts = Vec::new();
        if !texts.is_empty() {
            parts.push(file_text(&texts, &message.content, share, provider, model));
        }
        parts.extend(notes);
        parts.push(std::mem::take(&mut message.content));
        message.content = parts.join("\n\n");
    }
}

/// The files whole when they fit in `share` tokens, else the passages that fit.
fn file_text(
    texts: &[(String, std::sync::Arc<str>)],
    question: &str,
    share: usize,
    provider: &dyn ChatProvider,
    model: &str,
) -> String {
    let whole = texts.iter().map(|(name, text)| block(name, None, text)).collect::<Vec<_>>().join("\n\n");
    let count = |text: &str| provider.count_tokens(model, &[ChatMessage::new(Role::User, text)]);
    if whole.chars().count() <= share.saturating_mul(MAX_CHARS_PER_TOKEN) && count(&whole) <= share {
        return whole;
    }
    excerpts(texts, question, share, &count)
}

/// The passages of the files most relevant to `question` that fit in `share` tokens.
fn excerpts(
    texts: &[(String, std::sync::Arc<str>)],
    question: &str,
    share: usize,
    count: &dyn Fn(&str) -> usize,
) -> String {
    let config = ChunkConfig { max_chars: PASSAGE_CHARS, overlap_chars: 0 };
    // (file, passage index, text) for every passage of every file, in order.
    let passages: Vec<(usize, usize, String)> = texts
        .iter()
        .enumerate()
        .flat_map(|(f, (name, text))| {
            let doc = Document { title: name.clone(), url: String::new(), blocks: text_to_blocks(text) };
            chunk(&doc, &config).into_iter().map(move |c| (f, c.index, c.text))
        })
        .collect();
    let ranked = bm25_rank(passages.iter().map(|p| p.2.as_str()), question);
    // The best matches first, then the files from their beginnings.
    let order = ranked.iter().copied().chain((0..passages.len()).filter(|i| !ranked.contains(i)));
    let (mut chosen, mut used) = (Vec::new(), 0);
    for i in order {
        let tokens = count(&passages[i].2);
        if used + tokens > share {
            continue;
        }
        used += tokens;
        chosen.push(i);
    }
    chosen.sort_unstable();
    let mut out = Vec::new();
    for (f, (name, _)) in texts.iter().enumerate() {
        let mut body = String::new();
        let mut next = 0;
        for &i in chosen.iter().filter(|&&i| passages[i].0 == f) {
            let (_, index, text) = &passages[i];
            if *index != next {
                body.push_str("[…]\n\n");
            }
            body.push_str(text);
            body.push_str("\n\n");
            next = index + 1;
        }
        let total = passages.iter().filter(|p| p.0 == f).count();
        if next != total {
            body.push_str("[…]");
        }
        let note = "too long to include whole: the passages most relevant to the question, in order";
        out.push(block(name, Some(note), body.trim_end()));
    }
    out.join("\n\n")
}

/// The passages that share a word with `query`, best first, by Okapi BM25 (k1 1.2, b 0.75; words
/// are lower-cased runs of letters and digits). The bm25 crate would do this, but it depends on
/// an unmaintained hasher that `cargo deny` refuses; a passage ranking needs only this much.
fn bm25_rank<'a>(passages: impl Iterator<Item = &'a str>, query: &str) -> Vec<usize> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
    };
    let mut terms = words(query);
    terms.sort_unstable();
    terms.dedup();
    let counts: Vec<(usize, HashMap<&str, usize>)> = passages
        .map(|p| {
            let ws = words(p);
            let mut tf = HashMap::new();
            for t in &terms {
                let n = ws.iter().filter(|w| *w == t).count();
                if n > 0 {
                    tf.insert(t.as_str(), n);
                }
            }
            (ws.len(), tf)
        })
        .collect();
    let n = counts.len() as f64;
    let avg = counts.iter().map(|(len, _)| *len as f64).sum::<f64>() / n.max(1.0);
    let idf: HashMap<&str, f64> = terms
        .iter()
        .map(|t| {
            let df = counts.iter().filter(|(_, tf)| tf.contains_key(t.as_str())).count() as f64;
            (t.as_str(), ((n - df + 0.5) / (df + 0.5) + 1.0).ln())
        })
        .collect();
    let mut scored: Vec<(usize, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, (_, tf))| !tf.is_empty())
        .map(|(i, (len, tf))| {
            let norm = K1 * (1.0 - B + B * *len as f64 / avg.max(1.0));
            let score = tf.iter().map(|(t, &f)| idf[t] * f as f64 * (K1 + 1.0) / (f as f64 + norm)).sum::<f64>();
            (i, score)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.into_iter().map(|(i, _)| i).collect()
}

fn block(name: &str, note: Option<&str>, text: &str) -> String {
    let note = note.map(|n| format!(" note=\"{n}\"")).unwrap_or_default();
    format!("<file name=\"{}\"{note}>\n{text}\n</file>", quoted(name))
}

/// A file name fit to stand between double quotes.
fn quoted(name: &str) -> String {
    name.replace('"', "'")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::providers::{ChatRequest, ChatStream, Image, ModelInfo, ProviderError};

    /// One token per word.
    struct Words;

    #[async_trait::async_trait]
    impl ChatProvider for Words {
        fn name(&self) -> &str {
            "test"
        }
        async fn models(&self) -> Vec<ModelInfo> {
            vec![]
        }
        async fn stream_chat(&self, _: ChatRequest) -> Result<ChatStream, ProviderError> {
            Err(ProviderError::Failed("unused".into()))
        }
        fn count_tokens(&self, _: &str, m: &[ChatMessage]) -> usize {
            m.iter().map(|m| m.content.split_whitespace().count()).sum()
        }
    }

    fn with_files(content: &str, files: Vec<AttachedFile>) -> ChatMessage {
        let mut m = ChatMessage::new(Role::User, content);
        m.files = files;
        m
    }

    fn text_file(name: &str, text: &str) -> AttachedFile {
        AttachedFile { name: name.into(), content: FileContent::Text(Arc::from(text)) }
    }

    fn image() -> AttachedFile {
        let image = Image { media_type: "image/png".into(), data: Arc::from(&b"\x89PNG"[..]) };
        AttachedFile { name: "chart.png".into(), content: FileContent::Image(image) }
    }

    #[test]
    fn a_file_that_fits_goes_in_whole_before_the_question() {
        let mut messages = vec![with_files("What is the total?", vec![text_file("bill \"May\".txt", "Total: 42 EUR")])];
        expand(&mut messages, &Words, "m", false, 1000);
        assert_eq!(messages[0].content, "<file name=\"bill 'May'.txt\">\nTotal: 42 EUR\n</file>\n\nWhat is the total?");
        assert!(messages[0].files.is_empty());
    }

    #[test]
    fn a_file_too_long_gives_the_passages_about_the_question_in_order() {
        let filler = |topic: &str| format!("{topic} ").repeat(150);
        let sections: Vec<String> = (0..40)
            .map(|i| {
                if i == 31 {
                    "The secret launch code is tangerine.".to_string()
                } else {
                    filler(&format!("chapter{i}"))
                }
            })
            .collect();
        let book = sections.join("\n\n");
        let mut messages = vec![with_files("What is the launch code?", vec![text_file("book.txt", &book)])];
        expand(&mut messages, &Words, "m", false, 800);
        let content = &messages[0].content;
        assert!(content.contains("tangerine"), "{content}");
        assert!(content.contains("note=\"too long to include whole"), "{content}");
        assert!(content.contains("[…]"));
        let words = Words.count_tokens("m", &messages);
        assert!(words <= 400 + 40, "the passages fit in half of what is available: {words} words");
        // The beginning fills what is left, before the matching passage.
        let (start, found) = (content.find("chapter0").unwrap(), content.find("tangerine").unwrap());
        assert!(start < found);
    }

    #[test]
    fn bm25_ranks_rare_matching_words_first_and_leaves_out_passages_without_any() {
        let passages = ["the cat sat", "the dog and the cat", "a tangerine code", "nothing here"];
        assert_eq!(bm25_rank(passages.into_iter(), "Tangerine cat?"), [2, 0, 1]);
        assert!(bm25_rank(passages.into_iter(), "zebra").is_empty());
    }

    #[test]
    fn images_go_to_vision_models_and_others_get_a_note() {
        let mut seen = vec![with_files("What does it show?", vec![image()])];
        expand(&mut seen, &Words, "m", true, 1000);
        assert_eq!(seen[0].images.len(), 1);
        assert_eq!(seen[0].content, "What does it show?");

        let mut blind = vec![with_files("What does it show?", vec![image()])];
        expand(&mut blind, &Words, "small-model", false, 1000);
        assert!(blind[0].images.is_empty());
        assert!(blind[0].content.contains("\"chart.png\""), "{}", blind[0].content);
        assert!(blind[0].content.contains("small-model) cannot see images"), "{}", blind[0].content);
    }

    #[test]
    fn older_messages_get_a_smaller_share() {
        let text = "word ".repeat(200);
        let mut messages = vec![
            with_files("first", vec![text_file("a.txt", &text)]),
            ChatMessage::new(Role::Assistant, "ok"),
            with_files("second", vec![text_file("b.txt", &text)]),
        ];
        expand(&mut messages, &Words, "m", false, 1000);
        assert!(messages[0].content.contains("too long to include whole"), "1000 / 8 < 200 words");
        assert!(!messages[2].content.contains("too long to include whole"), "1000 / 2 > 200 words");
    }
}
