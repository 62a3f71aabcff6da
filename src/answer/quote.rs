//! Answers quoted from the passages: how the local models answer from knowledge bases by default
//! (`local.grounded_answers = "quote"`). A tiny model on two CPU cores reads a prompt of five
//! passages in seconds and then often changes their numbers; a quote is exact, cited, and ready as
//! soon as retrieval is.
//!
//! The passages (the best ones, and more of the same documents) are cut into sentences, list items
//! and table rows (read with their header). Each is scored by the question's terms it holds, each
//! term weighted by how rare it is among the best passages' pieces (a term the section's heading,
//! the document's title or the sentence before it holds counts half: they say what "it" or "the
//! round" is; a version or a decimal is one term; an acronym matches the words it stands for, "CTO"
//! and "chief technology officer"), by whether it has a number when the question asks for one (in
//! its text or in the heading it is quoted after; a version when it asks which release; money, a
//! percentage or "free" when it asks a price; a number that is not a year when it asks how many),
//! and by its document's retrieval rank (20% less per place). With the knowledge base's embedder at
//! hand, half of a question's score is how close the piece is to it in meaning (the question
//! compared with its acronyms spelled out), so a paraphrase finds its answer and an unrelated piece
//! that shares a word or two is not quoted. A piece written "key: value" (a table row, a list item
//! like "Enterprise: 99.95%") whose key the question names scores half as much again: the question
//! asks for that row, not for another that mentions the key among its values. A question gets the
//! best piece with its `[n]` (and the piece after it when the best one only raises the question, as
//! a FAQ's question does); a request ("Explain our refund policy") gets the relevant pieces in
//! document order. When the best piece holds too little of the question (or is unrelated to it in
//! meaning and lacks some of its words), the answer says the documents don't say.
//!
//! [`check`] is the other direction: a local model's written answer is checked for numbers the
//! passages do not have.

mod terms;
mod units;

#[cfg(test)]
mod tests;

use super::Source;
use terms::{matches, terms};
use units::{Unit, units};

/// The answer when no passage answers the question (followed by a pointer to the sources when
/// there are some).
pub const NOT_IN_DOCUMENTS: &str = "The documents don't say.";

fn not_found(sources: &[Source]) -> String {
    match sources.is_empty() {
        true => NOT_IN_DOCUMENTS.to_owned(),
        false => format!("{NOT_IN_DOCUMENTS} The closest passages I found are listed as sources."),
    }
}

// The weights below were chosen by a sweep over the grounded evaluation's questions and the
// passages retrieval gave for them (`make eval`), so its figures for quoting are in-sample.
/// A question is taken to be answered by a piece scoring at least this.
const ANSWERED: f32 = 0.3;
/// A question's term found only in a piece's section heading, title or label counts this much.
const CONTEXT: f32 = 0.5;
/// A piece without a number, for a question that asks for one (or without a version, for one
/// that asks which release), keeps this share of its score (of the words it shares with the
/// question and of its closeness in meaning alike).
const NO_NUMBER: f32 = 0.6;
/// Each place down the retrieval order costs a piece this share of its score (at most 4 places).
const RANK: f32 = 0.2;
/// With embeddings: the share of a piece's score that is its closeness in meaning to the
/// question (a cosine rescaled so that [`MEANING_FLOOR`] is 0 and 1 is 1).
const MEANING: f32 = 0.5;
/// A cosine at or below this counts as unrelated (all-MiniLM-L6-v2 puts unrelated sentences
/// about 0.1 to 0.35 apart).
const MEANING_FLOOR: f32 = 0.4;
/// With embeddings, a piece unrelated in meaning to the question (its cosine at or below
/// [`MEANING_FLOOR`]) answers it only when its words alone score this much: "Storage: 32 GB, of
/// which 26 GB is available" shares "Quillpad" and "available" with "Which colors is the Quillpad
/// available in?" and is about something else.
const WORDS_ALONE: f32 = 0.9;
/// A piece written "key: value" whose key the question names ("Severity 1", the "Plus" plan)
/// scores this much more.
const KEY_NAMED: f32 = 0.5;
/// The most pieces a request (not a question) is answered with.
const MAX_PIECES: usize = 8;

