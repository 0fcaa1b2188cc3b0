//! BERT (Devlin et al., 2019) written out layer by layer so it can be
//! trained, with weight names that follow Hugging Face checkpoints
//! (`embeddings.*`, `encoder.layer.N.*`, optionally under `bert.`).
//!
//! The same code runs MPNet (Song et al., 2020; `model_type: "mpnet"`, as
//! all-mpnet-base-v2), which is BERT's post-norm encoder with three
//! differences: no token-type embeddings, positions counted from
//! `pad_token_id + 1`, and a learned relative-position bias (T5-style
//! buckets) added to every layer's attention scores. Its weights keep their
//! Hugging Face names (`attention.attn.q`, …, optionally under `mpnet.`).
//!
//! Why not candle-transformers' `BertModel`: it uses candle-nn's fused
//! `layer_norm` and `softmax_last_dim`, which have no backward pass, so
//! gradients stop at every layer norm and nothing below the top one learns.
//! Here every op has two spellings chosen by [`Ops`]: the fused kernels for
//! inference, and the same arithmetic composed from primitive, differentiable
//! tensor ops for training. One model, one set of weights, two forwards.

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{Embedding, Linear, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};
use policylens_kernels::QLinear;
use serde_json::Value;

/// Which encoder a `config.json` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Bert,
    MPNet,
}

impl Family {
    pub fn of(config: &Config) -> Self {
        match config.model_type.as_deref() {
            Some("mpnet") => Self::MPNet,
            _ => Self::Bert,
        }
    }

    /// The prefix Hugging Face's task models put the encoder under.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Bert => "bert",
            Self::MPNet => "mpnet",
        }
    }
}

/// Parse an encoder's `config.json`. MPNet configs have no
/// `type_vocab_size` (MPNet has no token types); it is set to 1 here so the
/// BERT config type can hold them.
pub fn parse_config(raw: &Value) -> serde_json::Result<Config> {
    let mut raw = raw.clone();
    if let Some(obj) = raw.as_object_mut() {
        obj.entry("type_vocab_size").or_insert(Value::from(1));
    }
    serde_json::from_value(raw)
}

/// MPNet's relative-position buckets (Hugging Face's
/// `MPNetEncoder.relative_position_bucket`, 32 buckets, max distance 128):
/// for query `i` and key `j`, half the buckets for keys before the query,
/// half after; exact below 8 positions, log-spaced beyond.
pub fn relative_position_bucket(query: usize, key: usize) -> u32 {
    const HALF: i64 = 16;
    const EXACT: i64 = HALF / 2;
    const MAX_DISTANCE: f64 = 128.0;
    let n = query as i64 - key as i64;
    let mut bucket = if n < 0 { HALF } else { 0 };
    let n = n.abs();
    bucket += if n < EXACT {
        n
    } else {
        let large = EXACT
            + ((n as f32 / EXACT as f32).ln() / (MAX_DISTANCE / EXACT as f64).ln() as f32
                * (HALF - EXACT) as f32) as i64;
        large.min(HALF - 1)
    };
    bucket as u32
}

/// Which kernels a forward pass uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ops {
    /// candle-nn's fused layer norm and softmax: fastest, no gradients.
    Fused,
    /// The same maths from primitive ops, so `backward` reaches every weight.
    Differentiable,
}

