//! The BERT encoder of all-MiniLM-L6-v2, for inference on the CPU, on plain buffers of `f32`.
//!
//! candle-transformers' `BertModel` computes the same thing (a test checks the two agree to a
//! cosine of 0.9999); this one exists for speed (`cargo bench -p webplus --bench embedding`):
//! - A batch is ragged: each text's tokens are consecutive rows, and no row is padding. A batch
//!   of one long chunk and 31 short ones computes their tokens, not 32 × the longest.
//! - Dense layers go through [`PackedWeight`] (`matmul.rs`): the weights packed once at load, in
//!   half precision. candle's `Linear` re-packed all 42 MB of them on every call, which was 42% of
//!   a search query's time (`gemm_common::pack_operands::pack_lhs` in `perf`), and a query is
//!   bound by reading the weights from memory, which half precision halves.
//! - Attention (`attention.rs`), layer norms (`norm.rs`) and GELU (`gelu.rs`, applied to the
//!   intermediate layer's outputs as they come out of the multiplication) are loops the compiler
//!   vectorises, over buffers kept from one batch to the next: every candle op allocated its
//!   output, and mapping and zeroing those pages was a quarter of a batch's time.
//! - Query, key and value are one dense layer, and the attention scale is folded into the query's
//!   weights.
//!
//! candle is used to read the checkpoint only.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct};

use super::{
    attention::{self, attend},
    gelu::gelu_in_place,
    matmul::PackedWeight,
    norm::Norm,
};

pub(super) struct Bert {
    /// vocab × hidden, row-major; likewise the position and token type tables.
    word_embeddings: Vec<f32>,
    position_embeddings: Vec<f32>,
    token_type_embeddings: Vec<f32>,
    embeddings_norm: Norm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    head_size: usize,
    /// Buffers of finished batches, for the next one.
    spare: Mutex<Vec<Buffers>>,
}

struct Layer {
    /// Query (pre-scaled), key and value: (3 × hidden) × hidden.
    qkv: PackedWeight,
    attention_out: PackedWeight,
    attention_norm: Norm,
    intermediate: PackedWeight,
    output: PackedWeight,
    output_norm: Norm,
}

/// One batch's working memory, each rows × some width.
#[derive(Default)]
struct Buffers {
    /// The hidden state between layers.
    x: Vec<f32>,
    qkv: Vec<f32>,
    context: Vec<f32>,
    product: Vec<f32>,
    inner: Vec<f32>,
}

/// One text's word piece ids and token type ids (the same length, at least one).
pub(super) type Text<'a> = (&'a [u32], &'a [u32]);

impl Bert {
    /// The encoder from a checkpoint's tensors, with or without the `bert.` prefix.
    pub(super) fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        if config.hidden_act != HiddenAct::Gelu {
            candle_core::bail!("only BERT models with the exact (erf) GELU are supported");
        }
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") { vb.pp("bert") } else { vb };
        let hidden = config.hidden_size;
        let heads = config.num_attention_heads;
        if heads == 0 || !hidden.is_multiple_of(heads) {
            candle_core::bail!("{hidden} hidden units do not split into {heads} attention heads");
        }
        let head_size = hidden / heads;
        if !attention::supports(head_size) {
            candle_core::bail!("attention heads of {head_size} values are not supported (32 and 64 are)");
        }
        let embeddings = vb.pp("embeddings");
        let table = |rows: usize, name: &str| embeddings.get((rows, hidden), name)?.flatten_all()?.to_vec1();
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config, head_size))
            .collect::<Result<_>>()?;
        Ok(Self {
            word_embeddings: table(config.vocab_size, "word_embeddings.weight")?,
            position_embeddings: table(config.max_position_embeddings, "position_embeddings.weight")?,
            token_type_embeddings: table(config.type_vocab_size, "token_type_embeddings.weight")?,
            embeddings_norm: norm(embeddings.pp("LayerNorm"), config)?,
            layers,
            hidden,
            heads,
            head_size,
            spare: Mutex::new(Vec::new()),
        })
    }

    /// Each text's last hidden states averaged over its tokens (`hidden` values per text).
    pub(super) fn mean_pooled(&self, texts: &[Text]) -> Result<Vec<Vec<f32>>> {
        let hidden = self.hidden;
        let positions = self.position_embeddings.len() / hidden;
        let mut spans: Vec<Range<usize>> = Vec::with_capacity(texts.len());
        let mut rows = 0;
        for (ids, types) in texts {
            if ids.is_empty() || ids.len() != types.len() {
                candle_core::bail!("a text needs at least one token, and a token type for each");
            }
            if ids.len() > positions {
                candle_core::bail!("{} tokens are more than the model's {positions} positions", ids.len());
            }
            spans.push(rows..rows + ids.len());
            rows += ids.len();
        }
        let mut buffers = self.spare.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
        self.embed_tokens(texts, &mut buffers.x)?;
        for layer in &self.layers {
            layer.forward(&mut buffers, &spans, self.heads, self.head_size);
        }
        let pooled = spans
            .iter()
            .map(|span| {
                let mut mean = vec![0.0f32; hidden];
                for row in buffers.x[span.start * hidden..span.end * hidden].chunks_exact(hidden) {
                    mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
                }
                mean.iter_mut().for_each(|m| *m /= span.len() as f32);
                mean
            })
            .collect();
        self.spare.lock().unwrap_or_else(PoisonError::into_inner).push(buffers);
        Ok(pooled)
    }

    /// Word + token type + position embeddings of every token, normalised, into `x`.
    fn embed_tokens(&self, texts: &[Text], x: &mut Vec<f32>) -> Result<()> {
        let hidden = self.hidden;
        x.clear();
        for (ids, types) in texts {
            for (position, (id, kind)) in ids.iter().zip(*types).enumerate() {
                let word = table_row(&self.word_embeddings, *id, hidden, "token id")?;
                let kind = table_row(&self.token_type_embeddings, *kind, hidden, "token type")?;
                let place = &self.position_embeddings[position * hidden..(position + 1) * hidden];
                x.extend(word.iter().zip(kind).zip(place).map(|((w, k), p)| (w + k) + p));
            }
        }
        self.embeddings_norm.apply(x, None);
        Ok(())
    }
}

