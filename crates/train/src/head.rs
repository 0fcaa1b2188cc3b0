//! Training a multi-label head on frozen encoder features (thresholds are
//! [`crate::calibrate`]'s): the features of every clause window, their
//! targets, the hyper-parameter [`grid`] tried on validation, and the
//! logistic head itself ([`train_head`]).

use crate::loss::bce_with_logits;
use crate::observe::Observer;
use candle_core::Device;
use candle_core::{DType, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use policylens_classify::head::Head;
use policylens_classify::TokenizedClause;
use policylens_classify::{ClassifyError, Result};

/// Hyper-parameters of head training.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeadParams {
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub steps: usize,
    /// Scale the loss of positive examples by (negatives / positives)^power per
    /// label: 0 is plain BCE, 0.5 a square-root rebalancing.
    pub pos_weight_power: f64,
}

impl Default for HeadParams {
    fn default() -> Self {
        Self {
            learning_rate: 0.01,
            weight_decay: 1e-4,
            steps: 400,
            pos_weight_power: 0.0,
        }
    }
}

/// Fit a head `[n_labels, hidden]` on embeddings `x` `[n, hidden]` and
/// 0/1 targets `y` `[n, n_labels]` by full-batch AdamW. The problem is convex,
/// so the zero start makes the result deterministic.
///
/// Features are standardised while training (unit-length sentence
/// embeddings have tiny per-dimension spread, which starves the optimiser);
/// the scaling is folded back into the weights, so the stored head is a plain
/// linear layer over the raw embeddings.
/// `mask` `[n, n_labels]` (1 = supervised) lets weakly labeled examples
/// teach some labels only; `None` supervises every entry.
pub fn train_head(
    x: &Tensor,
    y: &Tensor,
    mask: Option<&Tensor>,
    params: &HeadParams,
) -> Result<Head> {
    // Scaling statistics come from fully supervised rows only, so weakly
    // labeled rows from another corpus do not move every label's features.
    let full = match mask {
        None => Tensor::ones((x.dim(0)?, 1), DType::F32, x.device())?,
        Some(m) => m.min_keepdim(1)?,
    };
    let count = full.sum_all()?.clamp(1.0, f64::MAX)?;
    let mean = x
        .broadcast_mul(&full)?
        .sum_keepdim(0)?
        .broadcast_div(&count)?;
    let centered = x.broadcast_sub(&mean)?;
    let std = centered
        .sqr()?
        .broadcast_mul(&full)?
        .sum_keepdim(0)?
        .broadcast_div(&count)?
        .sqrt()?
        .clamp(1e-6, f64::MAX)?;
    let z = centered.broadcast_div(&std)?;
    let head = train_standardized(&z, y, mask, params)?;
    // w·(x-μ)/σ + b  =  (w/σ)·x + (b - (w/σ)·μ)
    let weight = head.weight.broadcast_div(&std)?;
    let bias = (head.bias - weight.matmul(&mean.t()?)?.squeeze(1)?)?;
    Ok(Head { weight, bias })
}

fn train_standardized(
    x: &Tensor,
    y: &Tensor,
    mask: Option<&Tensor>,
    params: &HeadParams,
) -> Result<Head> {
    let (n, hidden) = x.dims2()?;
    let (n2, labels) = y.dims2()?;
    if n != n2 || n == 0 {
        return Err(ClassifyError::Training(format!(
            "{n} embeddings but {n2} target rows"
        )));
    }
    let dev = x.device();
    let (positives, supervised): (Vec<f32>, Vec<f32>) = match mask {
        None => (y.sum(0)?.to_vec1()?, vec![n as f32; labels]),
        Some(m) => (y.mul(m)?.sum(0)?.to_vec1()?, m.sum(0)?.to_vec1()?),
    };
    let pw: Vec<f32> = positives
        .iter()
        .zip(&supervised)
        .map(|(&p, &s)| ((s - p).max(1.0) / p.max(1.0)).powf(params.pos_weight_power as f32))
        .collect();
    let pw = Tensor::from_vec(pw, labels, dev)?;
    let w = Var::zeros((labels, hidden), DType::F32, dev)?;
    let b = Var::zeros(labels, DType::F32, dev)?;
    let mut opt = AdamW::new(
        vec![w.clone(), b.clone()],
        ParamsAdamW {
            lr: params.learning_rate,
            weight_decay: params.weight_decay,
            ..Default::default()
        },
    )?;
    for _ in 0..params.steps {
        let logits = x
            .matmul(&w.as_tensor().t()?)?
            .broadcast_add(b.as_tensor())?;
        let loss = bce_with_logits(&logits, y, &pw, mask)?;
        opt.backward_step(&loss)?;
    }
    Ok(Head {
        weight: w.as_tensor().detach(),
        bias: b.as_tensor().detach(),
    })
}

