//! Scoring one grounded answer against its question's expected facts, automatically:
//! - **right**: every expected fact appears, no forbidden text appears, and every number in the
//!   answer is one the answering document (or the question) contains;
//! - **cited right**: the answer cites at least one source, and every source it cites is from the
//!   answering document;
//! - **said unknown** (questions the documents do not answer): it says the documents do not say,
//!   and states no number that is not in the question.
//!
//! Shared by the `grounded` bench and its tests (`server/tests/eval_scoring.rs`).

use serde::Deserialize;

/// One question of `questions.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: String,
    pub question: String,
    /// The file that answers it; None when no document does.
    pub doc: Option<String>,
    /// The heading the answer sits under.
    #[serde(default)]
    pub section: Option<String>,
    /// Each inner list must match, by any one of its alternatives (case-insensitive).
    #[serde(default)]
    pub facts: Vec<Vec<String>>,
    /// Texts a right answer does not contain (the tempting wrong numbers).
    #[serde(default)]
    pub forbid: Vec<String>,
    /// From `questions-held-out.json`: never looked at while choosing how answers are made
    /// (set when the file is read, not written in it).
    #[serde(skip)]
    pub held_out: bool,
}

/// Both question sets in `dir`: `questions.json` (the tuning set), then `questions-held-out.json`
/// with each of its questions marked `held_out`.
pub fn load_questions(dir: &std::path::Path) -> anyhow::Result<Vec<Question>> {
    let read = |file: &str| -> anyhow::Result<Vec<Question>> {
        Ok(serde_json::from_str(&std::fs::read_to_string(dir.join(file))?)?)
    };
    let mut questions = read("questions.json")?;
    let mut held_out = read("questions-held-out.json")?;
    held_out.iter_mut().for_each(|q| q.held_out = true);
    questions.append(&mut held_out);
    Ok(questions)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// The question has an answer in the documents.
    pub answerable: bool,
    pub right: bool,
    /// None for a question the documents do not answer.
    pub cited_right: Option<bool>,
    pub said_unknown: bool,
    /// What was wrong, for the report.
    pub problems: Vec<String>,
}

/// Phrases that say the sources do not hold the answer.
const UNKNOWN: &[&str] = &[
    "don't know",
    "do not know",
    "doesn't say",
    "does not say",
    "don't say",
    "do not say",
    "not mentioned",
    "does not mention",
    "doesn't mention",
    "do not mention",
    "don't mention",
    "no mention",
    "no information",
    "not provided",
    "not specified",
    "not stated",
    "does not state",
    "doesn't state",
    "do not state",
    "not contain",
    "doesn't contain",
    "don't contain",
    "not include",
    "doesn't include",
    "don't include",
    "not found in",
    "couldn't find",
    "could not find",
    "cannot find",
    "can't find",
    "unable to find",
    "not in the sources",
    "not in the documents",
    "not covered",
    "not available in",
    "no answer",
];

/// `answer` is the model's text; `cited` the document (file name) of each source it cites with
/// `[n]`, None for a number no source has; `doc_text` the answering document's text.
pub fn score(q: &Question, answer: &str, cited: &[Option<String>], doc_text: Option<&str>) -> Verdict {
    let text = normalize(&strip_citations(answer));
    let mut v = Verdict { answerable: q.doc.is_some(), ..Verdict::default() };
    v.said_unknown = UNKNOWN.iter().any(|p| text.contains(p));
    let mut allowed = numbers(&normalize(&q.question));
    if let Some(doc) = doc_text {
        allowed.extend(numbers(&normalize(doc)));
    }
    let foreign: Vec<String> =
        numbers(&text).into_iter().filter(|n| !allowed.iter().any(|a| same_number(a, n))).collect();
    if !foreign.is_empty() {
        v.problems.push(format!("numbers not in the document: {}", foreign.join(", ")));
    }
    let Some(doc) = &q.doc else {
        if !v.said_unknown {
            v.problems.push("did not say the documents do not answer it".into());
        }
        v.right = v.said_unknown && foreign.is_empty();
        return v;
    };
    let missing: Vec<&str> = q
        .facts
        .iter()
        .filter(|alts| !alts.iter().any(|a| text.contains(&normalize(a))))
        .map(|alts| alts.first().map_or("", String::as_str))
        .collect();
    if !missing.is_empty() {
        v.problems.push(format!("missing: {}", missing.join(", ")));
    }
    let forbidden: Vec<&str> =
        q.forbid.iter().filter(|f| contains_term(&text, &normalize(f))).map(String::as_str).collect();
    if !forbidden.is_empty() {
        v.problems.push(format!("contains: {}", forbidden.join(", ")));
    }
    v.right = missing.is_empty() && forbidden.is_empty() && foreign.is_empty();
    let cited_right = !cited.is_empty() && cited.iter().all(|c| c.as_deref() == Some(doc.as_str()));
    if !cited_right {
        let names: Vec<&str> = cited.iter().map(|c| c.as_deref().unwrap_or("(no such source)")).collect();
        v.problems.push(match names.is_empty() {
            true => "cites no source".into(),
            false => format!("cites {}", names.join(", ")),
        });
    }
    v.cited_right = Some(cited_right);
    v
}

