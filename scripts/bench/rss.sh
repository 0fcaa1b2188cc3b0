#!/usr/bin/env bash
# Peak memory of `policylens label` on the OPP-115 original HTML policies,
# and on the same corpus repeated 10× (symlinks under 10 names each), to show
# that memory stays flat as the corpus grows (documents stream through in
# chunks of --chunk). Also prints the share of wall time spent reading,
# segmenting and tokenizing ("prepare") against inference and writing.
#
#   scripts/bench/rss.sh [--precision int8] [other label options]
#
# Needs ../shared/data/opp115; builds policylens in release mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=../shared/data/opp115/original_policies
[ -d "$src" ] || { echo "rss: $src is missing" >&2; exit 1; }
cargo build --release --quiet -p policylens
bin=target/release/policylens
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/x1" "$work/x10"
for f in "$src"/*.html; do
    ln -s "$(realpath "$f")" "$work/x1/$(basename "$f")"
    for i in $(seq -w 1 10); do ln -s "$(realpath "$f")" "$work/x10/$i-$(basename "$f")"; done
done
for corpus in x1 x10; do
    n=$(ls "$work/$corpus" | wc -l)
    /usr/bin/time -f "%M" -o "$work/rss" "$bin" label "$work/$corpus" -o "$work/out-$corpus" --quiet "$@" 2> "$work/log" || true
    summary=$(grep '^labeled' "$work/log")
    echo "$corpus: $n policies; peak RSS $(( $(cat "$work/rss") / 1024 )) MiB; $summary"
done