/// Layer normalisation over the last dimension.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    pub fn load(vb: VarBuilder, size: usize, eps: f64) -> Result<Self> {
        Ok(Self {
            weight: vb.get(size, "weight")?,
            bias: vb.get(size, "bias")?,
            eps,
        })
    }

    /// `LayerNorm(x + residual)`: on the CPU in f32, both in one task per
    /// block of rows ([`policylens_kernels::add_layer_norm`]).
    pub fn forward_residual(&self, x: &Tensor, residual: &Tensor, ops: Ops) -> Result<Tensor> {
        if !(own_kernels(x, ops) && own_kernels(residual, ops) && x.dims() == residual.dims()) {
            return self.forward(&(x + residual)?, ops);
        }
        let (x, residual) = (x.contiguous()?, residual.contiguous()?);
        let (xs, xl) = x.storage_and_layout();
        let (rs, rl) = residual.storage_and_layout();
        let (ws, wl) = self.weight.storage_and_layout();
        let (bs, bl) = self.bias.storage_and_layout();
        let out = policylens_kernels::add_layer_norm(
            policylens_kernels::cpu_f32(&xs, xl)?,
            policylens_kernels::cpu_f32(&rs, rl)?,
            (
                policylens_kernels::cpu_f32(&ws, wl)?,
                policylens_kernels::cpu_f32(&bs, bl)?,
            ),
            self.eps as f32,
        );
        Tensor::from_vec(out, x.dims(), x.device())
    }

    pub fn forward(&self, x: &Tensor, ops: Ops) -> Result<Tensor> {
        match ops {
            Ops::Fused => candle_nn::ops::layer_norm(x, &self.weight, &self.bias, self.eps as f32),
            Ops::Differentiable => {
                let mean = x.mean_keepdim(D::Minus1)?;
                let centered = x.broadcast_sub(&mean)?;
                let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
                let normed = centered.broadcast_div(&(var + self.eps)?.sqrt()?)?;
                normed
                    .broadcast_mul(&self.weight)?
                    .broadcast_add(&self.bias)
            }
        }
    }
}

fn softmax_last_dim(x: &Tensor, ops: Ops) -> Result<Tensor> {
    match ops {
        Ops::Fused => candle_nn::ops::softmax_last_dim(x),
        // Composed from max/exp/sum, all of which have backward passes.
        Ops::Differentiable => candle_nn::ops::softmax(x, D::Minus1),
    }
}

/// Whether `x` can go through our in-place CPU kernels.
fn own_kernels(x: &Tensor, ops: Ops) -> bool {
    ops == Ops::Fused && x.device().is_cpu() && x.dtype() == DType::F32
}

/// softmax(q·kᵀ/√d + bias) over the keys (for the CPU, [`Layer::self_attention`]
/// uses a fused kernel instead).
fn attention_probs(q: &Tensor, k: &Tensor, bias: &Tensor, ops: Ops) -> Result<Tensor> {
    let d = q.dim(D::Minus1)?;
    let scores = q.matmul(&k.t()?)?;
    softmax_last_dim(&(scores / (d as f64).sqrt())?.broadcast_add(bias)?, ops)
}

/// `x` (fresh from a dense layer, owned by the caller) through the activation.
pub fn activation(x: Tensor, act: HiddenAct, ops: Ops) -> Result<Tensor> {
    if own_kernels(&x, ops) && act == HiddenAct::Gelu && x.is_contiguous() {
        x.inplace_op1(&policylens_kernels::GeluErf)?;
        return Ok(x);
    }
    match act {
        HiddenAct::Gelu => x.gelu_erf(),
        HiddenAct::GeluApproximate => x.gelu(),
        HiddenAct::Relu => x.relu(),
    }
}

/// A linear layer: f32, or for inference int8 ([`QLinear`], which then
/// replaces the f32 weights).
#[derive(Debug, Clone)]
enum Dense {
    F32(Linear),
    Int8(QLinear),
}

impl Dense {
    fn load(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self::F32(candle_nn::linear(in_dim, out_dim, vb)?))
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match (self, x.dims()) {
            (Self::Int8(q), _) => q.forward(x),
            // One (batch·seq, in) × (in, out) product rather than a batched
            // one against a broadcast weight: fewer, larger matrix calls.
            (Self::F32(l), &[b, t, k]) => l.forward(&x.reshape((b * t, k))?)?.reshape((b, t, ())),
            (Self::F32(l), _) => l.forward(x),
        }
    }

    fn quantize(&mut self) -> Result<()> {
        if let Self::F32(l) = self {
            *self = Self::Int8(QLinear::new(l.weight(), l.bias())?);
        }
        Ok(())
    }
}

