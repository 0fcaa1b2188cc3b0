"""Draw the clauses of the modern annotated corpus (datasets/modern) from the
Open Terms Archive privacy policies, cut by PolicyLens's own segmenter.

What it does, in order:
1. segments every policy in OTA/privacy-policies with `policylens.segment`;
2. keeps English policy text: documents whose words are mostly English, and
   clauses of at least MIN_WORDS words (shorter lines are menu items, labels
   and headings, which the annotated corpus does not cover);
3. groups policies that share clause text (one provider's several policies,
   e.g. Google's) so that a group never straddles two splits;
4. picks groups at random (seeded) into test / validation / train and draws
   PER_POLICY clauses at random from each chosen policy, dropping texts
   already drawn.

Writes `sample.jsonl` (id, text, heading, source, service, split, position)
and prints counts. Run: target/python/venv/bin/python scripts/modern/sample.py OTA_DIR OUT_DIR
"""

import json
import random
import re
import sys
from pathlib import Path

import policylens

SEED = 20261203
MIN_WORDS = 8
PER_POLICY = 19
POLICIES = 170
TEST_POLICIES = 40
VALIDATION_POLICIES = 25
MIN_ELIGIBLE = 20  # a policy needs this many usable clauses to be drawn from

# One provider's policies share text, so they go to one split. Shared text
# is caught by `group_by_shared_text`; these are the families it missed
# (versions reworded, or a product notice that defers to the group policy).
PROVIDERS = {
    "Google": ["Google-Ads", "Google-Analytics", "Google-Pay", "Gmail", "Blogger", "Youtube-Kids",
               "Stadia", "Chrome-and-Chrome-OS", "Reserve-with-Google", "AdSense", "Google-Voice"],
    "Amazon": ["Amazon-Advertising", "Amazon-Publisher", "Amazon-Web-Services", "Amazon.com", "IMDb"],
    "Microsoft": ["Microsoft", "Microsoft-Store", "Bing", "MSN", "LinkedIn"],
    "Mozilla": ["Mozilla", "Firefox", "Thunderbird", "Firefox-Private-Network", "MDN-Plus"],
    "Proton": ["Proton-Mail", "ProtonMail", "ProtonVPN"],
    "Automattic": ["WordPress.com", "WordPress.org", "Tumblr"],
    "Match Group": ["Match", "Tinder", "OkCupid"],
    "Meta": ["Instagram", "CrowdTangle"],
    "Wikimedia": ["Wikimedia-Foundation", "Wikipedia"],
    "Blizzard": ["Blizzard", "Blizzard-Entertainment"],
    "TP-Link": ["Tp-link", "TP-Link"],
    "Wolfram": ["Wolfram", "WolframAlpha"],
    "Hearst": ["Hearst.com", "Womans-Day"],
    "Reach": ["The-Mirror", "The-Reach-Group"],
}

ENGLISH = set("the and of to you your we our in for is that or are with this by may be on as information data".split())


def english_share(texts):
    words = [w.lower() for t in texts for w in re.findall(r"[A-Za-z]+", t)]
    if not words:
        return 0.0
    return sum(w in ENGLISH for w in words) / len(words)


def eligible(text):
    return len(text.split()) >= MIN_WORDS


def load_policies(root: Path):
    policies = {}
    for path in sorted((root / "privacy-policies").glob("*.md")):
        try:
            df = policylens.segment(path)
        except policylens.PolicyLensError as e:
            print(f"skip ({e})", file=sys.stderr)
            continue
        rows = [r for r in df.iter_rows(named=True)]
        if english_share([r["text"] for r in rows]) < 0.18:
            print(f"skip (not English): {path.name}", file=sys.stderr)
            continue
        usable = [r for r in rows if eligible(r["text"])]
        if len(usable) < MIN_ELIGIBLE:
            print(f"skip ({len(usable)} usable clauses): {path.name}", file=sys.stderr)
            continue
        policies[path.stem] = usable
    return policies


def group_by_shared_text(policies):
    """Union-find over policies that share at least 3 identical clauses or 20%
    of the smaller one's clauses."""
    parent = {p: p for p in policies}

    def find(p):
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    texts = {p: {r["text"] for r in rows} for p, rows in policies.items()}
    names = sorted(policies)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            shared = len(texts[a] & texts[b])
            if shared >= 3 or shared >= 0.2 * min(len(texts[a]), len(texts[b])):
                parent[find(a)] = find(b)
    groups = {}
    for p in names:
        groups.setdefault(find(p), []).append(p)
    return sorted(groups.values())


def keep_providers_together(split_of):
    """A provider whose policies landed in more than one split goes wholly to
    train: test and validation policies must be used nowhere else."""
    for provider, services in PROVIDERS.items():
        drawn = [s for s in services if s in split_of]
        if len({split_of[s] for s in drawn}) > 1:
            for s in drawn:
                if split_of[s] != "train":
                    print(f"{s}: {split_of[s]} -> train (provider {provider})", file=sys.stderr)
                split_of[s] = "train"


def main():
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    policies = load_policies(root)
    groups = group_by_shared_text(policies)
    rng.shuffle(groups)
    print(f"{len(policies)} usable English policies in {len(groups)} groups", file=sys.stderr)

    split_of, counts = {}, {"test": 0, "validation": 0, "train": 0}
    for group in groups:
        if sum(counts.values()) >= POLICIES:
            break
        split = ("test" if counts["test"] < TEST_POLICIES else
                 "validation" if counts["validation"] < VALIDATION_POLICIES else "train")
        for p in group:
            split_of[p] = split
            counts[split] += 1

    keep_providers_together(split_of)

    seen, rows = set(), []
    for service in sorted(split_of):
        pool = [r for r in policies[service] if r["text"] not in seen]
        for r in sorted(rng.sample(pool, min(PER_POLICY, len(pool))), key=lambda r: r["position"]):
            seen.add(r["text"])
            rows.append({
                "text": r["text"], "heading": r["heading"],
                "source": f"privacy-policies/{service}.md", "service": service,
                "split": split_of[service], "position": r["position"],
            })
    rng.shuffle(rows)  # ids say nothing about policy or split
    with open(out / "sample.jsonl", "w") as f:
        for i, r in enumerate(rows, 1):
            f.write(json.dumps({"id": f"mod-{i:04d}", **r}, ensure_ascii=False) + "\n")
    by_split = {s: sum(r["split"] == s for r in rows) for s in counts}
    policies_by_split = {s: sum(v == s for v in split_of.values()) for s in counts}
    print(json.dumps({"policies": policies_by_split, "clauses": by_split, "total": len(rows)}))


if __name__ == "__main__":
    main()
