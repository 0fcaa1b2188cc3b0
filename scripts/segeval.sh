#!/usr/bin/env bash
# Segmentation quality on OPP-115: word recall/precision and clause-boundary
# agreement of `policylens-segment` against the sanitized policies annotators saw.
# Usage: scripts/segeval.sh [OPP115_DIR [RENDERED_DIR]]   (default ../shared/data/opp115)
# RENDERED_DIR: text renderings of the pages (scripts/render-opp115.sh), segmented as text.
# SEGEVAL_VERBOSE=1 also prints, per policy, the word runs only one side has.
# SEGEVAL_AS_IS=1 (with RENDERED_DIR) scores the files' words as they are, unsegmented
# (an extractor's output: scripts/extractors/compare.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -p policylens-segment --example opp115_segeval -- "${1:-../shared/data/opp115}" ${2:+"$2"}