struct Embeddings {
    word: Embedding,
    position: Embedding,
    /// BERT's segment embeddings; MPNet has none.
    token_type: Option<Embedding>,
    /// The position id of the first token: 0 for BERT, `pad_token_id + 1`
    /// for MPNet (as RoBERTa). Sequences are right-padded, so the real
    /// tokens count up from here; padding positions are masked anyway.
    first_position: u32,
    norm: LayerNorm,
}

impl Embeddings {
    fn load(vb: VarBuilder, cfg: &Config) -> Result<Self> {
        let h = cfg.hidden_size;
        let family = Family::of(cfg);
        Ok(Self {
            word: candle_nn::embedding(cfg.vocab_size, h, vb.pp("word_embeddings"))?,
            position: candle_nn::embedding(
                cfg.max_position_embeddings,
                h,
                vb.pp("position_embeddings"),
            )?,
            token_type: match family {
                Family::Bert => Some(candle_nn::embedding(
                    cfg.type_vocab_size,
                    h,
                    vb.pp("token_type_embeddings"),
                )?),
                Family::MPNet => None,
            },
            first_position: match family {
                Family::Bert => 0,
                Family::MPNet => cfg.pad_token_id as u32 + 1,
            },
            norm: LayerNorm::load(vb.pp("LayerNorm"), h, cfg.layer_norm_eps)?,
        })
    }

    fn forward(&self, ids: &Tensor, type_ids: &Tensor, ops: Ops) -> Result<Tensor> {
        let seq_len = ids.dim(1)? as u32;
        let start = self.first_position;
        let positions = Tensor::arange(start, start + seq_len, ids.device())?;
        let mut x = self.word.forward(ids)?;
        if let Some(token_type) = &self.token_type {
            x = x.add(&token_type.forward(type_ids)?)?;
        }
        let x = x.broadcast_add(&self.position.forward(&positions)?)?;
        self.norm.forward(&x, ops)
    }
}

/// One transformer block: self-attention, then the feed-forward network,
/// each followed by a residual connection and a layer norm (post-norm).
struct Layer {
    query: Dense,
    key: Dense,
    value: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
    heads: usize,
    act: HiddenAct,
}

impl Layer {
    fn load(vb: VarBuilder, cfg: &Config) -> Result<Self> {
        let (h, i, eps) = (cfg.hidden_size, cfg.intermediate_size, cfg.layer_norm_eps);
        let attn = vb.pp("attention");
        // Hugging Face names the attention weights differently per family.
        let (own, [q, k, v], out, out_norm) = match Family::of(cfg) {
            Family::Bert => (
                attn.pp("self"),
                ["query", "key", "value"],
                attn.pp("output").pp("dense"),
                attn.pp("output").pp("LayerNorm"),
            ),
            Family::MPNet => (
                attn.pp("attn"),
                ["q", "k", "v"],
                attn.pp("attn").pp("o"),
                attn.pp("LayerNorm"),
            ),
        };
        Ok(Self {
            query: Dense::load(h, h, own.pp(q))?,
            key: Dense::load(h, h, own.pp(k))?,
            value: Dense::load(h, h, own.pp(v))?,
            attention_out: Dense::load(h, h, out)?,
            attention_norm: LayerNorm::load(out_norm, h, eps)?,
            intermediate: Dense::load(h, i, vb.pp("intermediate").pp("dense"))?,
            output: Dense::load(i, h, vb.pp("output").pp("dense"))?,
            output_norm: LayerNorm::load(vb.pp("output").pp("LayerNorm"), h, eps)?,
            heads: cfg.num_attention_heads,
            act: cfg.hidden_act,
        })
    }

