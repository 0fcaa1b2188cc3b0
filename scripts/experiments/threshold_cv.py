#!/usr/bin/env python3
"""Choose how to set thresholds from validation alone: split-half cross-validation.

Per-label thresholds are fitted to the validation clauses they are then
scored on, so validation cannot say whether they generalise. This script
splits the validation clauses in half at random, fits thresholds on one
half and scores the other, both ways, over many random splits, for:

- per-label: each label's own F1-maximising cut (`policylens train`'s
  default, `--threshold-prior 0`);
- shared: one cut for every label, the one maximising macro-F1 (grid of 0.01);
- prior k: each label pulled toward the shared cut by k positives,
  (n_pos * own + k * shared) / (n_pos + k), as `policylens calibrate
  --threshold-prior k` and `train --threshold-prior k` do.

Input: `policylens eval VALID --model M --scores M.validation.jsonl` files.

    scripts/experiments/threshold_cv.py M1.validation.jsonl [M2...] [--labels a,b] [--splits 20]

Standard library only. Test files are never read.
"""

import argparse
import random
import statistics

from ensemble_eval import calibrate, mean_scores, read, report

PRIORS = [5, 10, 20, 40]


def shared_cut(scores, gold, labels):
    best_f1, best_t = -1.0, 0.5
    for step in range(1, 100):
        t = step / 100
        macro = report(scores, gold, labels, [t] * len(labels), None)[1]
        if macro > best_f1:
            best_f1, best_t = macro, t
    return best_t


def strategies(scores, gold, labels):
    own = calibrate(scores, gold, labels)
    shared = shared_cut(scores, gold, labels)
    out = {"per-label": own, "shared": [shared] * len(labels)}
    positives = [sum(l in g for g in gold) for l in labels]
    for k in PRIORS:
        out[f"prior {k}"] = [(n * o + k * shared) / (n + k) for o, n in zip(own, positives)]
    return out


def cross_validate(scores, gold, labels, only, splits, seed):
    rng = random.Random(seed)
    idx = list(range(len(gold)))
    results = {}
    for _ in range(splits):
        rng.shuffle(idx)
        half = len(idx) // 2
        for fit, held in ((idx[:half], idx[half:]), (idx[half:], idx[:half])):
            fs, fg = [scores[i] for i in fit], [gold[i] for i in fit]
            hs, hg = [scores[i] for i in held], [gold[i] for i in held]
            for name, t in strategies(fs, fg, labels).items():
                _, macro, micro = report(hs, hg, labels, t, only)
                results.setdefault(name, []).append((macro, micro))
    return results


def labels_of(path, wanted):
    scored = list(read(path)[0]["scores"].keys())
    if not wanted:
        return scored
    return [l for l in scored if l in wanted.split(",")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("valid", nargs="+", help="one --scores file per model (each studied alone)")
    ap.add_argument("--labels", help="labels to study (comma-separated); default: all scored")
    ap.add_argument("--splits", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for path in args.valid:
        labels = labels_of(path, args.labels)
        gold, scores = mean_scores([path], labels)
        res = cross_validate(scores, gold, labels, None, args.splits, args.seed)
        print(f"{path}: held-out half, mean over {2 * args.splits} fits")
        print(f"{'strategy':<12}{'macro-F1':>10}{'micro-F1':>10}")
        for name, xs in res.items():
            macro = statistics.mean(x[0] for x in xs)
            micro = statistics.mean(x[1] for x in xs)
            print(f"{name:<12}{macro:>10.4f}{micro:>10.4f}")
        print()


if __name__ == "__main__":
    main()
