//! The fakes' embedding: a hashed bag of words. Deterministic, instant, and it carries some meaning.
//!
//! Each lower-cased word (a run of letters and digits) other than a few English stop words adds ±1
//! to one of `dims` buckets, chosen by a stable hash of the word (feature hashing); the sign comes
//! from the same hash, so unrelated words that share a bucket tend to cancel rather than pile up.
//! The vector is then scaled to length 1. So:
//!
//! - the same text always gives the same vector, on every machine and Rust version (FNV-1a, not
//!   std's randomly seeded hasher);
//! - texts sharing words are close (cosine near the share of common words), texts sharing none are
//!   near 0 — what retrieval tests need to rank a matching chunk first;
//! - word order, stemming and synonyms mean nothing: "reset password" matches "password reset" but
//!   not "resetting passwords" or "change credentials". Write test texts accordingly.
//!
//! A text made only of stop words keeps them; one with no word at all (punctuation) hashes whole.

/// Dropped unless nothing else is left: they would make every English sentence look alike.
const STOP_WORDS: [&str; 32] = [
    "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "how", "i", "in", "is", "it", "my",
    "of", "on", "or", "that", "the", "this", "to", "was", "what", "where", "which", "who", "with", "you",
];

/// The unit-length hashed bag of words of `text`, `dims` long (empty if `dims` is 0).
pub fn hashed_bag(text: &str, dims: usize) -> Vec<f32> {
    let mut vector = vec![0.0f32; dims];
    if dims == 0 {
        return vector;
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let content: Vec<&str> = words.iter().copied().filter(|w| !STOP_WORDS.contains(w)).collect();
    let trimmed = lower.trim();
    let features: Vec<&str> = match (content.is_empty(), words.is_empty()) {
        (false, _) => content,
        (true, false) => words,
        (true, true) => vec![trimmed],
    };
    for feature in features {
        let hash = fnv1a(feature.as_bytes());
        // The low bits pick the bucket, the top bit the sign: independent enough for a fake.
        let bucket = usize::try_from(hash % dims as u64).unwrap_or(0);
        vector[bucket] += if hash >> 63 == 0 { 1.0 } else { -1.0 };
    }
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    } else {
        // Every feature cancelled out (or the text was empty): any fixed unit vector will do.
        vector[0] = 1.0;
    }
    vector
}

/// 64-bit FNV-1a: tiny, stable, and good enough to spread words over buckets.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

/// An embedder of `hashed_bag` vectors (64 dimensions, model id `bag`): texts sharing words rank
/// close, with no model to load (engine tests that search a knowledge base).
pub struct BagEmbedder;

#[async_trait::async_trait]
impl crate::embed::Embedder for BagEmbedder {
    fn model_id(&self) -> &str {
        "bag"
    }
    fn dims(&self) -> usize {
        64
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, crate::embed::EmbedError> {
        Ok(texts.iter().map(|t| hashed_bag(t, 64)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn the_same_text_always_gives_the_same_unit_vector() {
        let a = hashed_bag("How do I reset my password?", 256);
        assert_eq!(a, hashed_bag("How do I reset my password?", 256));
        assert!((dot(&a, &a) - 1.0).abs() < 1e-5);
        // Pinned so a change of hash (which would silently change every fake's vectors) fails here.
        assert_eq!(fnv1a(b"password"), 0x4b1a_4935_07b3_a318, "FNV-1a of `password`");
    }

    #[test]
    fn texts_sharing_words_are_closer_than_unrelated_ones() {
        let query = hashed_bag("How do I reset my password?", 512);
        let answer = hashed_bag("To reset your password, open the account settings.", 512);
        let unrelated = hashed_bag("Bananas grow in tropical climates.", 512);
        assert!(dot(&query, &answer) > 0.4, "{}", dot(&query, &answer));
        assert!(dot(&query, &answer) > dot(&query, &unrelated) + 0.3);
    }

    #[test]
    fn case_and_punctuation_do_not_matter_but_words_do() {
        assert_eq!(hashed_bag("Reset PASSWORD!", 64), hashed_bag("reset password", 64));
        assert_ne!(hashed_bag("reset password", 64), hashed_bag("reset username", 64));
    }

    #[test]
    fn texts_without_content_words_still_get_a_unit_vector() {
        for text in ["the", "?!", ""] {
            let v = hashed_bag(text, 16);
            assert!((dot(&v, &v) - 1.0).abs() < 1e-5, "{text:?}");
        }
        assert!(hashed_bag("anything", 0).is_empty());
    }
}
