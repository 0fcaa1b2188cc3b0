#!/usr/bin/env python3
"""Score an ensemble of models from their `policylens eval --scores` files.

Each model is scored on validation and test with

    policylens eval VALID --model M --scores M.valid.jsonl
    policylens eval TEST  --model M --scores M.test.jsonl

and this script averages the models' scores per clause and label, picks
per-label thresholds on validation exactly as `policylens train` does (the
F1-maximising cut, midway between neighbouring scores), and prints the
per-label, macro and micro figures on validation and test, computed as
`policylens eval` computes them (macro: mean of per-label F1 over the labels
with gold positives in that split; micro: pooled counts over those labels).

    scripts/experiments/ensemble_eval.py --valid A.valid.jsonl B.valid.jsonl \
                                         --test A.test.jsonl B.test.jsonl [--labels a,b] [--each]

`--each` first reports every model on its own test file as `policylens eval`
did (the `predicted` labels, from the model's own thresholds), and the mean
and sample standard deviation over the models of per-label, macro and micro
F1: the figure for N seeds of one recipe.

Standard library only.
"""

import argparse
import json
import sys


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def mean_scores(paths, labels):
    runs = [read(p) for p in paths]
    texts = [r["text"] for r in runs[0]]
    for p, run in zip(paths, runs):
        if [r["text"] for r in run] != texts:
            sys.exit(f"{p}: clauses differ from {paths[0]} (same data, same order expected)")
    gold = [set(r["gold"]) for r in runs[0]]
    scores = [
        [sum(run[i]["scores"][l] for run in runs) / len(runs) for l in labels]
        for i in range(len(texts))
    ]
    return gold, scores


def calibrate(scores, gold, labels):
    out = []
    for j, label in enumerate(labels):
        pairs = sorted(((s[j], label in g) for s, g in zip(scores, gold)), key=lambda p: -p[0])
        total = sum(g for _, g in pairs)
        if total == 0:
            out.append(0.5)
            continue
        tp, best_f1, best_t = 0, -1.0, 0.5
        for i, (p, g) in enumerate(pairs):
            tp += g
            nxt = pairs[i + 1][0] if i + 1 < len(pairs) else None
            if nxt == p:
                continue
            f1 = 2 * tp / (i + 1 + total)
            if f1 > best_f1:
                best_f1, best_t = f1, (p + nxt) / 2 if nxt is not None else p
        out.append(best_t)
    return out


def report(scores, gold, labels, thresholds, only):
    rows, pooled = [], [0, 0, 0]
    for j, label in enumerate(labels):
        tp = fp = fn = 0
        for s, g in zip(scores, gold):
            pred, gl = s[j] >= thresholds[j], label in g
            tp += pred and gl
            fp += pred and not gl
            fn += gl and not pred
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        counted = tp + fn > 0 and (only is None or label in only)
        rows.append((label, p, r, f1, tp + fn, counted))
        if counted:
            pooled = [pooled[0] + tp, pooled[1] + fp, pooled[2] + fn]
    counted = [r for r in rows if r[5]]
    macro = sum(r[3] for r in counted) / max(len(counted), 1)
    tp, fp, fn = pooled
    micro = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return rows, macro, micro


def show(name, rows, macro, micro):
    print(f"{name}:\n{'label':<15}{'P':>8}{'R':>8}{'F1':>8}{'support':>9}")
    for label, p, r, f1, support, counted in rows:
        mark = "" if counted else "  (not averaged)"
        print(f"{label:<15}{p:>8.4f}{r:>8.4f}{f1:>8.4f}{support:>9}{mark}")
    print(f"{'macro-F1':<15}{macro:>24.4f}\n{'micro-F1':<15}{micro:>24.4f}\n")


def mean_sd(xs):
    m = sum(xs) / len(xs)
    sd = (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 if len(xs) > 1 else 0.0
    return f"{m:.4f} ± {sd:.4f}"


def each(args, labels, only):
    runs = []
    for t in args.test:
        lines = read(t)
        gold = [set(r["gold"]) for r in lines]
        # Predictions as 1/0 scores against a 0.5 cut: exactly the model's own.
        pred = [[float(l in r["predicted"]) for l in labels] for r in lines]
        rows, macro, micro = report(pred, gold, labels, [0.5] * len(labels), only)
        print(f"{t}: test macro-F1 {macro:.4f}, micro-F1 {micro:.4f}")
        runs.append((rows, macro, micro))
    print(f"\nmean ± sd over {len(runs)} models, test:")
    for j, label in enumerate(labels):
        if runs[0][0][j][5]:
            print(f"{label:<15}F1 {mean_sd([r[0][j][3] for r in runs])}")
    print(f"{'macro-F1':<15}   {mean_sd([r[1] for r in runs])}")
    print(f"{'micro-F1':<15}   {mean_sd([r[2] for r in runs])}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--valid", nargs="+", required=True)
    ap.add_argument("--test", nargs="+", required=True)
    ap.add_argument("--labels", help="average over these labels only (comma-separated)")
    ap.add_argument("--each", action="store_true", help="also each model alone, and mean ± sd")
    args = ap.parse_args()
    if len(args.valid) != len(args.test):
        sys.exit("give one validation and one test file per model, in the same order")
    # The labels every model scores, in the first model's order (a 12-label
    # model ensembles with a 13-label one on their 12 shared labels).
    per_model = [read(v)[0]["scores"].keys() for v in args.valid]
    labels = [l for l in per_model[0] if all(l in m for m in per_model[1:])]
    only = set(args.labels.split(",")) if args.labels else None
    if args.each:
        each(args, labels, only)
    vgold, vscores = mean_scores(args.valid, labels)
    thresholds = calibrate(vscores, vgold, labels)
    print(f"{len(args.valid)} model(s); thresholds picked on validation")
    show("validation", *report(vscores, vgold, labels, thresholds, only))
    tgold, tscores = mean_scores(args.test, labels)
    show("test", *report(tscores, tgold, labels, thresholds, only))


if __name__ == "__main__":
    main()
