//! Loading a GGUF llama model, and the token-by-token generation loop.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Cursor};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use candle_core::quantized::gguf_file::{Content, TensorInfo};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};

use super::chat_template::ChatTemplate;
use super::llama::{Llama, MAX_SEQ_LEN};
use super::tokenizer::Tokenizer;
use crate::providers::FinishReason;

/// Prompt tokens fed to the model per forward pass. Bounds the attention scores tensor
/// (heads x chunk x context floats) so a long prompt does not need gigabytes at once.
const PROMPT_CHUNK: usize = 256;

/// Everything needed to turn messages into token ids and back: the GGUF metadata, no weights.
/// Reading it costs a few MB and some milliseconds, so it can be loaded long before the weights.
#[derive(Debug)]
pub struct Vocab {
    pub tokenizer: Tokenizer,
    pub template: ChatTemplate,
    /// Usable context: the model's `llama.context_length`, capped by the rotary table's length.
    pub context_window: usize,
    /// Tokens that end the assistant's turn (`<|im_end|>`, eos).
    pub stop_ids: Vec<u32>,
}

impl Vocab {
    pub fn from_gguf_file(path: &Path) -> anyhow::Result<Self> {
        let content = read_header(path)?;
        Self::from_metadata(&content.metadata)
    }

    pub fn from_metadata(md: &HashMap<String, candle_core::quantized::gguf_file::Value>) -> anyhow::Result<Self> {
        let tokenizer = Tokenizer::from_gguf_metadata(md)?;
        let template = match md.get("tokenizer.chat_template") {
            Some(t) => ChatTemplate::from_jinja(t.to_string()?)?,
            None => anyhow::bail!("the GGUF has no tokenizer.chat_template"),
        };
        let arch = md.get("general.architecture").and_then(|v| v.to_string().ok()).cloned().unwrap_or_default();
        let trained = md
            .get(&format!("{arch}.context_length"))
            .and_then(|v| v.to_u32().ok())
            .map(|n| n as usize)
            .unwrap_or(MAX_SEQ_LEN);
        // The rotary tables cover MAX_SEQ_LEN positions; past it, forward fails.
        let context_window = trained.min(MAX_SEQ_LEN);
        let mut stop_ids: Vec<u32> = tokenizer.special_id("<|im_end|>").into_iter().chain(tokenizer.eos_id).collect();
        stop_ids.dedup();
        Ok(Self { tokenizer, template, context_window, stop_ids })
    }
}

fn read_header(path: &Path) -> anyhow::Result<Content> {
    let mut reader = BufReader::new(File::open(path).with_context(|| format!("cannot open {}", path.display()))?);
    Content::read(&mut reader).with_context(|| format!("{} is not a valid GGUF file", path.display()))
}

/// Loads the weights on the CPU.
///
/// With `requantize_q4_1`, Q4_1 matrices are converted to Q8_0 first where that is faster
/// ([`crate::local::llama::q8_0_is_faster_than_q4_1`]): candle's Q8_0 kernels are far faster than
/// its Q4_1 ones on x86 (prompt processing about twice as fast), at the price of about 50 MB more
/// memory for SmolLM2-135M. The conversion goes through f32, so it adds no error beyond Q8_0's
/// rounding of values that Q4_1 already rounded. On CPUs with AVX2 but without candle's repacked
/// kernels, Q4_1 stays: single tokens run on `local::q4_1`'s kernel, prompts in f32.
pub fn load_weights(path: &Path, requantize_q4_1: bool) -> anyhow::Result<Llama> {
    let started = Instant::now();
    let device = Device::Cpu;
    let mut reader = BufReader::new(File::open(path).with_context(|| format!("cannot open {}", path.display()))?);
    let content = Content::read(&mut reader).with_context(|| format!("{} is not a valid GGUF file", path.display()))?;
    let requantize_q4_1 = requantize_q4_1 && crate::local::llama::q8_0_is_faster_than_q4_1();
    let weights = if requantize_q4_1 && content.tensor_infos.values().any(|t| t.ggml_dtype == GgmlDType::Q4_1) {
        // The loader reads tensors by name from a reader, so we hand it a rewritten copy of the
        // tensor data: same metadata, Q4_1 tensors replaced by Q8_0 ones.
        let (content, data) = requantized(content, &mut reader, &device, GgmlDType::Q4_1, GgmlDType::Q8_0)?;
        Llama::from_gguf(content, &mut Cursor::new(data), &device)
    } else {
        Llama::from_gguf(content, &mut reader, &device)
    }
    .with_context(|| format!("cannot load the model weights from {}", path.display()))?;
    tracing::info!(path = %path.display(), elapsed_ms = started.elapsed().as_millis() as u64, requantize_q4_1, "local model loaded");
    Ok(weights)
}

