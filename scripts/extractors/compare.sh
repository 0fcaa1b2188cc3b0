#!/usr/bin/env bash
# Word recall and precision on OPP-115 of maintained main-content extractors
# next to policylens-segment: same pages, same metric (opp115_segeval).
#
#   scripts/extractors/compare.sh [OPP115_DIR]     # default ../shared/data/opp115
#
# Installs pinned trafilatura, readability-lxml, jusText and Resiliparse into a
# throwaway venv and builds dom_smoothie in a throwaway cargo project, both
# under $COMPARE_WORK (default ${TMPDIR:-/tmp}/policylens-extractors; reused
# when run again). Each extractor writes its text of every original HTML page
# to $COMPARE_WORK/out/SYSTEM/NAME.txt (extract.py, dom_smoothie_text.rs), which
# `SEGEVAL_AS_IS=1 scripts/segeval.sh OPP115_DIR FOLDER` scores as it is; our
# row is plain `scripts/segeval.sh OPP115_DIR`. Prints one Markdown table.
# COMPARE_NO_DOM_SMOOTHIE=1 leaves dom_smoothie out (its build takes minutes).
# The outputs are derived from OPP-115 (research use only): they stay out of
# the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(realpath "${1:-../shared/data/opp115}")
[ -d "$dir/original_policies" ] || { echo "compare: $dir/original_policies is missing" >&2; exit 1; }
work=${COMPARE_WORK:-${TMPDIR:-/tmp}/policylens-extractors}
venv=$work/venv
out=$work/out
mkdir -p "$work" "$out"
pages=("$dir"/original_policies/*.html)

# Python extractors. pip 23 (Python 3.11's ensurepip) fails to resolve lxml[html-clean].
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check pip==26.3
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    trafilatura==2.3.1 readability-lxml==0.9 jusText==3.0.2 Resiliparse==2.0.1 \
    lxml==6.1.3 lxml_html_clean==0.4.6
"$venv/bin/pip" freeze --disable-pip-version-check > "$work/pip-freeze.txt"
nice -n 19 "$venv/bin/python" scripts/extractors/extract.py "$out" "${pages[@]}"

# dom_smoothie (Rust, crates.io), in its own project and target folder.
systems=(trafilatura trafilatura-recall readability-lxml justext resiliparse)
if [ -z "${COMPARE_NO_DOM_SMOOTHIE:-}" ]; then
    ds=$work/dom_smoothie
    mkdir -p "$ds/src" "$out/dom_smoothie"
    cp scripts/extractors/dom_smoothie_text.rs "$ds/src/main.rs"
    cat > "$ds/Cargo.toml" <<'EOF'
[package]
name = "dom_smoothie_text"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
dom_smoothie = "=0.19.0"
chardetng = "=1.0.0"
encoding_rs = "=0.8.44"

[workspace]
EOF
    CARGO_TARGET_DIR=$ds/target nice -n 19 cargo build --release -j1 --quiet --manifest-path "$ds/Cargo.toml"
    nice -n 19 "$ds/target/release/dom_smoothie_text" "$out/dom_smoothie" "${pages[@]}"
    systems+=(dom_smoothie)
fi

# Scores: the example's macro means over the same pages.
version() {
    case $1 in
        trafilatura*) "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("trafilatura"))' ;;
        readability-lxml) "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("readability-lxml"))' ;;
        justext) "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("jusText"))' ;;
        resiliparse) "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("Resiliparse"))' ;;
        dom_smoothie) sed -n '/^name = "dom_smoothie"$/{n;s/version = "\(.*\)"/\1/p}' "$work/dom_smoothie/Cargo.lock" ;;
        policylens) echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates/segment/src crates/read/src || echo +changes)" ;;
    esac
}
row() {  # row SYSTEM SEGEVAL_OUTPUT
    local n empty=-
    n=$(sed -n 's/^OPP-115 .* vs sanitized policies: \([0-9]*\) policies.*/\1/p' "$2")
    [ "$1" = policylens ] || empty=$(grep -L '[[:alnum:]]' "$out/$1"/*.txt | wc -l)
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(version "$1")" "$n" "$empty" \
        "$(awk '/^  word recall/ {print $3}' "$2")" "$(awk '/^  word precision/ {print $3}' "$2")" \
        "$(sed -n 's/^  medians: recall \([0-9.]*\), precision \([0-9.]*\);.*/\1 \/ \2/p' "$2")"
}
nice -n 19 scripts/segeval.sh "$dir" > "$work/segeval-policylens.txt"
for s in "${systems[@]}"; do
    SEGEVAL_AS_IS=1 nice -n 19 scripts/segeval.sh "$dir" "$out/$s" > "$work/segeval-$s.txt"
done
echo
echo "| system | version | pages | empty outputs | word recall | word precision | medians R / P |"
echo "|---|---|---|---|---|---|---|"
row policylens "$work/segeval-policylens.txt"
for s in "${systems[@]}"; do row "$s" "$work/segeval-$s.txt"; done
echo
echo "per-page scores: $work/segeval-*.txt; extractor texts: $out; pinned: $work/pip-freeze.txt"
