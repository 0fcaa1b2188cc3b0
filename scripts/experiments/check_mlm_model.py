"""Load an encoder adapted by `policylens pretrain` in Python `transformers`
as a `BertForMaskedLM`, unchanged, and let it fill in masked policy words.

    python scripts/experiments/check_mlm_model.py ADAPTED_DIR

Needs torch and transformers (not installed by CI). Fails when a weight of
the masked-LM model is missing from the directory (the decoder, tied to the
word embeddings, is not stored), and prints the top three fillers of a few
policy sentences: a working head predicts policy words, a fresh one noise.
"""

import sys

import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer

SENTENCES = [
    "We may [MASK] your personal information with third parties.",
    "You can opt out of [MASK] advertising at any time.",
    "We retain your data for as long as your [MASK] is active.",
    "We use cookies and similar [MASK] to remember your preferences.",
    "Our services are not directed to [MASK] under the age of 13.",
]


def main() -> None:
    model_dir = sys.argv[1]
    model, info = AutoModelForMaskedLM.from_pretrained(model_dir, output_loading_info=True)
    missing = [k for k in info["missing_keys"] if "decoder" not in k]
    print(f"{type(model).__name__}: missing {missing}, unexpected {info['unexpected_keys']}")
    if missing:
        sys.exit("weights missing from the directory")
    tok = AutoTokenizer.from_pretrained(model_dir)
    model.eval()
    for s in SENTENCES:
        enc = tok(s, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits
        pos = (enc["input_ids"][0] == tok.mask_token_id).nonzero()[0, 0]
        top = logits[0, pos].topk(3).indices.tolist()
        print(f"{s}\n    -> {tok.convert_ids_to_tokens(top)}")


if __name__ == "__main__":
    main()
