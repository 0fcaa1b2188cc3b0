//! BERT (Devlin et al., 2019) written out layer by layer so it can be
//! trained, with weight names that follow Hugging Face checkpoints
//! (`embeddings.*`, `encoder.layer.N.*`, optionally under `bert.`).
//!
//! Why not candle-transformers' `BertModel`: it uses candle-nn's fused
//! `layer_norm` and `softmax_last_dim`, which have no backward pass, so
//! gradients stop at every layer norm and nothing below the top one learns.
//! Here every op has two spellings chosen by [`Ops`]: the fused kernels for
//! inference, and the same arithmetic composed from primitive, differentiable
//! tensor ops for training. One model, one set of weights, two forwards.

use crate::quant::QLinear;
use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{Embedding, Linear, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

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
pub(crate) fn activation(x: Tensor, act: HiddenAct, ops: Ops) -> Result<Tensor> {
    if own_kernels(&x, ops) && act == HiddenAct::Gelu && x.is_contiguous() {
        x.inplace_op1(&crate::kernels::GeluErf)?;
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
    token_type: Embedding,
    norm: LayerNorm,
}

impl Embeddings {
    fn load(vb: VarBuilder, cfg: &Config) -> Result<Self> {
        let h = cfg.hidden_size;
        Ok(Self {
            word: candle_nn::embedding(cfg.vocab_size, h, vb.pp("word_embeddings"))?,
            position: candle_nn::embedding(
                cfg.max_position_embeddings,
                h,
                vb.pp("position_embeddings"),
            )?,
            token_type: candle_nn::embedding(
                cfg.type_vocab_size,
                h,
                vb.pp("token_type_embeddings"),
            )?,
            norm: LayerNorm::load(vb.pp("LayerNorm"), h, cfg.layer_norm_eps)?,
        })
    }

    fn forward(&self, ids: &Tensor, type_ids: &Tensor, ops: Ops) -> Result<Tensor> {
        let seq_len = ids.dim(1)?;
        let positions = Tensor::arange(0u32, seq_len as u32, ids.device())?;
        let x = self
            .word
            .forward(ids)?
            .add(&self.token_type.forward(type_ids)?)?
            .broadcast_add(&self.position.forward(&positions)?)?;
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
        let own = attn.pp("self");
        Ok(Self {
            query: Dense::load(h, h, own.pp("query"))?,
            key: Dense::load(h, h, own.pp("key"))?,
            value: Dense::load(h, h, own.pp("value"))?,
            attention_out: Dense::load(h, h, attn.pp("output").pp("dense"))?,
            attention_norm: LayerNorm::load(attn.pp("output").pp("LayerNorm"), h, eps)?,
            intermediate: Dense::load(h, i, vb.pp("intermediate").pp("dense"))?,
            output: Dense::load(i, h, vb.pp("output").pp("dense"))?,
            output_norm: LayerNorm::load(vb.pp("output").pp("LayerNorm"), h, eps)?,
            heads: cfg.num_attention_heads,
            act: cfg.hidden_act,
        })
    }

    /// `bias`: additive attention mask, (batch, 1, 1, seq), 0 or a large negative.
    /// The block's output for the first `rows` positions (all when `None`):
    /// every position is attended to, but only those rows are computed.
    fn forward(&self, x: &Tensor, rows: Option<usize>, bias: &Tensor, ops: Ops) -> Result<Tensor> {
        let xq = match rows {
            Some(n) => x.narrow(1, 0, n)?.contiguous()?,
            None => x.clone(),
        };
        let context = self.self_attention(x, &xq, bias, ops)?;
        let x = self
            .attention_norm
            .forward(&(self.attention_out.forward(&context)? + xq)?, ops)?;
        let ff = activation(self.intermediate.forward(&x)?, self.act, ops)?;
        self.output_norm
            .forward(&(self.output.forward(&ff)? + x)?, ops)
    }
}

impl Layer {
    /// Multi-head self-attention before the output projection, for the
    /// query positions `xq` (b, tq, h) over all positions of `x` (b, t, h).
    fn self_attention(&self, x: &Tensor, xq: &Tensor, bias: &Tensor, ops: Ops) -> Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let tq = xq.dim(1)?;
        let (q, k, v) = (
            self.query.forward(xq)?.contiguous()?,
            self.key.forward(x)?.contiguous()?,
            self.value.forward(x)?.contiguous()?,
        );
        if own_kernels(x, ops) {
            let bias = bias.reshape((b * t,))?.to_vec1::<f32>()?;
            let mut out = vec![0f32; b * tq * h];
            let (qs, ql) = q.storage_and_layout();
            let (ks, kl) = k.storage_and_layout();
            let (vs, vl) = v.storage_and_layout();
            crate::kernels::attention(
                crate::kernels::cpu_f32(&qs, ql)?,
                crate::kernels::cpu_f32(&ks, kl)?,
                crate::kernels::cpu_f32(&vs, vl)?,
                &bias,
                (b, tq, t, self.heads),
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
    pub config: Config,
}

impl Bert {
    /// Load from a builder rooted at the checkpoint; weights may sit under
    /// `bert.` (as in `BertForSequenceClassification`) or at the top level
    /// (as in sentence-transformers' `BertModel` exports).
    pub fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let embeddings = Embeddings::load(vb.pp("embeddings"), config)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            embeddings,
            layers,
            config: config.clone(),
        })
    }

    /// Replace every dense layer of the encoder by an int8 copy (weights
    /// per output channel, activations per row at run time). For inference
    /// only: the int8 layers have no gradients. Embeddings, layer norms and
    /// the attention products stay f32.
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
        let n = self.layers.len();
        for (i, layer) in self.layers.iter().enumerate() {
            let rows = if i + 1 == n { last_rows } else { None };
            x = layer.forward(&x, rows, &bias, ops)?;
        }
        Ok(x)
    }
}

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
    use crate::testing::write_tiny_encoder;
    use candle_core::{Device, Var};
    use candle_nn::VarMap;
    use std::collections::HashMap;

    /// The tiny encoder's weights as trainable variables in `dtype`.
    fn tiny(dtype: DType) -> (tempfile::TempDir, VarMap, Bert) {
        let tmp = tempfile::tempdir().unwrap();
        write_tiny_encoder(tmp.path(), 3).unwrap();
        let cfg: Config =
            serde_json::from_str(&std::fs::read_to_string(tmp.path().join("config.json")).unwrap())
                .unwrap();
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
        let (_tmp, varmap, model) = tiny(DType::F64);
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
        // 1 layer: 3 embeddings + 2 norms×… — every tensor of the model was probed.
        assert!(
            vars.len() >= 20 && checked >= 50,
            "{} tensors, {checked} entries",
            vars.len()
        );
    }

    #[test]
    fn the_first_position_alone_equals_the_full_forward() {
        let (_tmp, _varmap, model) = tiny(DType::F32);
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
