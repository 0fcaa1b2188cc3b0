//! The optimiser and its schedule: AdamW with decoupled weight decay,
//! global gradient-norm clipping, and linear warm-up then decay.

use candle_core::{backprop::GradStore, DType, Device, Result, Tensor, Var};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::Path;

/// AdamW (Loshchilov & Hutter, 2019) with decoupled weight decay; moments
/// are kept by name so they can be checkpointed.
pub struct AdamW {
    params: Vec<(String, Var)>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    pub step: usize,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
}

impl AdamW {
    pub fn new(varmap: &VarMap, weight_decay: f64) -> Result<Self> {
        let mut params: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .expect("varmap lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let zeros = |p: &[(String, Var)]| -> Result<Vec<Tensor>> {
            p.iter().map(|(_, v)| v.as_tensor().zeros_like()).collect()
        };
        Ok(Self {
            m: zeros(&params)?,
            v: zeros(&params)?,
            params,
            step: 0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
        })
    }

    fn decays(name: &str) -> bool {
        !(name.ends_with(".bias") || name.contains("LayerNorm"))
    }

    /// One update at learning rate `lr`. Parameters without a gradient are left alone.
    pub fn update(&mut self, grads: &GradStore, lr: f64) -> Result<()> {
        self.step += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(self.step as i32);
        let c2 = 1.0 - b2.powi(self.step as i32);
        for (i, (name, var)) in self.params.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            self.m[i] = ((&self.m[i] * b1)? + (g * (1.0 - b1))?)?;
            self.v[i] = ((&self.v[i] * b2)? + (g.sqr()? * (1.0 - b2))?)?;
            let step = ((&self.m[i] / c1)? / ((&self.v[i] / c2)?.sqrt()? + self.eps)?)?;
            let mut w = var.as_tensor().clone();
            if Self::decays(name) {
                w = (w * (1.0 - lr * self.weight_decay))?;
            }
            var.set(&(w - (step * lr)?)?)?;
        }
        Ok(())
    }

    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        let mut map = HashMap::new();
        for (i, (name, _)) in self.params.iter().enumerate() {
            map.insert(format!("m.{name}"), self.m[i].clone());
            map.insert(format!("v.{name}"), self.v[i].clone());
        }
        candle_core::safetensors::save(&map, path)
    }

    pub(crate) fn load(&mut self, path: &Path, device: &Device) -> Result<()> {
        let map = candle_core::safetensors::load(path, device)?;
        for (i, (name, _)) in self.params.iter().enumerate() {
            let get = |k: String| {
                map.get(&k)
                    .cloned()
                    .ok_or_else(|| candle_core::Error::Msg(format!("{}: no {k}", path.display())))
            };
            self.m[i] = get(format!("m.{name}"))?;
            self.v[i] = get(format!("v.{name}"))?;
        }
        Ok(())
    }
}

/// Global L2 norm of all gradients; scales them down to `max_norm` when above it.
pub fn clip_grad_norm(grads: &mut GradStore, params: &[Var], max_norm: f64) -> Result<f64> {
    let mut total = 0f64;
    for p in params {
        if let Some(g) = grads.get(p.as_tensor()) {
            total += g
                .sqr()?
                .sum_all()?
                .to_dtype(DType::F64)?
                .to_scalar::<f64>()?;
        }
    }
    let norm = total.sqrt();
    if norm > max_norm && norm > 0.0 {
        let scale = max_norm / norm;
        for p in params {
            if let Some(g) = grads.remove(p.as_tensor()) {
                grads.insert(p.as_tensor(), (g * scale)?);
            }
        }
    }
    Ok(norm)
}

/// Learning rate at `step` (0-based) of `total`: linear warm-up over
/// `warmup` steps to `peak`, then linear decay to zero.
pub fn learning_rate(step: usize, total: usize, warmup: usize, peak: f64) -> f64 {
    if step < warmup {
        peak * (step + 1) as f64 / warmup as f64
    } else {
        let left = total.saturating_sub(step) as f64;
        peak * left / (total.saturating_sub(warmup)).max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_warms_up_then_decays_to_zero() {
        let lr: Vec<f64> = (0..10).map(|s| learning_rate(s, 10, 2, 1.0)).collect();
        assert_eq!(lr[0], 0.5);
        assert_eq!(lr[1], 1.0);
        assert_eq!(lr[2], 1.0, "decay starts from the peak");
        assert!(lr.windows(2).skip(2).all(|w| w[1] < w[0]));
        assert!((lr[9] - 0.125).abs() < 1e-12, "{lr:?}");
    }

    #[test]
    fn clipping_scales_the_global_norm_down_only() {
        let dev = Device::Cpu;
        let a = Var::new(&[1f32, 2.0], &dev).unwrap();
        let b = Var::new(&[3f32], &dev).unwrap();
        let loss = ((a.as_tensor() * 3.0).unwrap().sum_all().unwrap()
            + (b.as_tensor() * 4.0).unwrap().sum_all().unwrap())
        .unwrap();
        let mut grads = loss.backward().unwrap();
        let params = [a.clone(), b.clone()];
        let norm = clip_grad_norm(&mut grads, &params, 1.0).unwrap();
        assert!((norm - 34f64.sqrt()).abs() < 1e-6);
        let after = clip_grad_norm(&mut grads, &params, 100.0).unwrap();
        assert!((after - 1.0).abs() < 1e-6, "{after}");
    }
}
