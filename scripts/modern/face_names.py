"""Counterfactual copies of training clauses against the "Face" shortcut.

The shipped model reads the token "Face" in a company name (Hugging Face,
"Acme Face SAS") as biometric. This writes, for every training clause of
datasets/modern that names its own service and is not about biometrics, one
copy with that name replaced by an invented organisation name built on
"face" (Brightface, Facet Media, …), labels unchanged: a company's name
carries no practice.

The invented names are ours and differ from every name in
datasets/shortcuts (the look-alike and name-swap checks), so those checks
stay a measurement, not a target.

    python scripts/modern/face_names.py datasets/modern/clauses.jsonl OUT.jsonl [--standalone]

--standalone draws from names where "Face" stands as a word of its own
("Open Face Studio"), the form of the Hugging Face shortcut; without it,
the names step 10 of docs/training.md used ("Brightface"), whose
WordPiece tokens never include the word "Face" alone.
"""

import random
import re
import sys

from counterfactual import write_copies

SEED = 7
NAMES = ["Brightface", "Facet Media", "Faceworks", "Clearface Ltd", "Everface", "Boldface Games",
         "Facetly", "Openface Studio", "Faceplate Labs", "Redface Software", "Northface Analytics",
         "Faceline SAS", "Cliffface Holdings", "Faceon Systems", "Facewell GmbH", "Moonface Inc."]

STANDALONE = ["Open Face Studio", "Blue Face Media", "Happy Face Games", "Clock Face Labs", "Bold Face Press",
              "Red Face Software", "North Face Analytics", "Face Forward Ltd", "About Face Consulting",
              "Paper Face SAS", "Face Value Cloud", "Smiling Face GmbH"]


def service_name(service: str) -> str:
    return re.sub(r"\.(com|org|gov|edu|fr|ie|me)$", "", service).replace("-", " ")


def main():
    src, out = sys.argv[1], sys.argv[2]
    names = STANDALONE if "--standalone" in sys.argv[3:] else NAMES
    rng = random.Random(SEED)

    def rewrite(r):
        pattern = re.compile(r"\b" + re.escape(service_name(r["service"])) + r"\b")
        if not pattern.search(r["text"]):
            return None
        return pattern.sub(rng.choice(names), r["text"])

    write_copies(src, out, rewrite, "face")


if __name__ == "__main__":
    main()