    /// `bias`: additive attention mask, (batch, 1, 1, seq), 0 or a large
    /// negative; `position_bias`: MPNet's (1, heads, seq, seq), or none.
    /// The block's output for the first `rows` positions (all when `None`):
    /// every position is attended to, but only those rows are computed.
    fn forward(
        &self,
        x: &Tensor,
        rows: Option<usize>,
        bias: &Tensor,
        position_bias: Option<&Tensor>,
        ops: Ops,
    ) -> Result<Tensor> {
        let xq = match rows {
            Some(n) => x.narrow(1, 0, n)?.contiguous()?,
            None => x.clone(),
        };
        // MPNet: the position bias of the computed query rows, plus the mask.
        let bias = match position_bias {
            Some(p) => p.narrow(2, 0, xq.dim(1)?)?.broadcast_add(bias)?,
            None => bias.clone(),
        };
        let context = self.self_attention(x, &xq, &bias, ops)?;
        let x = self.attention_norm.forward_residual(
            &self.attention_out.forward(&context)?,
            &xq,
            ops,
        )?;
        let ff = match (&self.intermediate, &self.output) {
            // Int8: one pass per task's rows through both layers.
            (Dense::Int8(i), Dense::Int8(o))
                if self.act == HiddenAct::Gelu && own_kernels(&x, ops) =>
            {
                i.forward_ffn(o, &x)?
            }
            _ => {
                self.output
                    .forward(&activation(self.intermediate.forward(&x)?, self.act, ops)?)?
            }
        };
        self.output_norm.forward_residual(&ff, &x, ops)
    }
}

impl Layer {
    /// Multi-head self-attention before the output projection, for the
    /// query positions `xq` (b, tq, h) over all positions of `x` (b, t, h).
    /// `bias` is added to the scores: (b, 1, 1, t) per key, or with
    /// relative positions (b, heads, tq, t).
    fn self_attention(&self, x: &Tensor, xq: &Tensor, bias: &Tensor, ops: Ops) -> Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let tq = xq.dim(1)?;
        let (q, k, v) = match (&self.query, &self.key, &self.value) {
            // Every position is a query: one quantization of x for all three.
            (Dense::Int8(q), Dense::Int8(k), Dense::Int8(v)) if tq == t && own_kernels(x, ops) => {
                let [q, k, v] = QLinear::forward_shared([q, k, v], x)?;
                (q, k, v)
            }
            _ => (
                self.query.forward(xq)?.contiguous()?,
                self.key.forward(x)?.contiguous()?,
                self.value.forward(x)?.contiguous()?,
            ),
        };
        // The CPU kernel takes one bias per key, not per query and head.
        if own_kernels(x, ops) && bias.dim(2)? == 1 && bias.dim(1)? == 1 {
            let bias = bias.reshape((b * t,))?.to_vec1::<f32>()?;
            let mut out = vec![0f32; b * tq * h];
            let (qs, ql) = q.storage_and_layout();
            let (ks, kl) = k.storage_and_layout();
            let (vs, vl) = v.storage_and_layout();
            policylens_kernels::attention(
                policylens_kernels::cpu_f32(&qs, ql)?,
                policylens_kernels::cpu_f32(&ks, kl)?,
                policylens_kernels::cpu_f32(&vs, vl)?,
                &bias,
                (b, tq, t, self.heads),
                // int8 layers (a precision chosen for speed) take bf16
                // attention where the CPU has it; f32 stays exact.
                matches!(self.query, Dense::Int8(_)),
                &mut out,
            );
            return Tensor::from_vec(out, (b, tq, h), x.device());
        }
        let d = h / self.heads;
        let split = |y: Tensor| -> Result<Tensor> {
            let n = y.dim(1)?;
            y.reshape((b, n, self.heads, d))?
                .transpose(1, 2)?
                .contiguous()
        };
        let probs = attention_probs(&split(q)?, &split(k)?, bias, ops)?;
        probs
            .matmul(&split(v)?)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, tq, h))
    }
}

/// The BERT encoder: token ids in, one hidden vector per token out.
pub struct Bert {
    embeddings: Embeddings,
    layers: Vec<Layer>,
    /// MPNet's relative-position bias table, (buckets, heads).
    relative_bias: Option<Embedding>,
    pub config: Config,
}