impl Layer {
    fn load(vb: VarBuilder, config: &Config, head_size: usize) -> Result<Self> {
        let (hidden, inner) = (config.hidden_size, config.intermediate_size);
        let attention = vb.pp("attention");
        let scale = 1.0 / (head_size as f64).sqrt();
        let part = |name: &str, scale: f64| -> Result<(Tensor, Tensor)> {
            let vb = attention.pp(name);
            Ok(((vb.get((hidden, hidden), "weight")? * scale)?, (vb.get(hidden, "bias")? * scale)?))
        };
        let (query, key, value) = (part("self.query", scale)?, part("self.key", 1.0)?, part("self.value", 1.0)?);
        let qkv =
            dense(&Tensor::cat(&[&query.0, &key.0, &value.0], 0)?, &Tensor::cat(&[&query.1, &key.1, &value.1], 0)?)?;
        let load = |vb: VarBuilder, inputs: usize, outputs: usize| {
            dense(&vb.get((outputs, inputs), "weight")?, &vb.get(outputs, "bias")?)
        };
        Ok(Self {
            qkv,
            attention_out: load(attention.pp("output.dense"), hidden, hidden)?,
            attention_norm: norm(attention.pp("output.LayerNorm"), config)?,
            intermediate: load(vb.pp("intermediate.dense"), hidden, inner)?,
            output: load(vb.pp("output.dense"), inner, hidden)?,
            output_norm: norm(vb.pp("output.LayerNorm"), config)?,
        })
    }

    /// `buffers.x` (rows × hidden) through the layer, in place.
    fn forward(&self, b: &mut Buffers, spans: &[Range<usize>], heads: usize, head_size: usize) {
        self.qkv.multiply_into(&b.x, &mut b.qkv);
        b.context.resize(b.x.len(), 0.0);
        attend(&b.qkv, spans, heads, head_size, &mut b.context);
        self.attention_out.multiply_into(&b.context, &mut b.product);
        self.attention_norm.apply(&mut b.product, Some(&b.x));
        std::mem::swap(&mut b.x, &mut b.product);
        self.intermediate.multiply_then(&b.x, &mut b.inner, |values| gelu_in_place(values));
        self.output.multiply_into(&b.inner, &mut b.product);
        self.output_norm.apply(&mut b.product, Some(&b.x));
        std::mem::swap(&mut b.x, &mut b.product);
    }
}

/// Row `i` of a table of rows of `hidden` values, or an error naming `what` was out of range.
fn table_row<'a>(table: &'a [f32], i: u32, hidden: usize, what: &str) -> Result<&'a [f32]> {
    let at = i as usize * hidden;
    match table.get(at..at + hidden) {
        Some(row) => Ok(row),
        None => candle_core::bail!("{what} {i} is outside the model's table"),
    }
}

/// `x · Wᵀ + b` with `W` (out × in) as in the checkpoint, packed.
fn dense(weight: &Tensor, bias: &Tensor) -> Result<PackedWeight> {
    let (outputs, inputs) = weight.dims2()?;
    PackedWeight::pack(&weight.flatten_all()?.to_vec1()?, &bias.to_vec1()?, outputs, inputs)
        .map_err(candle_core::Error::Msg)
}

/// A layer norm's parameters, under either of the names checkpoints use (candle_nn resolves them).
fn norm(vb: VarBuilder, config: &Config) -> Result<Norm> {
    let loaded = candle_nn::layer_norm(config.hidden_size, config.layer_norm_eps, vb)?;
    let Some(beta) = loaded.bias() else { candle_core::bail!("a layer norm without a bias") };
    Ok(Norm { gamma: loaded.weight().to_vec1()?, beta: beta.to_vec1()?, eps: config.layer_norm_eps as f32 })
}
