//! The fine-tuned classifier: Hugging Face's `BertForSequenceClassification`
//! (or `MPNetForSequenceClassification`) — the [`Bert`] encoder, the
//! first-token pooler and a linear classifier — with one forward for
//! scoring and, through [`Ops::Differentiable`] and [`Dropout`], the one
//! training differentiates. Directories in this layout load in Python
//! `transformers` unchanged ([`crate::hf`] reads and writes them).

use crate::bert::{Bert, Family, Ops};
use candle_core::{Device, Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder};
use candle_transformers::models::bert::Config;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `BertForSequenceClassification`: encoder, `[CLS]` pooler, linear classifier.
/// For an MPNet encoder, `MPNetForSequenceClassification`, whose head is the
/// same maths under other names: `classifier.dense` (tanh) then
/// `classifier.out_proj`.
pub struct SequenceClassifier {
    pub bert: Bert,
    pooler: Linear,
    classifier: Linear,
}

impl SequenceClassifier {
    /// Build under `vb` with Hugging Face names (`bert.*`, `classifier.*`;
    /// for MPNet `mpnet.*`, `classifier.dense.*`, `classifier.out_proj.*`).
    pub fn new(vb: VarBuilder, config: &Config, n_labels: usize) -> Result<Self> {
        let h = config.hidden_size;
        let family = Family::of(config);
        let pooler = match family {
            Family::Bert => vb.pp("bert").pp("pooler").pp("dense"),
            Family::MPNet => vb.pp("classifier").pp("dense"),
        };
        let classifier = vb.pp(Self::output_layer(family));
        Ok(Self {
            bert: Bert::load(vb.pp(family.prefix()), config)?,
            pooler: candle_nn::linear(h, h, pooler)?,
            classifier: candle_nn::linear(h, n_labels, classifier)?,
        })
    }

    /// Where the output layer (one row per label) lives: `classifier`, or
    /// `classifier.out_proj` for MPNet.
    pub fn output_layer(family: Family) -> &'static str {
        match family {
            Family::Bert => "classifier",
            Family::MPNet => "classifier.out_proj",
        }
    }

    /// Logits for model inputs (`[CLS] … [SEP]` each), padded here.
    pub fn logits_for(
        &self,
        seqs: &[Vec<u32>],
        pad_id: u32,
        device: &Device,
        ops: Ops,
    ) -> Result<Tensor> {
        self.classifier
            .forward(&self.pooled_for(seqs, pad_id, device, ops)?)
    }

    /// Pooled `[CLS]` features (batch, hidden): what the classifier reads.
    pub fn pooled_for(
        &self,
        seqs: &[Vec<u32>],
        pad_id: u32,
        device: &Device,
        ops: Ops,
    ) -> Result<Tensor> {
        let (ids, mask) = pad(seqs, pad_id, device)?;
        self.pooled(&ids, &ids.zeros_like()?, &mask, ops)
    }

    fn pooled(&self, ids: &Tensor, type_ids: &Tensor, mask: &Tensor, ops: Ops) -> Result<Tensor> {
        let cls = self.bert.forward_first(ids, type_ids, mask, ops)?;
        self.pooler.forward(&cls)?.tanh()
    }

    /// Logits (batch, labels) of padded `ids` (batch, tokens) with their
    /// token types and 0/1 attention mask. `dropout` (training only) drops
    /// pooled features.
    pub fn logits(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        mask: &Tensor,
        ops: Ops,
        dropout: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let mut pooled = self.pooled(ids, type_ids, mask, ops)?;
        if let Some(d) = dropout {
            pooled = d.apply(&pooled)?;
        }
        self.classifier.forward(&pooled)
    }
}

/// Inverted dropout with masks drawn from a seeded generator (candle's own
/// CPU generator cannot be seeded).
pub struct Dropout {
    p: f32,
    rng: StdRng,
}

impl Dropout {
    pub fn new(p: f32, seed: u64) -> Self {
        Self {
            p,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    fn apply(&mut self, x: &Tensor) -> Result<Tensor> {
        if self.p <= 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 - self.p;
        let mask: Vec<f32> = (0..x.elem_count())
            .map(|_| {
                if self.rng.random::<f32>() < keep {
                    1.0 / keep
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?;
        x.mul(&mask)
    }
}

/// Pad sequences to the longest: ids and a 0/1 attention mask, (n, longest).
pub fn pad(seqs: &[Vec<u32>], pad_id: u32, device: &Device) -> Result<(Tensor, Tensor)> {
    let n = seqs.len();
    let t = seqs.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let (mut ids, mut mask) = (Vec::with_capacity(n * t), Vec::with_capacity(n * t));
    for s in seqs {
        ids.extend_from_slice(s);
        ids.extend(std::iter::repeat_n(pad_id, t - s.len()));
        mask.extend(std::iter::repeat_n(1u32, s.len()));
        mask.extend(std::iter::repeat_n(0u32, t - s.len()));
    }
    Ok((
        Tensor::from_vec(ids, (n, t), device)?,
        Tensor::from_vec(mask, (n, t), device)?,
    ))
}

impl SequenceClassifier {
    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.classifier.weight().device().clone()
    }
}