/// The answer to `question` quoted from `sources` (Markdown, citing each piece's source as `[n]`),
/// from the words pieces share with the question alone.
pub fn quote(question: &str, sources: &[Source]) -> String {
    quote_weighed(question, sources, sources, None)
}

/// What each quotable piece of `sources` says, as it is compared in meaning with the question:
/// its section's heading and label, then its text (in the order [`quote_weighed`] takes
/// similarities in).
pub fn quotable(sources: &[Source]) -> Vec<String> {
    units(sources)
        .iter()
        .map(|u| format!("{}{}", lead(u).map(|l| format!("{l}: ")).unwrap_or_default(), u.text))
        .collect()
}

/// [`quote`], with how close in meaning each of [`quotable`]'s pieces is to the question
/// (cosines of their embeddings) weighed beside the words they share, and how rare each of the
/// question's terms is measured among the pieces of `rare_among` (the best passages, of which
/// `sources` may hold more): a piece's score then does not depend on how many more were searched.
pub fn quote_weighed(question: &str, sources: &[Source], rare_among: &[Source], meaning: Option<&[f32]>) -> String {
    let q = dedup(terms(question));
    let weights = weights(question, &q, &units(rare_among));
    let units = units(sources);
    if q.is_empty() || units.is_empty() {
        return not_found(sources);
    }
    let lexical = score(question, &q, &units, &weights);
    let mut scored = lexical.clone();
    // Similarities that do not match the pieces are ignored.
    let meaning = meaning.filter(|m| m.len() == units.len());
    if let Some(meaning) = meaning {
        let asked = asked(question);
        for ((i, s), m) in scored.iter_mut().zip(meaning) {
            let u = &units[*i];
            let mut close = ((m - MEANING_FLOOR) / (1.0 - MEANING_FLOOR)).max(0.0);
            // A piece without the number asked for is no closer for being about the same thing.
            if !holds(u, asked) {
                close *= NO_NUMBER;
            }
            *s = (1.0 - MEANING) * *s + MEANING * (1.0 - RANK * u.rank.min(4) as f32) * close;
        }
    }
    // A question that names a row's key (its first cell) asks for that row.
    for (i, s) in scored.iter_mut() {
        if names_key(&q, &units[*i]) {
            *s *= 1.0 + KEY_NAMED;
        }
    }
    let best = scored.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
    if !is_question(question) {
        let mut picked: Vec<(usize, f32)> = lexical.iter().copied().filter(|&(_, s)| s > 0.0).collect();
        picked.sort_by(|a, b| b.1.total_cmp(&a.1));
        picked.truncate(MAX_PIECES);
        if picked.is_empty() {
            return not_found(sources);
        }
        picked.sort_by_key(|&(i, _)| (units[i].rank, units[i].at));
        return picked.iter().map(|&(i, _)| format!("- {}", render(&units[i]))).collect::<Vec<_>>().join("\n");
    }
    // A piece unrelated in meaning answers only with nearly all of the question's words.
    let related = |i: usize| meaning.is_none_or(|m| m[i] > MEANING_FLOOR) || lexical[i].1 >= WORDS_ALONE;
    match best {
        Some((i, s)) if s >= ANSWERED && related(i) => match units.get(i + 1).filter(|next| answers(&units[i], next)) {
            Some(next) => render(&Unit { text: format!("{} {}", units[i].text, next.text), ..units[i].clone() }),
            None => render(&units[i]),
        },
        _ => not_found(sources),
    }
}

/// Whether `next` answers what piece `u` only raises: `u` is a question ("Can I change my plan
/// later?" in a FAQ) or says that people ask ("People often ask where the name comes from."), and
/// `next` follows it in the same section of the same source.
fn answers(u: &Unit, next: &Unit) -> bool {
    let asks = ["ask", "asks", "asked", "wonder", "wonders", "question"];
    let raises = u.text.ends_with('?')
        || u.text.split_whitespace().count() <= 10
            && u.text.split(|c: char| !c.is_alphanumeric()).any(|w| asks.contains(&w.to_lowercase().as_str()));
    raises && next.n == u.n && next.heading == u.heading
}

