//! The BERT encoder of all-MiniLM-L6-v2, for inference on the CPU: candle tensors for the
//! embeddings, attention and layer norms; our own dense layers and GELU.
//!
//! candle-transformers' `BertModel` computes the same thing (a test checks the two agree to a
//! cosine of 0.9999); this one exists for speed (`cargo bench -p webplus --bench embedding`):
//! - Dense layers go through [`PackedWeight`] (`matmul.rs`): the weights packed once at load, in
//!   half precision. candle's `Linear` re-packed all 42 MB of them on every call, which was 42% of
//!   a search query's time (`gemm_common::pack_operands::pack_lhs` in `perf`), and a query is
//!   bound by reading the weights from memory, which half precision halves.
//! - GELU runs over the dense layer's output before it becomes a tensor, vectorised (`gelu.rs`)
//!   instead of one libm `erff` call per value.
//! - Query, key and value are one dense layer, and the attention scale is folded into the query's
//!   weights. An input without padding skips the attention mask.

use candle_core::{DType, Module, Result, Storage, Tensor};
use candle_nn::{LayerNorm, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

use super::{gelu::gelu_in_place, matmul::PackedWeight};

pub(super) struct Bert {
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type_embeddings: Tensor,
    embeddings_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    head_size: usize,
}

struct Layer {
    /// Query (pre-scaled), key and value: (3 × hidden) × hidden.
    qkv: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
}

/// `x · Wᵀ + b`, `W` (out × in) as in the checkpoint, packed at load.
struct Dense(PackedWeight);

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
        let norm = |vb: VarBuilder| candle_nn::layer_norm(hidden, config.layer_norm_eps, vb);
        let embeddings = vb.pp("embeddings");
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config, head_size))
            .collect::<Result<_>>()?;
        Ok(Self {
            word_embeddings: embeddings.get((config.vocab_size, hidden), "word_embeddings.weight")?,
            position_embeddings: embeddings
                .get((config.max_position_embeddings, hidden), "position_embeddings.weight")?,
            token_type_embeddings: embeddings.get((config.type_vocab_size, hidden), "token_type_embeddings.weight")?,
            embeddings_norm: norm(embeddings.pp("LayerNorm"))?,
            layers,
            heads,
            head_size,
        })
    }

    /// The last hidden state, (texts × tokens × hidden), for `ids`, `type_ids` and `mask` (all
    /// texts × tokens, u32; the mask 1 for real tokens, 0 for padding).
    pub(super) fn forward(&self, ids: &Tensor, type_ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (texts, tokens) = ids.dims2()?;
        if tokens > self.position_embeddings.dim(0)? {
            candle_core::bail!(
                "{tokens} tokens are more than the model's {} positions",
                self.position_embeddings.dim(0)?
            );
        }
        let rows = texts * tokens;
        let words = self.word_embeddings.index_select(&ids.flatten_all()?, 0)?;
        let types = self.token_type_embeddings.index_select(&type_ids.flatten_all()?, 0)?;
        let positions = self.position_embeddings.narrow(0, 0, tokens)?.repeat((texts, 1))?;
        let mut hidden = self.embeddings_norm.forward(&((words + types)? + positions)?)?; // (rows, hidden)

        // Padding gets a large negative score before the softmax, so it has no weight.
        let padded = mask.min_keepdim(1)?.flatten_all()?.to_vec1::<u32>()?.contains(&0);
        let bias = if padded {
            let blocked = (1.0 - mask.to_dtype(DType::F32)?)?.affine(f64::from(f32::MIN), 0.0)?;
            Some(blocked.reshape((texts, 1, 1, tokens))?)
        } else {
            None
        };
        for layer in &self.layers {
            hidden = layer.forward(&hidden, (texts, tokens), bias.as_ref(), self.heads, self.head_size)?;
        }
        debug_assert_eq!(hidden.dim(0)?, rows);
        hidden.reshape((texts, tokens, ()))
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
        let qkv = Dense::new(
            &Tensor::cat(&[&query.0, &key.0, &value.0], 0)?,
            &Tensor::cat(&[&query.1, &key.1, &value.1], 0)?,
        )?;
        let norm = |vb: VarBuilder| candle_nn::layer_norm(hidden, config.layer_norm_eps, vb);
        Ok(Self {
            qkv,
            attention_out: Dense::load(attention.pp("output.dense"), hidden, hidden)?,
            attention_norm: norm(attention.pp("output.LayerNorm"))?,
            intermediate: Dense::load(vb.pp("intermediate.dense"), hidden, inner)?,
            output: Dense::load(vb.pp("output.dense"), inner, hidden)?,
            output_norm: norm(vb.pp("output.LayerNorm"))?,
        })
    }

    /// `x` is (texts · tokens) × hidden; so is the result.
    fn forward(
        &self,
        x: &Tensor,
        (texts, tokens): (usize, usize),
        bias: Option<&Tensor>,
        heads: usize,
        head_size: usize,
    ) -> Result<Tensor> {
        let qkv = self.qkv.forward(x)?.reshape((texts, tokens, 3, heads, head_size))?;
        // Each (texts × heads × tokens × head_size).
        let part = |i: usize| qkv.narrow(2, i, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous();
        let (query, key, value) = (part(0)?, part(1)?, part(2)?);
        let scores = query.matmul(&key.t()?)?; // (texts × heads × tokens × tokens)
        let scores = match bias {
            Some(bias) => scores.broadcast_add(bias)?,
            None => scores,
        };
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights.matmul(&value)?.transpose(1, 2)?.reshape((texts * tokens, heads * head_size))?;
        let attended = self.attention_norm.forward(&(self.attention_out.forward(&context)? + x)?)?;
        let inner = self.intermediate.forward_with(&attended, gelu_in_place)?;
        self.output_norm.forward(&(self.output.forward(&inner)? + attended)?)
    }
}

impl Dense {
    fn load(vb: VarBuilder, inputs: usize, outputs: usize) -> Result<Self> {
        Self::new(&vb.get((outputs, inputs), "weight")?, &vb.get(outputs, "bias")?)
    }

    fn new(weight: &Tensor, bias: &Tensor) -> Result<Self> {
        let (outputs, inputs) = weight.dims2()?;
        let packed = PackedWeight::pack(&weight.flatten_all()?.to_vec1()?, &bias.to_vec1()?, outputs, inputs);
        packed.map(Self).map_err(candle_core::Error::Msg)
    }

    /// `x` is rows × in; the result rows × out.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_with(x, |_| ())
    }

    /// [`Dense::forward`], then `then` applied to the result's values (an activation) before they
    /// become a tensor.
    fn forward_with(&self, x: &Tensor, then: impl FnOnce(&mut [f32])) -> Result<Tensor> {
        let x = x.contiguous()?;
        let rows = x.dim(0)?;
        let mut product = {
            let (storage, layout) = x.storage_and_layout();
            let Storage::Cpu(values) = &*storage else {
                candle_core::bail!("the encoder runs on the CPU");
            };
            let start = layout.start_offset();
            self.0.multiply(&values.as_slice::<f32>()?[start..start + x.elem_count()])
        };
        then(&mut product);
        Tensor::from_vec(product, (rows, self.0.outputs()), x.device())
    }
}
