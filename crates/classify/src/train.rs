//! Training a multi-label head on frozen encoder embeddings (thresholds are
//! [`crate::calibrate`]'s).

use crate::error::{ClassifyError, Result};
use crate::head::Head;
use candle_core::{DType, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

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

/// softplus(x) = log(1 + e^x), stable for large |x|, from differentiable ops.
fn softplus(x: &Tensor) -> candle_core::Result<Tensor> {
    x.relu()? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?
}

/// Mean binary cross-entropy on logits, with per-label positive weights,
/// over the entries where `mask` is 1 (all entries when there is no mask).
pub fn bce_with_logits(
    logits: &Tensor,
    targets: &Tensor,
    pos_weight: &Tensor,
    mask: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    focal_bce_with_logits(logits, targets, pos_weight, mask, 0.0)
}

/// [`bce_with_logits`] with the focal modulation of Lin et al. (2017): the
/// positive term is scaled by (1 − p)^γ and the negative one by p^γ, so
/// entries the model already gets right weigh less and the rare, hard ones
/// (most of a rare label's positives, its confusable negatives) more.
/// γ = 0 is plain BCE. Targets may be soft (distillation).
pub fn focal_bce_with_logits(
    logits: &Tensor,
    targets: &Tensor,
    pos_weight: &Tensor,
    mask: Option<&Tensor>,
    gamma: f64,
) -> candle_core::Result<Tensor> {
    // −log p = softplus(−x) and −log(1 − p) = softplus(x).
    let (nll_pos, nll_neg) = (softplus(&logits.neg()?)?, softplus(logits)?);
    let (mut pos, mut neg) = (nll_pos.clone(), nll_neg.clone());
    if gamma != 0.0 {
        // (1 − p)^γ = exp(−γ·softplus(x)) and p^γ = exp(−γ·softplus(−x)).
        pos = pos.mul(&(&nll_neg * -gamma)?.exp()?)?;
        neg = neg.mul(&(&nll_pos * -gamma)?.exp()?)?;
    }
    let pos = targets.broadcast_mul(pos_weight)?.mul(&pos)?;
    let neg = (targets.ones_like()? - targets)?.mul(&neg)?;
    let loss = (pos + neg)?;
    match mask {
        None => loss.mean_all(),
        Some(m) => loss
            .mul(m)?
            .sum_all()?
            .broadcast_div(&m.sum_all()?.clamp(1.0, f64::MAX)?),
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

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn bce_matches_the_closed_form() {
        let dev = Device::Cpu;
        let logits = Tensor::new(&[[0f32, 2.0], [-3.0, 50.0]], &dev).unwrap();
        let y = Tensor::new(&[[1f32, 0.0], [0.0, 1.0]], &dev).unwrap();
        let pw = Tensor::new(&[1f32, 1.0], &dev).unwrap();
        let got = bce_with_logits(&logits, &y, &pw, None)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let s = |z: f32| 1.0 / (1.0 + (-z).exp());
        let want =
            (-(s(0.0)).ln() - (1.0 - s(2.0)).ln() - (1.0 - s(-3.0)).ln() - s(50.0).ln()) / 4.0;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        // Masking out all but the first entry leaves that entry's loss alone.
        let mask = Tensor::new(&[[1f32, 0.0], [0.0, 0.0]], &dev).unwrap();
        let one = bce_with_logits(&logits, &y, &pw, Some(&mask))
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((one - (-(s(0.0)).ln())).abs() < 1e-5, "{one}");
    }

    #[test]
    fn focal_loss_discounts_easy_entries_and_is_bce_at_gamma_zero() {
        let dev = Device::Cpu;
        let logits = Tensor::new(&[[3f32, -0.5], [-3.0, 0.5]], &dev).unwrap();
        let y = Tensor::new(&[[1f32, 1.0], [0.0, 0.0]], &dev).unwrap();
        let pw = Tensor::new(&[2f32, 1.0], &dev).unwrap();
        let at = |gamma: f64, mask: &[[f32; 2]; 2]| {
            let m = Tensor::new(mask, &dev).unwrap();
            focal_bce_with_logits(&logits, &y, &pw, Some(&m), gamma)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        };
        let all = [[1f32, 1.0], [1.0, 1.0]];
        let bce = bce_with_logits(&logits, &y, &pw, None)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((at(0.0, &all) - bce).abs() < 1e-6);
        // One easy positive (p = 0.95) against γ = 2: weighted by (1 − p)².
        let s = |z: f32| 1.0 / (1.0 + (-z).exp());
        let easy = at(2.0, &[[1.0, 0.0], [0.0, 0.0]]);
        let want = 2.0 * (1.0 - s(3.0)).powi(2) * -(s(3.0)).ln();
        assert!((easy - want).abs() < 1e-6, "{easy} vs {want}");
        // A hard negative (p = 0.62) keeps far more of its loss than an easy one.
        let keep = |mask| at(2.0, mask) / at(0.0, mask);
        let (hard, easy) = (
            keep(&[[0.0, 0.0], [0.0, 1.0]]),
            keep(&[[0.0, 0.0], [1.0, 0.0]]),
        );
        assert!((hard - s(0.5).powi(2)).abs() < 1e-5, "{hard}");
        assert!(hard > 100.0 * easy, "{hard} vs {easy}");
    }

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