/// A piece as quoted: after its section's heading and its label, which often hold what the
/// piece alone leaves out (a changelog's version, a list's subject), then its `[n]`.
fn render(u: &Unit) -> String {
    match lead(u) {
        None => format!("{} [{}]", u.text, u.n),
        Some(lead) => format!("{lead}: {} [{}]", u.text, u.n),
    }
}

/// What a piece is quoted after: its section's heading and its label (a long label alone).
fn lead(u: &Unit) -> Option<String> {
    let heading = u.heading.rsplit(crate::sitechat::HEADING_SEPARATOR).next().unwrap_or("");
    let lead = if u.label.split_whitespace().count() > 6 {
        u.label.clone()
    } else {
        [heading, u.label.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ")
    };
    (!lead.is_empty()).then_some(lead)
}

/// The note added to a local model's generated answer whose numbers the passages do not have
/// (the answer is kept, the user is told, and shown what the passages say instead); None when
/// every number of the answer is in the passages or the question.
pub fn check(answer: &str, question: &str, sources: &[Source]) -> Option<String> {
    let mut known = numbers(question);
    for s in sources {
        for p in s.passages() {
            known.extend(numbers(&p.text));
            known.extend(numbers(&p.heading_path));
        }
    }
    let mut seen = std::collections::HashSet::new();
    let unsupported: Vec<String> = numbers(&strip_citations(answer))
        .into_iter()
        .filter(|n| !known.contains(n) && seen.insert(n.clone()))
        .collect();
    if unsupported.is_empty() {
        return None;
    }
    let listed = unsupported.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join(", ");
    let quoted = quote(question, sources);
    Some(match quoted.starts_with(NOT_IN_DOCUMENTS) {
        true => format!("\n\n*Check this answer: the documents do not have {listed}.*"),
        false => format!("\n\n*Check this answer: the documents do not have {listed}. They say:* {quoted}"),
    })
}

/// The numbers in a text as written, without thousands separators (`1,200` and `1200` are one).
fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut n = String::new();
        while i < chars.len() {
            let c = chars[i];
            let joins = matches!(c, '.' | ',') && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if c.is_ascii_digit() || (joins && c == '.') {
                n.push(c);
            } else if !joins {
                break;
            }
            i += 1;
        }
        out.push(n);
    }
    out
}

/// The text without its `[n]` citation markers.
fn strip_citations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
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

/// The terms of each unit's text (with the acronyms of the question it spells out, and the
/// names of the currencies it writes as signs).
fn unit_terms(question: &str, units: &[Unit]) -> Vec<Vec<String>> {
    let acronyms = acronyms(question);
    units
        .iter()
        .map(|u| {
            let mut ts = terms(&u.text);
            ts.extend(spelled_out(&acronyms, &u.text));
            ts.extend(currency_names(&u.text));
            ts
        })
        .collect()
}

/// How well `t` matches the best of `ts`.
fn best_match(t: &str, ts: &[String]) -> f32 {
    ts.iter().map(|u| matches(t, u)).fold(0.0, f32::max)
}

