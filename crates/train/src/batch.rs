//! Training examples and the padded batches they are fed in: one example
//! per clause window, batches of similar length in a seeded order.

use candle_core::{Device, Result, Tensor};
use policylens_classify::seqcls::pad;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// One training or evaluation example: model input ids (`[CLS] … [SEP]`),
/// 0/1 targets per label, and which targets are supervised.
#[derive(Debug, Clone)]
pub struct Example {
    pub ids: Vec<u32>,
    pub targets: Vec<f32>,
    pub supervised: Vec<f32>,
}

/// A padded batch on the device.
pub struct Batch {
    pub ids: Tensor,
    pub type_ids: Tensor,
    pub mask: Tensor,
    pub targets: Tensor,
    pub supervised: Tensor,
    pub tokens: usize,
}

impl Batch {
    pub fn new(examples: &[&Example], pad_id: u32, device: &Device) -> Result<Self> {
        let n = examples.len();
        let n_labels = examples.first().map_or(0, |e| e.targets.len());
        let (mut targets, mut supervised) = (Vec::new(), Vec::new());
        for e in examples {
            targets.extend_from_slice(&e.targets);
            supervised.extend_from_slice(&e.supervised);
        }
        let seqs: Vec<Vec<u32>> = examples.iter().map(|e| e.ids.clone()).collect();
        let (ids, mask) = pad(&seqs, pad_id, device)?;
        Ok(Self {
            type_ids: ids.zeros_like()?,
            ids,
            mask,
            targets: Tensor::from_vec(targets, (n, n_labels), device)?,
            supervised: Tensor::from_vec(supervised, (n, n_labels), device)?,
            tokens: examples.iter().map(|e| e.ids.len()).sum(),
        })
    }
}

/// Groups of example indices of similar length, in a seeded random order:
/// sort by length, cut into batches, shuffle the batches.
pub fn length_batches(lengths: &[usize], batch_size: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    // Shuffle first so equal lengths are not always grouped the same way.
    order.shuffle(&mut rng);
    order.sort_by_key(|&i| lengths[i]);
    let mut batches: Vec<Vec<usize>> = order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect();
    batches.shuffle(&mut rng);
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_batches_cover_every_example_once_and_repeat_per_seed() {
        let lengths: Vec<usize> = (0..50).map(|i| (i * 37) % 23).collect();
        let a = length_batches(&lengths, 8, 3);
        let mut all: Vec<usize> = a.concat();
        all.sort();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        assert_eq!(a, length_batches(&lengths, 8, 3));
        assert_ne!(a, length_batches(&lengths, 8, 4));
        // Within a batch lengths are close: spread no more than the sorted neighbourhood.
        for b in &a {
            let (lo, hi) = (
                b.iter().map(|&i| lengths[i]).min().unwrap(),
                b.iter().map(|&i| lengths[i]).max().unwrap(),
            );
            assert!(hi - lo <= 5, "batch spans lengths {lo}..{hi}");
        }
    }
}