impl Bert {
    /// Load from a builder rooted at the checkpoint; weights may sit under
    /// `bert.` (as in `BertForSequenceClassification`) or at the top level
    /// (as in sentence-transformers' `BertModel` exports).
    pub fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let family = Family::of(config);
        let prefix = family.prefix();
        let vb = if vb.contains_tensor(&format!("{prefix}.embeddings.word_embeddings.weight")) {
            vb.pp(prefix)
        } else {
            vb
        };
        let embeddings = Embeddings::load(vb.pp("embeddings"), config)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config))
            .collect::<Result<Vec<_>>>()?;
        let relative_bias = match family {
            Family::Bert => None,
            Family::MPNet => Some(candle_nn::embedding(
                RELATIVE_BUCKETS,
                config.num_attention_heads,
                vb.pp("encoder").pp("relative_attention_bias"),
            )?),
        };
        Ok(Self {
            embeddings,
            layers,
            relative_bias,
            config: config.clone(),
        })
    }

    pub fn family(&self) -> Family {
        Family::of(&self.config)
    }

    /// MPNet's position bias for `t` tokens: (1, heads, t, t), shared by
    /// every layer.
    fn position_bias(&self, t: usize, device: &candle_core::Device) -> Result<Option<Tensor>> {
        let Some(table) = &self.relative_bias else {
            return Ok(None);
        };
        let buckets: Vec<u32> = (0..t)
            .flat_map(|i| (0..t).map(move |j| relative_position_bucket(i, j)))
            .collect();
        let buckets = Tensor::from_vec(buckets, (t, t), device)?;
        let bias = table.forward(&buckets)?.permute((2, 0, 1))?.unsqueeze(0)?;
        Ok(Some(bias.contiguous()?))
    }

    /// Replace every dense layer of the encoder by an int8 copy (weights
    /// per output channel, activations per row at run time). For inference
    /// only: the int8 layers have no gradients. Embeddings, layer norms and
    /// the attention products stay f32.
    /// Whether attention runs with bf16 products: int8 layers (a precision
    /// chosen for speed), BERT's per-key padding bias (MPNet's relative
    /// positions take candle's f32 path) and what
    /// [`policylens_kernels::bf16_attention`] asks of heads and CPU.
    pub fn bf16_attention(&self) -> bool {
        let int8 = self
            .layers
            .first()
            .is_some_and(|l| matches!(l.query, Dense::Int8(_)));
        let head_dim = self.config.hidden_size / self.config.num_attention_heads.max(1);
        int8 && self.relative_bias.is_none() && policylens_kernels::bf16_attention(head_dim)
    }

    pub fn quantize_int8(&mut self) -> Result<()> {
        for l in &mut self.layers {
            for d in [
                &mut l.query,
                &mut l.key,
                &mut l.value,
                &mut l.attention_out,
                &mut l.intermediate,
                &mut l.output,
            ] {
                d.quantize()?;
            }
        }
        Ok(())
    }

    /// The word-embedding matrix (vocab, hidden), which a masked-LM head's
    /// decoder shares.
    pub fn word_embeddings(&self) -> &Tensor {
        self.embeddings.word.embeddings()
    }

    /// Hidden states (batch, seq, hidden). `mask` is 1 for tokens, 0 for padding.
    pub fn forward(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        mask: &Tensor,
        ops: Ops,
    ) -> Result<Tensor> {
        self.forward_rows(ids, type_ids, mask, None, ops)
    }

    /// The last layer's hidden state of the first position only (batch,
    /// hidden): what a `[CLS]` classifier reads. The last layer computes
    /// that one row (attending to every position), which saves most of
    /// its cost; the result equals `forward(...)[:, 0]`.
    pub fn forward_first(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        mask: &Tensor,
        ops: Ops,
    ) -> Result<Tensor> {
        self.forward_rows(ids, type_ids, mask, Some(1), ops)?
            .squeeze(1)
    }

    fn forward_rows(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        mask: &Tensor,
        last_rows: Option<usize>,
        ops: Ops,
    ) -> Result<Tensor> {
        let mut x = self.embeddings.forward(ids, type_ids, ops)?;
        let bias = attention_bias(mask, x.dtype())?;
        let position_bias = self.position_bias(ids.dim(1)?, ids.device())?;
        let n = self.layers.len();
        for (i, layer) in self.layers.iter().enumerate() {
            let rows = if i + 1 == n { last_rows } else { None };
            x = layer.forward(&x, rows, &bias, position_bias.as_ref(), ops)?;
        }
        Ok(x)
    }
}