/// Each of the question's terms `q` weighed by how rare it is among `units`' texts.
fn weights(question: &str, q: &[String], units: &[Unit]) -> Vec<f32> {
    let unit_terms = unit_terms(question, units);
    let n = units.len() as f32;
    q.iter()
        .map(|t| {
            let df = unit_terms.iter().filter(|ts| best_match(t, ts) > 0.0).count() as f32;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect()
}

/// Each unit's score: the share of the question's terms `q` it holds, each by its weight.
fn score(question: &str, q: &[String], units: &[Unit], weights: &[f32]) -> Vec<(usize, f32)> {
    let unit_terms = unit_terms(question, units);
    let context_terms: Vec<Vec<String>> =
        units.iter().map(|u| terms(&format!("{} {} {} {}", u.title, u.heading, u.label, u.before))).collect();
    let total: f32 = weights.iter().sum();
    let asked = asked(question);
    units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let held: f32 = q
                .iter()
                .zip(weights)
                .map(|(t, w)| w * best_match(t, &unit_terms[i]).max(CONTEXT * best_match(t, &context_terms[i])))
                .sum();
            let mut s = held / total;
            if !holds(u, asked) {
                s *= NO_NUMBER;
            }
            (i, s * (1.0 - RANK * u.rank.min(4) as f32))
        })
        .collect()
}

/// The acronyms a question uses ("CTO", "EU"), lower-cased as they are among its terms.
fn acronyms(question: &str) -> Vec<String> {
    question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| (2..=5).contains(&w.len()) && w.chars().all(|c| c.is_ascii_uppercase()))
        .map(str::to_lowercase)
        .collect()
}

/// Which of `acronyms` `text` spells out, as consecutive words with those initials ("chief
/// technology officer" for "cto"). A two-letter one needs capitalised words ("European Union"):
/// "each user" is not the EU.
fn spelled_out(acronyms: &[String], text: &str) -> Vec<String> {
    spellings(acronyms, text).into_iter().map(|(a, _)| a).collect()
}

/// Each of `acronyms` that `text` spells out, with the words that spell it (as written).
fn spellings(acronyms: &[String], text: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    acronyms
        .iter()
        .filter_map(|a| {
            let k = a.len();
            let ws = words.windows(k).find(|ws| {
                ws.iter().zip(a.chars()).all(|(w, c)| {
                    let first = w.chars().next().unwrap_or(' ');
                    first.to_ascii_lowercase() == c && (k > 2 || first.is_uppercase())
                })
            })?;
            Some((a.clone(), ws.join(" ")))
        })
        .collect()
}

/// The question as its meaning is compared with the pieces': each acronym it uses that a piece
/// spells out is followed by those words ("the current CTO (chief technology officer)"), which
/// an embedder that does not know the acronym would miss.
pub fn for_meaning(question: &str, sources: &[Source]) -> String {
    let acronyms = acronyms(question);
    if acronyms.is_empty() {
        return question.to_owned();
    }
    let mut spelled: Vec<(String, String)> = Vec::new();
    for u in units(sources) {
        for (a, words) in spellings(&acronyms, &u.text) {
            if !spelled.iter().any(|(b, _)| *b == a) {
                spelled.push((a, words));
            }
        }
    }
    question
        .split_inclusive(|c: char| !c.is_alphanumeric())
        .map(|part| {
            let word = part.trim_end_matches(|c: char| !c.is_alphanumeric());
            let upper = word.chars().all(|c| c.is_ascii_uppercase());
            match spelled.iter().find(|(a, _)| upper && word.to_lowercase() == *a) {
                Some((_, words)) => format!("{word} ({words}){}", &part[word.len()..]),
                None => part.to_owned(),
            }
        })
        .collect()
}

/// Whether every term of the piece's key is among the question's terms `q`, as it is: a word
/// that only begins like one of them ("charge", "charging") does not name the key.
fn names_key(q: &[String], u: &Unit) -> bool {
    let key = u.key().map(terms).unwrap_or_default();
    !key.is_empty() && key.iter().all(|k| q.contains(k))
}

fn dedup(mut terms: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    terms
}

/// A question (answered with one piece), not a request to explain or list (answered with several).
fn is_question(text: &str) -> bool {
    let t = text.trim();
    let first = t.split_whitespace().next().unwrap_or("").to_lowercase();
    t.ends_with('?')
        || [
            "what", "what's", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "do",
            "does", "did", "can", "could", "will", "would", "should", "may", "was", "were", "has", "have",
        ]
        .contains(&first.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''))
}

