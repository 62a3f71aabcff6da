//! Words as the quoting compares them: lower case, without the words every question has, and
//! with their common English endings taken off ("refunds", "refunded" and "refund" are one term).

/// Words that say nothing about what is asked (articles, pronouns, auxiliaries, question words).
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "before", "being",
    "but", "by", "can", "could", "did", "do", "does", "doing", "done", "each", "for", "from", "get", "gets", "got",
    "had", "has", "have", "having", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it",
    "its", "it's", "just", "me", "more", "most", "much", "my", "need", "needs", "no", "not", "of", "off", "on", "once",
    "one", "only", "or", "other", "our", "out", "over", "please", "s", "same", "she", "should", "so", "some", "still",
    "such", "tell", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to",
    "up", "us", "use", "very", "was", "we", "were", "what", "what's", "when", "where", "which", "while", "who", "whom",
    "whose", "why", "will", "with", "would", "you", "your", "yours", "many", "long", "there's", "i'm", "i've", "don't",
    "doesn't", "can't", "let", "know", "want", "like", "way", "thing", "things",
];

/// The terms of `text`, in order (repeats kept): words and numbers, lower-cased and stemmed,
/// without stopwords. "Many" and "much" after "too" are kept: "too many requests" asks for the
/// one that is about too many of them.
pub fn terms(text: &str) -> Vec<String> {
    let mut before = String::new();
    let mut out = Vec::new();
    for w in words(text) {
        let excess = before == "too" && (w == "many" || w == "much");
        if excess || !STOPWORDS.contains(&w.as_str()) {
            out.push(stem(&w));
        }
        before = w;
    }
    out
}

/// Lower-cased words: runs of letters and digits, keeping an apostrophe inside a word and a dot
/// between digits (a version or a decimal is one term: "2.0" is not "1.0" with another "2").
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = text.chars().collect();
    let splits = |i: usize| {
        let c = chars[i];
        let in_number =
            c == '.' && i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        !(c.is_alphanumeric() || c == '\'' || c == '’' || in_number)
    };
    let mut out = Vec::new();
    let mut word = String::new();
    for i in 0..=chars.len() {
        if i == chars.len() || splits(i) {
            let w = word.trim_matches(|c| c == '\'' || c == '’').replace('’', "'").to_lowercase();
            if !w.is_empty() {
                out.push(w);
            }
            word.clear();
        } else {
            word.push(chars[i]);
        }
    }
    out.into_iter()
}

/// A light suffix stripper (plurals, -ing, -ed, -ly): enough to match a question's word with the
/// document's form of it, not a linguistic stemmer.
pub fn stem(word: &str) -> String {
    let w = word.strip_suffix("'s").unwrap_or(word);
    if w.chars().any(|c| c.is_ascii_digit()) || w.chars().count() <= 3 {
        return w.to_owned();
    }
    for (suffix, keep, min) in [
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ches", "ch", 5),
        ("shes", "sh", 5),
        ("xes", "x", 4),
        ("ing", "", 6),
        ("ied", "y", 5),
        ("ed", "", 5),
        ("ly", "", 6),
        ("s", "", 4),
    ] {
        if let Some(base) = w.strip_suffix(suffix)
            && w.len() >= min
            && !(suffix == "s" && (base.ends_with('s') || base.ends_with('u') || base.ends_with('i')))
        {
            return format!("{base}{keep}");
        }
    }
    w.to_owned()
}

/// How well a question's term matches a passage's: 1 for the same term, 0.7 when one starts with
/// the other and both are long enough to mean it ("weigh" and "weight"), else 0.
pub fn matches(question: &str, passage: &str) -> f32 {
    if question == passage {
        return 1.0;
    }
    let (short, long) = if question.len() <= passage.len() { (question, passage) } else { (passage, question) };
    if short.len() >= 4 && long.starts_with(short) && !short.chars().any(|c| c.is_ascii_digit()) { 0.7 } else { 0.0 }
}
