#!/usr/bin/env bash
# Fit the document-kind model (policylens-kind) and measure it on services
# held out from training; writes models/policylens-kind/kind.json.
# Usage: scripts/train-kind.sh [OTA_DIR [WRITTEN_DIR [OUT]]]
#   OTA_DIR      Open Terms Archive documents (default ../shared/data/ota)
#   WRITTEN_DIR  non-policy pages written for PolicyLens (default datasets/kinds/written)
#   OUT          the model file (default models/policylens-kind/kind.json)
# OPP-115's saved pages (../shared/data/opp115/original_policies) are a
# second held-out check when present. KIND_EXPLAIN=1 prints, for each miss,
# the words that pushed it most towards the kind it was given.
set -euo pipefail
cd "$(dirname "$0")/.."
opp=../shared/data/opp115/original_policies
exec cargo run --release -q -p policylens-kind --example train_kind -- \
  "${1:-../shared/data/ota}" "${2:-datasets/kinds/written}" "${3:-models/policylens-kind/kind.json}" \
  $( [ -d "$opp" ] && echo "$opp" )