/// Words that ask for an amount, a date, a time or a version.
const NUMBER_WORDS: &[&str] = &[
    "hours", "days", "minutes", "weeks", "months", "years", "price", "cost", "fee", "weigh", "size", "version",
    "release", "date", "year", "percent", "rate", "limit", "maximum", "minimum", "smallest", "largest", "biggest",
    "number", "credit", "uptime", "amount", "total", "big", "fast", "often", "soon", "far", "long",
];

/// Whether a piece as quoted has a number: in its text, or in the heading and label it is quoted
/// after (a changelog's items are under their version and date), not counting a section's own
/// number ("4. RESPONSE-TIME TARGETS").
fn has_number(u: &Unit) -> bool {
    quoted_without_section_number(u).chars().any(|c| c.is_ascii_digit())
}

/// Whether a piece as quoted has a version (or another dotted number: "4.2.0", "22.04"), in its
/// text or in the heading and label it is quoted after ("4.2.0 — 2026-02-17"), not counting a
/// section's own number.
fn has_version(u: &Unit) -> bool {
    terms(&quoted_without_section_number(u)).iter().any(|t| t.contains('.') && t.chars().any(|c| c.is_ascii_digit()))
}

/// A piece's text after its heading and label as quoted, without a section's own number
/// ("4. RESPONSE-TIME TARGETS").
fn quoted_without_section_number(u: &Unit) -> String {
    let lead = lead(u).unwrap_or_default();
    let lead = match lead.split_once(". ") {
        Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.') => rest,
        _ => &lead,
    };
    format!("{lead} {}", u.text)
}

/// What kind of answer a question asks for, as far as numbers go.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Asked {
    /// Anything.
    Anything,
    /// An amount, a date, a time.
    Number,
    /// A release: "In which release did …", "What version …".
    Version,
    /// An amount in one currency ("How much is it in euros?"), by its sign.
    Money(char),
    /// A price ("How much is …", "What does … cost?"): an amount in any currency, a percentage
    /// (a fee may be one), or "free".
    Price,
    /// A count ("How many people …"): a number that is not a year.
    Count,
    /// A phone number: seven digits or more in one run of digits, spaces, dashes, dots,
    /// brackets and a leading plus.
    Phone,
    /// An email address: a word, "@", and a dotted domain.
    Email,
}

/// What `question` asks for.
fn asked(question: &str) -> Asked {
    let q = question.to_lowercase();
    let version = ["which release", "what release", "which version", "what version", "which update"];
    // "phone" alone is often the device ("the notes on my phone").
    let phone = ["phone number", "telephone", "hotline", "number to call", "number do i call"];
    if phone.iter().any(|p| q.contains(p)) {
        Asked::Phone
    } else if ["email address", "e-mail address"].iter().any(|p| q.contains(p)) {
        Asked::Email
    } else if version.iter().any(|p| q.contains(p)) {
        Asked::Version
    } else if let Some(sign) = currency(question).filter(|_| wants_number(question)) {
        Asked::Money(sign)
    } else if asks_price(&q) {
        Asked::Price
    } else if q.contains("how many") || q.contains("number of") {
        Asked::Count
    } else if wants_number(question) {
        Asked::Number
    } else {
        Asked::Anything
    }
}

/// Whether piece `u` holds the kind of number asked for.
fn holds(u: &Unit, asked: Asked) -> bool {
    match asked {
        Asked::Anything => true,
        Asked::Number => has_number(u),
        Asked::Version => has_version(u),
        Asked::Money(sign) => has_number(u) && names_currency(&quoted_without_section_number(u), sign),
        Asked::Count => numbers(&quoted_without_section_number(u)).iter().any(|n| !is_year(n)),
        Asked::Phone => has_phone_number(&u.text),
        Asked::Email => has_email_address(&u.text),
        Asked::Price => {
            let quoted = quoted_without_section_number(u);
            let money = CURRENCIES.iter().any(|(sign, _)| names_currency(&quoted, *sign));
            (money || quoted.contains('%')) && has_number(u) || terms(&quoted).iter().any(|t| t == "free")
        }
    }
}