/// The numbers `n` of the `[n]` (or `[n, m]`) markers in `answer`, in order, each once.
pub fn citations(answer: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inner = &rest[..close];
        let parts: Option<Vec<usize>> = inner.split(',').map(|p| p.trim().parse().ok()).collect();
        if let Some(parts) = parts {
            for n in parts {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out
}

fn strip_citations(answer: &str) -> String {
    let mut out = String::with_capacity(answer.len());
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close) if after[..close].split(',').all(|p| p.trim().parse::<usize>().is_ok()) => {
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Lower case, typographic quotes and dashes made plain, Markdown emphasis dropped, thousands
/// separators removed (`1,200` → `1200`), runs of spaces made one (line breaks are kept).
pub fn normalize(s: &str) -> String {
    let plain: String = s
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            '\u{a0}' | '\u{202f}' => ' ',
            c => c,
        })
        .filter(|c| !matches!(c, '*' | '`' | '_'))
        .flat_map(char::to_lowercase)
        .collect();
    let chars: Vec<char> = plain.chars().collect();
    let mut out = String::with_capacity(plain.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = |j: usize| chars.get(j).is_some_and(char::is_ascii_digit);
        // `1,200` but not `1, 2` or `3,14` written as a decimal (two digits after it are kept).
        if c == ','
            && i > 0
            && between_digits(i - 1)
            && (1..=3).all(|k| between_digits(i + k))
            && !between_digits(i + 4)
        {
            continue;
        }
        if c == '\n' {
            out.truncate(out.trim_end_matches(' ').len());
            out.push('\n');
        } else if c.is_whitespace() {
            if !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// The numbers in normalized text, as written (`4.2.0`, `99.95`, `14`), leaving out list markers
/// at the start of a line's text (`1. `).
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit() || (chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
        }
        // A number glued to letters (`v2`, `2fa`, `ipv6`) is a name, not a quantity.
        if chars.get(i).is_some_and(|c| c.is_alphabetic()) && !unit_suffix(&chars[i..]) {
            continue;
        }
        let line_start = chars[..start].iter().rev().take_while(|&&c| c != '\n').all(|&c| c == ' ' || c == '-');
        let marker = matches!((chars.get(i), chars.get(i + 1)), (Some('.' | ')'), Some(' ')));
        if line_start && marker {
            continue;
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

/// Units written right after a number (`15gb`, `24h`, `10ms`, `250g`, `5x`).
fn unit_suffix(rest: &[char]) -> bool {
    let word: String = rest.iter().take_while(|c| c.is_alphabetic()).collect();
    matches!(
        word.as_str(),
        "k" | "m"
            | "b"
            | "kb"
            | "mb"
            | "gb"
            | "tb"
            | "h"
            | "hr"
            | "hrs"
            | "ms"
            | "s"
            | "min"
            | "mins"
            | "g"
            | "kg"
            | "mm"
            | "cm"
            | "mah"
            | "w"
            | "x"
            | "st"
            | "nd"
            | "rd"
            | "th"
            | "am"
            | "pm"
            | "d"
    )
}

fn same_number(a: &str, b: &str) -> bool {
    a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

/// `term` occurs in `text` not as part of a longer number or word (`30` is not in `300`).
fn contains_term(text: &str, term: &str) -> bool {
    if term.is_empty() {
        return false;
    }
    text.match_indices(term).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + term.len()..].chars().next();
        let edge = |c: Option<char>, inner: Option<char>| {
            !(c.is_some_and(char::is_alphanumeric) && inner.is_some_and(char::is_alphanumeric))
        };
        edge(before, term.chars().next()) && edge(after, term.chars().next_back())
    })
}