/// The tensors of `content` with those of type `from` converted to `to`, as new content and the
/// tensor data it points into.
pub(super) fn requantized<R: std::io::Read + std::io::Seek>(
    content: Content,
    reader: &mut R,
    device: &Device,
    from: GgmlDType,
    to: GgmlDType,
) -> anyhow::Result<(Content, Vec<u8>)> {
    let mut data = Vec::new();
    let mut infos = HashMap::with_capacity(content.tensor_infos.len());
    // Sorted by offset so the rewritten data follows the file's order (deterministic, and
    // sequential reads of the source).
    let mut names: Vec<(&String, &TensorInfo)> = content.tensor_infos.iter().collect();
    names.sort_by_key(|(_, info)| info.offset);
    for (name, info) in names {
        let tensor = info.read(reader, content.tensor_data_offset, device)?;
        let tensor = if info.ggml_dtype == from { QTensor::quantize(&tensor.dequantize(device)?, to)? } else { tensor };
        let offset = data.len() as u64;
        data.extend_from_slice(&tensor.data()?);
        infos.insert(name.clone(), TensorInfo { ggml_dtype: tensor.dtype(), shape: tensor.shape().clone(), offset });
    }
    let rewritten =
        Content { magic: content.magic, metadata: content.metadata, tensor_infos: infos, tensor_data_offset: 0 };
    Ok((rewritten, data))
}

/// Sampling and stopping parameters of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateParams {
    pub max_tokens: usize,
    /// 0 means greedy (arg-max).
    pub temperature: f64,
    pub top_p: Option<f64>,
    pub seed: u64,
}

/// How a generation ended and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `None` when the caller stopped it (client went away).
    pub reason: Option<FinishReason>,
    pub completion_tokens: usize,
    pub prompt_time: Duration,
    pub generation_time: Duration,
}

/// Runs the model on `prompt` and calls `on_token` with each generated token (stop tokens are not
/// passed on). `on_token` returns `Break` to cancel; `should_stop` is also polled between prompt
/// chunks, so a cancelled long prompt does not run to the end.
pub fn generate(
    weights: &mut Llama,
    vocab: &Vocab,
    prompt: &[u32],
    params: &GenerateParams,
    mut should_stop: impl FnMut() -> bool,
    mut on_token: impl FnMut(u32) -> ControlFlow<()>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    if prompt.is_empty() || prompt.len() >= vocab.context_window {
        anyhow::bail!("prompt of {} tokens does not fit the context of {}", prompt.len(), vocab.context_window);
    }
    let mut outcome =
        Outcome { reason: None, completion_tokens: 0, prompt_time: Duration::ZERO, generation_time: Duration::ZERO };
    let sampling = if params.temperature <= 0.0 {
        Sampling::ArgMax
    } else {
        match params.top_p {
            Some(p) if p > 0.0 && p < 1.0 => Sampling::TopP { p, temperature: params.temperature },
            _ => Sampling::All { temperature: params.temperature },
        }
    };
    let mut sampler = LogitsProcessor::from_sampling(params.seed, sampling);
    // Every generation starts from an empty cache: positions restart at 0.
    weights.clear_kv_cache();

    let mut logits = None;
    for (i, chunk) in prompt.chunks(PROMPT_CHUNK).enumerate() {
        if should_stop() {
            return Ok(outcome);
        }
        let input = Tensor::new(chunk, &Device::Cpu)?.unsqueeze(0)?;
        logits = Some(weights.forward(&input, i * PROMPT_CHUNK)?);
    }
    outcome.prompt_time = started.elapsed();
    let gen_started = Instant::now();
    // Room left in the context window bounds max_tokens too.
    let budget = params.max_tokens.min(vocab.context_window - prompt.len());
    let mut pos = prompt.len();
    while let Some(l) = logits.take() {
        if outcome.completion_tokens >= budget {
            outcome.reason = Some(FinishReason::Length);
            break;
        }
        let token = sampler.sample(&l.squeeze(0)?.to_dtype(candle_core::DType::F32)?)?;
        if vocab.stop_ids.contains(&token) {
            outcome.reason = Some(FinishReason::Stop);
            break;
        }
        outcome.completion_tokens += 1;
        if on_token(token).is_break() {
            break;
        }
        if outcome.completion_tokens >= budget {
            // Skip the forward pass whose logits nobody would use.
            outcome.reason = Some(FinishReason::Length);
            break;
        }
        let input = Tensor::new(&[token], &Device::Cpu)?.unsqueeze(0)?;
        logits = Some(weights.forward(&input, pos)?);
        pos += 1;
    }
    outcome.generation_time = gen_started.elapsed();
    Ok(outcome)
}
