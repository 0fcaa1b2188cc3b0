//! The training loss: binary cross-entropy on logits per label, with
//! per-label positive weights, a mask of supervised entries, soft targets
//! (distillation) and optional focal modulation.

use candle_core::Tensor;

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
}
