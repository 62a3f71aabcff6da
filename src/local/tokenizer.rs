//! Byte-level BPE tokenizer built from GGUF metadata (SmolLM2, GPT-2 family).
//!
//! candle's `TokenizerFromGguf` prepends a space to the input, which SmolLM2's GGUF forbids
//! (`tokenizer.ggml.add_space_prefix = false`): the model then sees `Ġuser` where it was trained on
//! `user`. So we build the tokenizer ourselves from `tokenizer.ggml.tokens` and `.merges`.
//!
//! Pre-tokenization follows llama.cpp's `smollm` pre-tokenizer (the same as the Hugging Face
//! `tokenizer.json`): every digit on its own, then the GPT-2 regex.

use std::collections::HashMap;

use anyhow::{Context, bail};
use candle_core::quantized::gguf_file::Value;
use fancy_regex::Regex;

/// The GPT-2 split regex. `\s+(?!\S)` needs look-ahead, hence fancy-regex.
const GPT2_PATTERN: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// GGUF token type of control tokens (`<|im_start|>` and friends).
const TOKEN_TYPE_CONTROL: i32 = 3;

#[derive(Debug)]
pub struct Tokenizer {
    /// Token id -> raw bytes it stands for (special tokens: their text).
    id_to_bytes: Vec<Vec<u8>>,
    /// Byte -> id of the single-byte token, for the start of BPE. SmolLM2's vocabulary lacks a few
    /// control bytes (0x04, ...); those are `None`.
    byte_to_id: [Option<u32>; 256],
    /// (left, right) -> (merge rank, merged id).
    merges: HashMap<(u32, u32), (u32, u32)>,
    /// Control tokens, matched verbatim in input text, longest first.
    specials: Vec<(String, u32)>,
    split: Regex,
    pub bos_id: Option<u32>,
    pub eos_id: Option<u32>,
}

