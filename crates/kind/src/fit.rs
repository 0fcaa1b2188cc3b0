//! Fitting a [`KindModel`] to labelled documents: a vocabulary by document
//! frequency, then a class-balanced, L2-penalised logistic regression by
//! full-batch Adam (a few hundred documents: milliseconds per step).

use crate::{Kind, KindModel, Words};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct FitOptions {
    /// A word is kept when this many training documents hold it.
    pub min_documents: usize,
    /// At most this many words, the most widespread first.
    pub max_words: usize,
    /// L2 penalty on the weights.
    pub l2: f32,
    pub steps: usize,
    pub learning_rate: f32,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            min_documents: 3,
            max_words: 20_000,
            l2: 1e-3,
            steps: 400,
            learning_rate: 0.05,
        }
    }
}

/// Fit a model to `docs`, whose kinds are `kinds`.
pub fn fit(docs: &[Words], kinds: &[Kind], opts: &FitOptions) -> KindModel {
    assert_eq!(docs.len(), kinds.len(), "one kind per document");
    let (vocabulary, idf) = vocabulary(docs, opts);
    let n_words = vocabulary.len();
    let mut model = KindModel::new(vocabulary, idf, vec![[0.0; 4]; n_words], [0.0; 4]);
    let xs: Vec<Vec<(usize, f32)>> = docs.iter().map(|d| model.vector(d)).collect();
    let weights = class_weights(kinds);
    let total: f32 = kinds.iter().map(|k| weights[k.index()]).sum();

    let mut adam = Adam::new(n_words + 1, opts.learning_rate);
    for _ in 0..opts.steps {
        let mut grad = vec![[0.0f32; 4]; n_words + 1];
        for (x, kind) in xs.iter().zip(kinds) {
            let p = model.probabilities(x);
            let c = weights[kind.index()] / total;
            let g: [f32; 4] = std::array::from_fn(|k| c * (p[k] - f32::from(k == kind.index())));
            for &(i, v) in x {
                for k in 0..4 {
                    grad[i][k] += v * g[k];
                }
            }
            for k in 0..4 {
                grad[n_words][k] += g[k];
            }
        }
        for (g, w) in grad.iter_mut().zip(&model.weights) {
            for k in 0..4 {
                g[k] += opts.l2 * w[k];
            }
        }
        let mut params: Vec<&mut [f32; 4]> = model.weights.iter_mut().collect();
        params.push(&mut model.bias);
        adam.step(params, &grad);
    }
    model
}

/// Words held by at least `min_documents` documents, the most widespread
/// first (ties by name, so a fit is reproducible), with their idf.
fn vocabulary(docs: &[Words], opts: &FitOptions) -> (Vec<String>, Vec<f32>) {
    let mut df: HashMap<&str, usize> = HashMap::new();
    for d in docs {
        for w in d.counts.keys() {
            *df.entry(w.as_str()).or_default() += 1;
        }
    }
    let mut kept: Vec<(&str, usize)> = df
        .into_iter()
        .filter(|&(_, n)| n >= opts.min_documents)
        .collect();
    kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    kept.truncate(opts.max_words);
    let n = docs.len() as f32;
    kept.into_iter()
        .map(|(w, d)| (w.to_string(), ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0))
        .unzip()
}

/// Each class weighs as much as the others in the loss, however few its
/// documents.
fn class_weights(kinds: &[Kind]) -> [f32; 4] {
    let mut counts = [0usize; 4];
    kinds.iter().for_each(|k| counts[k.index()] += 1);
    let present = counts.iter().filter(|&&c| c > 0).count() as f32;
    counts.map(|c| {
        if c == 0 {
            0.0
        } else {
            kinds.len() as f32 / (present * c as f32)
        }
    })
}

struct Adam {
    m: Vec<[f32; 4]>,
    v: Vec<[f32; 4]>,
    t: i32,
    lr: f32,
}

impl Adam {
    fn new(n: usize, lr: f32) -> Self {
        Adam {
            m: vec![[0.0; 4]; n],
            v: vec![[0.0; 4]; n],
            t: 0,
            lr,
        }
    }

    fn step(&mut self, params: Vec<&mut [f32; 4]>, grad: &[[f32; 4]]) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.t += 1;
        let c1 = 1.0 - B1.powi(self.t);
        let c2 = 1.0 - B2.powi(self.t);
        for (i, p) in params.into_iter().enumerate() {
            for k in 0..4 {
                let g = grad[i][k];
                self.m[i][k] = B1 * self.m[i][k] + (1.0 - B1) * g;
                self.v[i][k] = B2 * self.v[i][k] + (1.0 - B2) * g * g;
                p[k] -= self.lr * (self.m[i][k] / c1) / ((self.v[i][k] / c2).sqrt() + 1e-8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(place_words: &[&str]) -> Words {
        let mut w = Words::default();
        for pw in place_words {
            *w.counts.entry(pw.to_string()).or_default() += 1;
        }
        w
    }

    #[test]
    fn a_fit_separates_kinds_it_has_seen_and_is_reproducible() {
        let mut docs = Vec::new();
        let mut kinds = Vec::new();
        for i in 0..6 {
            let extra = format!("b:filler{}", i % 2);
            docs.push(words(&["t:privacy", "b:collect", "b:personal", &extra]));
            kinds.push(Kind::PrivacyPolicy);
            docs.push(words(&["t:terms", "b:agree", "b:liability", &extra]));
            kinds.push(Kind::Terms);
            docs.push(words(&["t:cookie", "b:cookies", "b:browser", &extra]));
            kinds.push(Kind::CookiePolicy);
            docs.push(words(&["t:news", "b:said", "b:reported", &extra]));
            kinds.push(Kind::Other);
        }
        let opts = FitOptions {
            min_documents: 2,
            ..Default::default()
        };
        let model = fit(&docs, &kinds, &opts);
        for (d, k) in docs.iter().zip(&kinds) {
            let v = model.classify_words(d);
            assert_eq!(v.kind, *k);
            assert!(v.score > 0.5, "{v:?}");
            assert!((v.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        assert!(
            !model.vocabulary.contains(&"b:unseen".to_string()),
            "rare words stay out"
        );
        let again = fit(&docs, &kinds, &opts);
        assert_eq!(again.vocabulary, model.vocabulary);
        assert_eq!(again.weights, model.weights);
    }

    #[test]
    fn rare_kinds_weigh_as_much_as_common_ones() {
        let kinds = [Kind::Terms, Kind::Terms, Kind::Terms, Kind::Other];
        let w = class_weights(&kinds);
        assert!((w[Kind::Terms.index()] * 3.0 - w[Kind::Other.index()]).abs() < 1e-6);
        assert_eq!(w[Kind::PrivacyPolicy.index()], 0.0);
    }
}