/// Whether `text` has a phone number: seven digits or more in one run of digits and the signs
/// phone numbers are written with ("+1 (416) 555-0199", "020 7946 0018"). A date or a price
/// has fewer digits, or other signs between them.
fn has_phone_number(text: &str) -> bool {
    let mut run = String::new();
    for c in text.chars().chain(['\n']) {
        match c {
            '0'..='9' => run.push(c),
            ' ' | '-' | '.' | '(' | ')' | '+' if !run.is_empty() || matches!(c, '+' | '(') => run.push(c),
            _ => {
                let digits = run.chars().filter(char::is_ascii_digit).count();
                if digits >= 7 && !is_date(run.trim_matches(|c: char| !c.is_ascii_digit())) {
                    return true;
                }
                run.clear();
            }
        }
    }
    false
}

/// Whether `s` is an ISO date ("2026-03-14").
fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && [4, 2, 2].iter().zip(&parts).all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_digit()))
}

/// Whether `text` has an email address: letters, "@", and a domain with a dot in it.
fn has_email_address(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | ',' | ';')).any(|w| {
        let w = w.trim_end_matches(['.', ':']);
        w.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
    })
}

/// Whether a number as [`numbers`] writes it is a year (1900 to 2099).
fn is_year(n: &str) -> bool {
    n.len() == 4 && n.parse::<u32>().is_ok_and(|y| (1900..2100).contains(&y))
}

/// Whether a lower-cased question asks what something costs: it says "price", "cost", "fee" or
/// "pay", or "how much is" ("how much storage" asks for an amount of something else).
fn asks_price(q: &str) -> bool {
    let words = ["price", "prices", "priced", "cost", "costs", "fee", "fees", "pay", "paid"];
    q.split(|c: char| !c.is_alphanumeric()).any(|w| words.contains(&w))
        || ["how much is", "how much are"].iter().any(|p| q.contains(p))
}

/// Currencies: a sign and the words that name it. An amount in another currency is not the one
/// asked for: "the Quillpad costs $449" does not say what it costs in euros.
const CURRENCIES: &[(char, &[&str])] = &[
    ('€', &["euro", "euros", "eur"]),
    ('$', &["dollar", "dollars", "usd"]),
    ('£', &["sterling", "gbp"]),
    ('¥', &["yen", "jpy"]),
];

/// Whether `text` names the currency of `sign`: the sign, or one of its words as a word
/// ("European" is not the euro).
fn names_currency(text: &str, sign: char) -> bool {
    let words = CURRENCIES.iter().find(|(s, _)| *s == sign).map(|(_, ws)| *ws).unwrap_or_default();
    text.contains(sign)
        || text.split(|c: char| !c.is_alphanumeric()).any(|w| words.contains(&w.to_lowercase().as_str()))
}

/// The names of the currencies whose signs `text` has, as terms ("$449" is in dollars).
fn currency_names(text: &str) -> Vec<String> {
    CURRENCIES.iter().filter(|(s, _)| text.contains(*s)).flat_map(|(_, ws)| ws.iter().flat_map(|w| terms(w))).collect()
}

/// The currency a question names, by its sign.
fn currency(question: &str) -> Option<char> {
    CURRENCIES.iter().map(|(s, _)| *s).find(|s| names_currency(question, *s))
}

/// Whether the question asks for an amount, a date, a time or a version.
fn wants_number(question: &str) -> bool {
    let q = question.to_lowercase();
    if q.split(|c: char| !c.is_alphanumeric()).any(|w| NUMBER_WORDS.contains(&w)) {
        return true;
    }
    [
        "how much",
        "how many",
        "how long",
        "how big",
        "how fast",
        "how often",
        "how soon",
        "how far",
        "how old",
        "how large",
        "how heavy",
        "what year",
        "which year",
        "what date",
        "which version",
        "what version",
        "what percentage",
        "when ",
        "what time",
        "which release",
        "what price",
        "cost",
    ]
    .iter()
    .any(|p| q.contains(p))
}