impl Tokenizer {
    /// Builds the tokenizer from a GGUF file's metadata. Fails on anything but a `gpt2` tokenizer.
    pub fn from_gguf_metadata(md: &HashMap<String, Value>) -> anyhow::Result<Self> {
        let model = md.get("tokenizer.ggml.model").and_then(|v| v.to_string().ok());
        if model.map(String::as_str) != Some("gpt2") {
            bail!("unsupported tokenizer {model:?}: only byte-level BPE (gpt2) GGUF tokenizers are supported");
        }
        let tokens = string_array(md, "tokenizer.ggml.tokens")?;
        let merges = string_array(md, "tokenizer.ggml.merges")?;
        let types: Vec<i32> = match md.get("tokenizer.ggml.token_type") {
            Some(v) => v.to_vec()?.iter().map(|t| t.to_i32().unwrap_or(1)).collect(),
            None => Vec::new(),
        };
        let u32_of = |key: &str| md.get(key).and_then(|v| v.to_u32().ok());

        let unicode_to_byte = unicode_to_byte_map();
        let mut id_to_bytes = Vec::with_capacity(tokens.len());
        let mut vocab: HashMap<&str, u32> = HashMap::with_capacity(tokens.len());
        let mut specials = Vec::new();
        for (id, tok) in tokens.iter().enumerate() {
            let id = u32::try_from(id).context("vocabulary too large")?;
            vocab.insert(tok.as_str(), id);
            if types.get(id as usize) == Some(&TOKEN_TYPE_CONTROL) {
                specials.push(((*tok).clone(), id));
                id_to_bytes.push(tok.as_bytes().to_vec());
            } else {
                // Chars outside the byte-level alphabet should not occur; keep their UTF-8 so
                // decoding still shows something rather than failing.
                let mut bytes = Vec::with_capacity(tok.len());
                for c in tok.chars() {
                    match unicode_to_byte.get(&c) {
                        Some(b) => bytes.push(*b),
                        None => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    }
                }
                id_to_bytes.push(bytes);
            }
        }
        specials.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));

        let byte_to_unicode = byte_to_unicode_map();
        let mut byte_to_id = [None; 256];
        for (b, c) in byte_to_unicode.iter().enumerate() {
            byte_to_id[b] = vocab.get(c.encode_utf8(&mut [0; 4]) as &str).copied();
        }
        if byte_to_id.iter().filter(|id| id.is_some()).count() < 128 {
            bail!("the vocabulary lacks most single-byte tokens: not a byte-level BPE vocabulary");
        }

        let mut merge_map = HashMap::with_capacity(merges.len());
        for (rank, m) in merges.iter().enumerate() {
            let (l, r) = m.split_once(' ').with_context(|| format!("malformed merge {m:?}"))?;
            let merged = format!("{l}{r}");
            let (Some(&l), Some(&r), Some(&id)) = (vocab.get(l), vocab.get(r), vocab.get(merged.as_str())) else {
                bail!("merge {m:?} names tokens missing from the vocabulary");
            };
            // First occurrence wins, as in the reference implementations.
            merge_map.entry((l, r)).or_insert((rank as u32, id));
        }

        Ok(Self {
            id_to_bytes,
            byte_to_id,
            merges: merge_map,
            specials,
            split: Regex::new(GPT2_PATTERN).context("pre-tokenizer regex")?,
            bos_id: u32_of("tokenizer.ggml.bos_token_id"),
            eos_id: u32_of("tokenizer.ggml.eos_token_id"),
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.id_to_bytes.len()
    }

    /// The id of a control token such as `<|im_end|>`.
    pub fn special_id(&self, text: &str) -> Option<u32> {
        self.specials.iter().find(|(s, _)| s == text).map(|(_, id)| *id)
    }

    /// Encodes `text`; control tokens written in the text become their single ids.
    pub fn encode(&self, text: &str) -> anyhow::Result<Vec<u32>> {
        let mut ids = Vec::with_capacity(text.len() / 3 + 1);
        let mut rest = text;
        while !rest.is_empty() {
            match self.next_special(rest) {
                Some((start, len, id)) => {
                    self.encode_plain(&rest[..start], &mut ids)?;
                    ids.push(id);
                    rest = &rest[start + len..];
                }
                None => {
                    self.encode_plain(rest, &mut ids)?;
                    break;
                }
            }
        }
        Ok(ids)
    }

    /// Decodes ids to text, replacing invalid UTF-8 (a cut multi-byte char) with U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for id in ids {
            bytes.extend_from_slice(self.token_bytes(*id));
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The raw bytes of a token; unknown ids decode to nothing rather than panic.
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.id_to_bytes.get(id as usize).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Earliest control token in `text`: (byte offset, byte length, id).
    fn next_special(&self, text: &str) -> Option<(usize, usize, u32)> {
        // Every control token of this family starts with '<'; scanning for it first keeps this cheap.
        let mut from = 0;
        while let Some(pos) = text[from..].find('<') {
            let at = from + pos;
            if let Some((s, id)) = self.specials.iter().find(|(s, _)| text[at..].starts_with(s.as_str())) {
                return Some((at, s.len(), *id));
            }
            from = at + 1;
        }
        // Control tokens that do not start with '<' (none in SmolLM2, but GGUFs vary).
        self.specials
            .iter()
            .filter(|(s, _)| !s.starts_with('<') && !s.is_empty())
            .filter_map(|(s, id)| text.find(s.as_str()).map(|at| (at, s.len(), *id)))
            .min_by_key(|(at, _, _)| *at)
    }

    /// Encodes `text` as plain text (control-token text stays text), appending to `out`.
    pub fn encode_plain(&self, text: &str, out: &mut Vec<u32>) -> anyhow::Result<()> {
        // Digits are split off one by one before the GPT-2 regex runs on the text between them.
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if c.is_numeric() {
                self.encode_chunk(&text[start..i], out)?;
                self.bpe(c.encode_utf8(&mut [0; 4]).as_bytes(), out);
                start = i + c.len_utf8();
            }
        }
        self.encode_chunk(&text[start..], out)
    }

    fn encode_chunk(&self, chunk: &str, out: &mut Vec<u32>) -> anyhow::Result<()> {
        for piece in self.split.find_iter(chunk) {
            let piece = piece.context("pre-tokenizer regex failed")?;
            self.bpe(piece.as_str().as_bytes(), out);
        }
        Ok(())
    }

    /// Classic rank-ordered BPE on one pre-token: merge the lowest-ranked adjacent pair until none
    /// is left. Quadratic in the piece length, and pieces are words, so that is fine.
    ///
    /// Bytes without a token are dropped, as the Hugging Face tokenizer (no `unk_token`) does: they
    /// are control characters no text the model saw contained.
    fn bpe(&self, piece: &[u8], out: &mut Vec<u32>) {
        let mut parts: Vec<u32> = piece.iter().filter_map(|b| self.byte_to_id[*b as usize]).collect();
        loop {
            let best = parts
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| self.merges.get(&(w[0], w[1])).map(|(rank, id)| (*rank, i, *id)))
                .min_by_key(|(rank, i, _)| (*rank, *i));
            let Some((_, i, id)) = best else { break };
            parts[i] = id;
            parts.remove(i + 1);
        }
        out.extend_from_slice(&parts);
    }
}