/// MPNet's number of relative-position buckets (its `config.json`'s
/// `relative_attention_num_buckets`, 32 in every released checkpoint).
const RELATIVE_BUCKETS: usize = 32;

/// (batch, seq) 0/1 mask → (batch, 1, 1, seq) additive bias: 0 where a
/// token may be attended to, a large negative where it is padding.
fn attention_bias(mask: &Tensor, dtype: DType) -> Result<Tensor> {
    let (b, t) = mask.dims2()?;
    let keep = mask.to_dtype(dtype)?.reshape((b, 1, 1, t))?;
    (keep.ones_like()? - keep)? * -1e4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_tiny_encoder, write_tiny_mpnet};
    use candle_core::{Device, Var};
    use candle_nn::VarMap;
    use std::collections::HashMap;

    /// The tiny encoder's weights as trainable variables in `dtype`.
    fn tiny(dtype: DType) -> (tempfile::TempDir, VarMap, Bert) {
        tiny_of(Family::Bert, dtype)
    }

    fn tiny_of(family: Family, dtype: DType) -> (tempfile::TempDir, VarMap, Bert) {
        let tmp = tempfile::tempdir().unwrap();
        match family {
            Family::Bert => write_tiny_encoder(tmp.path(), 3).unwrap(),
            Family::MPNet => write_tiny_mpnet(tmp.path(), 3).unwrap(),
        }
        let raw: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(tmp.path().join("config.json")).unwrap())
                .unwrap();
        let cfg = parse_config(&raw).unwrap();
        let dev = Device::Cpu;
        let weights: HashMap<String, Tensor> =
            candle_core::safetensors::load(tmp.path().join("model.safetensors"), &dev).unwrap();
        let varmap = VarMap::new();
        let model = Bert::load(VarBuilder::from_varmap(&varmap, dtype, &dev), &cfg).unwrap();
        for (name, var) in varmap.data().lock().unwrap().iter() {
            // The tiny writer leaves layer norms at 1/0; perturb them so a
            // wrong layer-norm gradient cannot hide behind symmetric values.
            let w = weights[name].to_dtype(dtype).unwrap();
            let w = if name.contains("LayerNorm") {
                (w + (var.rand_like(-0.3, 0.3).unwrap())).unwrap()
            } else {
                w
            };
            var.set(&w).unwrap();
        }
        (tmp, varmap, model)
    }

    fn batch(dev: &Device) -> (Tensor, Tensor, Tensor) {
        let ids = Tensor::new(&[[2u32, 5, 9, 14, 3], [2, 7, 8, 3, 0]], dev).unwrap();
        let mask = Tensor::new(&[[1u32, 1, 1, 1, 1], [1, 1, 1, 1, 0]], dev).unwrap();
        (ids.clone(), ids.zeros_like().unwrap(), mask)
    }

    #[test]
    fn fused_and_differentiable_forwards_agree_with_candle_transformers() {
        let tmp = tempfile::tempdir().unwrap();
        write_tiny_encoder(tmp.path(), 5).unwrap();
        let cfg: Config =
            serde_json::from_str(&std::fs::read_to_string(tmp.path().join("config.json")).unwrap())
                .unwrap();
        let dev = Device::Cpu;
        let path = tmp.path().join("model.safetensors");
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[&path], DType::F32, &dev) }.unwrap();
        let ours = Bert::load(vb.clone(), &cfg).unwrap();
        let reference = candle_transformers::models::bert::BertModel::load(vb, &cfg).unwrap();
        let (ids, types, mask) = batch(&dev);
        let want = reference.forward(&ids, &types, Some(&mask)).unwrap();
        for ops in [Ops::Fused, Ops::Differentiable] {
            let got = ours.forward(&ids, &types, &mask, ops).unwrap();
            let diff: f32 = (got - &want)
                .unwrap()
                .abs()
                .unwrap()
                .flatten_all()
                .unwrap()
                .max(0)
                .unwrap()
                .to_scalar()
                .unwrap();
            assert!(diff < 1e-4, "{ops:?} differs from BertModel by {diff}");
        }
    }

    /// The largest absolute difference between two tensors of one shape.
    fn gap(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .and_then(|d| d.abs()?.flatten_all()?.max(0)?.to_scalar())
            .unwrap()
    }

    /// A scalar that depends on every hidden value of the real tokens.
    fn loss(model: &Bert, ops: Ops) -> Tensor {
        let dev = Device::Cpu;
        let (ids, types, mask) = batch(&dev);
        let hidden = model.forward(&ids, &types, &mask, ops).unwrap();
        let (_, t, h) = hidden.dims3().unwrap();
        let proj = Tensor::arange(0f64, (t * h) as f64, &dev)
            .unwrap()
            .reshape((1, t, h))
            .unwrap()
            .sin()
            .unwrap()
            .to_dtype(hidden.dtype())
            .unwrap();
        hidden
            .broadcast_mul(&proj)
            .unwrap()
            .tanh()
            .unwrap()
            .sum_all()
            .unwrap()
    }

    #[test]
    fn gradients_match_finite_differences_through_every_layer_norm() {
        gradients_match_finite_differences(Family::Bert);
    }

    #[test]
    fn mpnet_gradients_match_finite_differences_including_the_relative_bias() {
        gradients_match_finite_differences(Family::MPNet);
    }

    fn gradients_match_finite_differences(family: Family) {
        let (_tmp, varmap, model) = tiny_of(family, DType::F64);
        let grads = loss(&model, Ops::Differentiable).backward().unwrap();
        let vars: Vec<(String, Var)> = {
            let data = varmap.data().lock().unwrap();
            let mut v: Vec<_> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        let mut checked = 0;
        for (name, var) in &vars {
            let grad = grads
                .get(var.as_tensor())
                .unwrap_or_else(|| panic!("no gradient reached {name}"));
            let g: Vec<f64> = grad.flatten_all().unwrap().to_vec1().unwrap();
            let w: Vec<f64> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            // Three entries per tensor, spread over it; skip embedding rows
            // that the batch never looks up (their gradient is exactly 0).
            let picks = [0, w.len() / 2, w.len() - 1];
            for &i in &picks {
                if name.contains("word_embeddings") && g[i] == 0.0 {
                    continue;
                }
                let eps = 1e-6;
                let at = |delta: f64| {
                    let mut p = w.clone();
                    p[i] += delta;
                    var.set(&Tensor::from_vec(p, var.shape(), &Device::Cpu).unwrap())
                        .unwrap();
                    let l: f64 = loss(&model, Ops::Differentiable).to_scalar().unwrap();
                    l
                };
                let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
                var.set(&Tensor::from_vec(w.clone(), var.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                let tol = 1e-5 * (1.0 + numeric.abs());
                assert!(
                    (numeric - g[i]).abs() < tol,
                    "{name}[{i}]: backward {} vs finite difference {numeric}",
                    g[i]
                );
                checked += 1;
            }
        }
        // 1 layer: embeddings, norms, dense layers (and MPNet's relative
        // bias table) — every tensor of the model was probed.
        assert!(
            vars.len() >= 19 && checked >= 50,
            "{} tensors, {checked} entries",
            vars.len()
        );
        if family == Family::MPNet {
            assert!(vars
                .iter()
                .any(|(n, _)| n == "encoder.relative_attention_bias.weight"));
        }
    }

    #[test]
    fn relative_position_buckets_follow_hugging_face_mpnet() {
        // Values of transformers' MPNetEncoder.relative_position_bucket
        // (32 buckets, max distance 128) for query i, key j.
        let cases = [
            ((0, 0), 0),
            ((5, 0), 5),
            ((0, 5), 21),
            ((7, 0), 7),
            ((8, 0), 8),
            ((20, 0), 10),
            ((0, 20), 26),
            ((100, 0), 15),
            ((300, 0), 15),
            ((0, 300), 31),
        ];
        for ((i, j), want) in cases {
            assert_eq!(relative_position_bucket(i, j), want, "query {i}, key {j}");
        }
    }

    #[test]
    fn mpnet_fused_and_differentiable_forwards_agree_and_the_relative_bias_matters() {
        let (_tmp, _varmap, model) = tiny_of(Family::MPNet, DType::F32);
        assert_eq!(model.family(), Family::MPNet);
        let (ids, types, mask) = batch(&Device::Cpu);
        let fused = model.forward(&ids, &types, &mask, Ops::Fused).unwrap();
        let diff = model
            .forward(&ids, &types, &mask, Ops::Differentiable)
            .unwrap();
        let apart = gap(&fused, &diff);
        assert!(apart < 1e-5, "fused and differentiable differ by {apart}");
        // Without the relative bias the output changes: it is applied.
        let mut plain = model;
        plain.relative_bias = None;
        let without = plain.forward(&ids, &types, &mask, Ops::Fused).unwrap();
        let moved = gap(&fused, &without);
        assert!(moved > 1e-3, "the relative bias changed nothing ({moved})");
    }

    #[test]
    fn mpnet_configs_parse_without_token_types() {
        let raw = serde_json::json!({
            "vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 1,
            "intermediate_size": 8, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "max_position_embeddings": 16, "initializer_range": 0.02, "layer_norm_eps": 1e-5,
            "pad_token_id": 1, "model_type": "mpnet"
        });
        let cfg = parse_config(&raw).unwrap();
        assert_eq!(Family::of(&cfg), Family::MPNet);
        assert_eq!(Family::MPNet.prefix(), "mpnet");
        let mut bert = raw.clone();
        bert["model_type"] = "bert".into();
        assert_eq!(Family::of(&parse_config(&bert).unwrap()), Family::Bert);
    }

    #[test]
    fn the_first_position_alone_equals_the_full_forward() {
        for family in [Family::Bert, Family::MPNet] {
            first_position_alone_equals_the_full_forward(family);
        }
    }

    fn first_position_alone_equals_the_full_forward(family: Family) {
        let (_tmp, _varmap, model) = tiny_of(family, DType::F32);
        let (ids, types, mask) = batch(&Device::Cpu);
        for ops in [Ops::Fused, Ops::Differentiable] {
            let full: Vec<Vec<f32>> = model
                .forward(&ids, &types, &mask, ops)
                .unwrap()
                .narrow(1, 0, 1)
                .unwrap()
                .squeeze(1)
                .unwrap()
                .to_vec2()
                .unwrap();
            let first: Vec<Vec<f32>> = model
                .forward_first(&ids, &types, &mask, ops)
                .unwrap()
                .to_vec2()
                .unwrap();
            for (a, b) in full.iter().flatten().zip(first.iter().flatten()) {
                assert!((a - b).abs() < 1e-5, "{ops:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn the_fused_forward_stops_gradients_at_layer_norms() {
        // The reason for `Ops::Differentiable`: if candle gains a backward
        // pass for its fused kernels this fails, and the split can go.
        let (_tmp, varmap, model) = tiny(DType::F32);
        let grads = loss(&model, Ops::Fused).backward().unwrap();
        let data = varmap.data().lock().unwrap();
        let norm = &data["encoder.layer.0.output.LayerNorm.weight"];
        let query = &data["encoder.layer.0.attention.self.query.weight"];
        assert!(grads.get(norm.as_tensor()).is_none());
        assert!(grads.get(query.as_tensor()).is_none());
    }
}