/// Clauses embedded per call, between progress reports.
const CHUNK: usize = 256;

/// The feature rows of every window of `tokens` (`features` of chunks of
/// clauses gives rows and each row's clause within the chunk), with each
/// row's clause index.
pub fn window_features(
    tokens: &[TokenizedClause],
    what: &str,
    observer: &dyn Observer,
    mut features: impl FnMut(&[TokenizedClause]) -> Result<(Tensor, Vec<usize>)>,
) -> Result<(Tensor, Vec<usize>)> {
    observer.start(what, tokens.len());
    let (mut rows, mut owner) = (Vec::new(), Vec::new());
    for (k, chunk) in tokens.chunks(CHUNK).enumerate() {
        let (emb, own) = features(chunk)?;
        rows.push(emb);
        owner.extend(own.into_iter().map(|i| i + k * CHUNK));
        observer.advance(chunk.len());
    }
    observer.finish();
    Ok((Tensor::cat(&rows, 0)?, owner))
}

/// 0/1 targets (windows, labels): each window carries its clause's `gold`.
pub fn window_targets(gold: &[Vec<bool>], owner: &[usize], device: &Device) -> Result<Tensor> {
    let n_labels = gold.first().map_or(0, Vec::len);
    let flat: Vec<f32> = owner
        .iter()
        .flat_map(|&i| gold[i].iter().map(|&g| g as u8 as f32))
        .collect();
    Ok(Tensor::from_vec(flat, (owner.len(), n_labels), device)?)
}

/// The hyper-parameter grid tried on validation.
pub fn grid() -> Vec<HeadParams> {
    let mut g = Vec::new();
    for steps in [100, 300, 600] {
        for weight_decay in [0.1, 1.0] {
            for pos_weight_power in [0.0, 0.5] {
                g.push(HeadParams {
                    learning_rate: 0.01,
                    weight_decay,
                    steps,
                    pos_weight_power,
                });
            }
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn head_learns_a_separable_problem() {
        let dev = Device::Cpu;
        // label 0 fires when feature 0 is positive, label 1 when feature 1 is.
        let xs: Vec<f32> = vec![1., 0., 0.9, 0.1, 0., 1., 0.1, 0.8, -1., 0., 0., -1.];
        let ys: Vec<f32> = vec![1., 0., 1., 0., 0., 1., 0., 1., 0., 0., 0., 0.];
        let x = Tensor::from_vec(xs, (6, 2), &dev).unwrap();
        let y = Tensor::from_vec(ys, (6, 2), &dev).unwrap();
        let head = train_head(
            &x,
            &y,
            None,
            &HeadParams {
                learning_rate: 0.1,
                steps: 300,
                ..Default::default()
            },
        )
        .unwrap();
        let p: Vec<Vec<f32>> = head.probabilities(&x).unwrap().to_vec2().unwrap();
        assert!(
            p[0][0] > 0.8 && p[0][1] < 0.5 && p[2][1] > 0.8 && p[4][0] < 0.2,
            "{p:?}"
        );
    }
}