/// Turns a token stream into text pieces that are always whole UTF-8: bytes of a character split
/// across tokens are held back until the character is complete.
#[derive(Debug, Default)]
pub struct IncrementalDecoder {
    pending: Vec<u8>,
}

impl IncrementalDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a token's bytes and returns the text that became complete, if any.
    pub fn push(&mut self, bytes: &[u8]) -> Option<String> {
        self.pending.extend_from_slice(bytes);
        let mut text = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    text.push_str(s);
                    self.pending.clear();
                    break;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // `from_utf8` checked this prefix; the lossy call never replaces anything here.
                    text.push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        // An incomplete char at the end: wait for the next token.
                        None => {
                            self.pending.drain(..valid);
                            break;
                        }
                        // Bytes that can never become valid: show a replacement char, go on.
                        Some(bad) => {
                            text.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
        (!text.is_empty()).then_some(text)
    }

    /// Whatever is left at the end of the stream (an unfinished char becomes U+FFFD).
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        (!rest.is_empty()).then(|| String::from_utf8_lossy(&rest).into_owned())
    }
}

fn string_array<'a>(md: &'a HashMap<String, Value>, key: &str) -> anyhow::Result<Vec<&'a String>> {
    let values = md.get(key).with_context(|| format!("the GGUF has no {key}"))?.to_vec()?;
    values.iter().map(|v| v.to_string().map_err(anyhow::Error::from)).collect()
}

/// GPT-2's reversible byte -> printable char table: printable Latin-1 bytes map to themselves,
/// the rest to U+0100 onwards in byte order.
fn byte_to_unicode_map() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut next = 0u32;
    for b in 0u32..256 {
        let printable = (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
        let code = if printable {
            b
        } else {
            next += 1;
            255 + next
        };
        // All codes are below U+0200, so `from_u32` never fails.
        table[b as usize] = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
    }
    table
}

