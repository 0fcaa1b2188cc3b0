#!/usr/bin/env bash
# Render OPP-115's saved pages to text the way crawlers and users dump web
# pages (w3m, lynx, html2text), to measure segmentation of scraped text:
#
#   scripts/render-opp115.sh OUT [OPP115_DIR]
#   scripts/segeval.sh OPP115_DIR OUT/w3m     (likewise OUT/lynx, OUT/html2text)
#
# Needs w3m and lynx (apt-get install w3m lynx) and html2text (pip install
# html2text; HTML2TEXT=path/to/html2text to pick one). The renderings are
# derived from OPP-115 (research use only): keep them out of the repository.
set -euo pipefail
out=${1:?usage: render-opp115.sh OUT [OPP115_DIR]}
dir=${2:-../shared/data/opp115}
h2t=${HTML2TEXT:-html2text}
mkdir -p "$out/w3m" "$out/lynx" "$out/html2text"
n=0
for page in "$dir"/original_policies/*.html; do
    name=$(basename "$page" .html)
    w3m -dump -T text/html -O UTF-8 -cols 100 "$page" > "$out/w3m/$name.txt" 2>/dev/null || true
    lynx -dump -force_html -display_charset=utf-8 -width=100 "$page" > "$out/lynx/$name.txt" 2>/dev/null || true
    "$h2t" --decode-errors=replace "$page" utf-8 > "$out/html2text/$name.txt" 2>/dev/null || true
    n=$((n + 1))
done
echo "rendered $n pages with w3m, lynx and html2text into $out"
