#!/usr/bin/env bash
# Modern policies as crawlers dump them: the Open Terms Archive privacy
# policies (Markdown) are turned into HTML pages (python-markdown, pinned) and
# dumped to text by w3m, lynx and html2text, as scripts/render-opp115.sh does
# for OPP-115's pages; each dump is then segmented as text and scored by word
# recall against the policy's own words (the Markdown source without link
# targets, images and markup). The pages carry no chrome, so what this
# measures is what the text-chrome rules take away from real policy text.
#
#   scripts/dumped/run.sh [OTA_POLICIES_DIR]   # default ../shared/data/ota/privacy-policies
#
# Needs w3m and lynx (apt-get install w3m lynx); installs markdown and
# html2text into a throwaway venv under $DUMPED_WORK (default
# ${TMPDIR:-/tmp}/policylens-dumped). DUMPED_WORST=N lists the N worst documents.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$(realpath "${1:-../shared/data/ota/privacy-policies}")
work=${DUMPED_WORK:-${TMPDIR:-/tmp}/policylens-dumped}
venv=$work/venv
mkdir -p "$work"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check markdown==3.10 html2text==2025.4.15
"$venv/bin/python" scripts/dumped/render.py "$src" "$work/html"
for r in w3m lynx html2text; do mkdir -p "$work/$r"; done
for page in "$work"/html/*.html; do
    name=$(basename "$page" .html)
    w3m -dump -T text/html -O UTF-8 -cols 100 "$page" > "$work/w3m/$name.txt" 2>/dev/null || true
    lynx -dump -force_html -display_charset=utf-8 -width=100 "$page" > "$work/lynx/$name.txt" 2>/dev/null || true
    "$venv/bin/html2text" --decode-errors=replace "$page" utf-8 > "$work/html2text/$name.txt" 2>/dev/null || true
done
cargo build --release -q -p policylens-segment --example clauses
for r in w3m lynx html2text; do
    python3 scripts/dumped/score.py "$r" "$work/html" "$work/$r" target/release/examples/clauses "${DUMPED_WORST:-0}"
done