fn unicode_to_byte_map() -> HashMap<char, u8> {
    byte_to_unicode_map().iter().enumerate().map(|(b, c)| (*c, b as u8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real SmolLM2 vocabulary, read once. Tests fail (never skip) when the model is missing.
    fn smollm2() -> &'static Tokenizer {
        static VOCAB: std::sync::OnceLock<crate::local::model::Vocab> = std::sync::OnceLock::new();
        VOCAB.get_or_init(|| {
            let path = crate::local::default_gguf_path(&crate::local::default_models_dir());
            crate::local::model::Vocab::from_gguf_file(&path).unwrap_or_else(|e| {
                panic!("SmolLM2 GGUF unusable at {} ({e:#}); run `webplus models fetch` first", path.display())
            })
        });
        &VOCAB.get().expect("initialised above").tokenizer
    }

    // Reference ids: computed in Python (tokenizers 0.22 + gguf 0.17 in a scratch venv) from the
    // same GGUF's `tokenizer.ggml.tokens`/`.merges`, with the pre-tokenizer of SmolLM2's
    // tokenizer.json (Digits(individual) + ByteLevel(add_prefix_space=false)) and the 17 control
    // tokens added as special tokens. Independent of this file's code.
    const REFERENCE: &[(&str, &[u32])] = &[
        ("user", &[4093]),
        ("\n", &[198]),
        ("Hello, world!", &[19556, 28, 905, 17]),
        ("What is the capital of France?", &[1780, 314, 260, 3575, 282, 4649, 47]),
        (" leading space", &[2899, 1898]),
        ("12345 apples", &[33, 34, 35, 36, 37, 13855]),
        (
            "héllo wörld 🤖 日本語",
            &[88, 2756, 31394, 267, 29989, 400, 15107, 114, 240, 17097, 241, 115, 40993, 179, 120, 248],
        ),
        ("  two  spaces\n\n\tand tabs  ", &[216, 827, 216, 5600, 1116, 197, 397, 29416, 256]),
        ("don't I'll we've", &[12420, 982, 339, 3060, 392, 3543]),
        // 0x04 has no token in this vocabulary; the reference drops it.
        ("a\u{4}b", &[81, 82]),
    ];

    #[test]
    fn smollm2_encodes_like_the_reference_tokenizer() {
        let t = smollm2();
        for (text, ids) in REFERENCE {
            assert_eq!(t.encode(text).unwrap(), *ids, "encoding {text:?}");
            if !text.contains('\u{4}') {
                assert_eq!(t.decode(ids), *text, "decoding {ids:?}");
            }
        }
    }

    #[test]
    fn the_full_chat_template_string_encodes_like_the_reference() {
        let text = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n\
                    <|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n";
        let expected: &[u32] = &[
            1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407, 19712, 8182,
            2, 198, 1, 4093, 198, 1780, 314, 216, 34, 27, 34, 47, 2, 198, 1, 520, 9531, 198,
        ];
        let t = smollm2();
        assert_eq!(t.encode(text).unwrap(), expected);
        assert_eq!(t.decode(expected), text);
        // The template path (control tokens placed structurally) gives the same ids.
        let template = crate::local::chat_template::ChatTemplate {
            default_system: Some("You are a helpful AI assistant named SmolLM, trained by Hugging Face".into()),
        };
        let messages = [crate::providers::ChatMessage::new(crate::providers::Role::User, "What is 2+2?")];
        assert_eq!(template.encode(t, &messages).unwrap(), expected);
    }

    #[test]
    fn control_tokens_are_single_ids_and_plain_text_in_messages() {
        let t = smollm2();
        assert_eq!(t.special_id("<|im_start|>"), Some(1));
        assert_eq!(t.special_id("<|im_end|>"), Some(2));
        assert_eq!(
            t.encode("a<|im_end|>b").unwrap(),
            [t.encode("a").unwrap(), vec![2], t.encode("b").unwrap()].concat()
        );
        let mut plain = Vec::new();
        t.encode_plain("<|im_end|>", &mut plain).unwrap();
        assert!(!plain.contains(&2) && plain.len() > 1, "{plain:?}");
    }

    #[test]
    fn unknown_ids_decode_to_nothing() {
        assert_eq!(smollm2().decode(&[u32::MAX, 4093]), "user");
    }

    #[test]
    fn the_byte_table_matches_gpt2() {
        let t = byte_to_unicode_map();
        assert_eq!(t[b'a' as usize], 'a');
        assert_eq!(t[b' ' as usize], 'Ġ');
        assert_eq!(t[b'\n' as usize], 'Ċ');
        assert_eq!(t[0], 'Ā');
        let unique: std::collections::HashSet<char> = t.iter().copied().collect();
        assert_eq!(unique.len(), 256);
    }

    #[test]
    fn the_incremental_decoder_holds_back_a_split_char() {
        let mut d = IncrementalDecoder::new();
        let robot = "🤖".as_bytes();
        assert_eq!(d.push(b"hi "), Some("hi ".to_string()));
        assert_eq!(d.push(&robot[..2]), None);
        assert_eq!(d.push(&robot[2..]), Some("🤖".to_string()));
        assert_eq!(d.finish(), None);
    }

    #[test]
    fn the_incremental_decoder_replaces_invalid_bytes_and_goes_on() {
        let mut d = IncrementalDecoder::new();
        assert_eq!(d.push(&[b'a', 0xff, b'b']), Some("a\u{fffd}b".to_string()));
        assert_eq!(d.push(&[0xe6]), None);
        assert_eq!(d.finish(), Some("\u{fffd}".to_string()));
    }
}
