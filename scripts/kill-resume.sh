#!/usr/bin/env bash
# Kill a labeling run with SIGKILL part-way, run the same command again, and
# check that the resumed run ends with exactly the tables of a clean run.
#
#   scripts/kill-resume.sh BIN INPUT_DIR KILL_AFTER_SECONDS [label options...]
#   e.g. scripts/kill-resume.sh target/release/policylens ../shared/data/ota/privacy-policies 60 --precision int8
#
# Prints the clean time, the time to the kill, the resume time, what was
# left in the folder after the kill, and whether both tables are
# byte-identical to the clean run's.
set -euo pipefail
bin=$(realpath "$1"); input=$2; kill_after=$3; shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

t0=$(date +%s.%N)
"$bin" label "$input" -o "$work/clean" --quiet "$@" || true
t1=$(date +%s.%N)
echo "clean run: $(echo "$t1 - $t0" | bc) s"

"$bin" label "$input" -o "$work/killed" --quiet "$@" &
pid=$!
sleep "$kill_after"
kill -9 "$pid" 2>/dev/null && echo "killed after ${kill_after} s" || echo "run ended before the kill"
wait "$pid" 2>/dev/null || true
echo "left after the kill: $(ls "$work/killed" | tr '\n' ' ')"
# Parts are named FIRST-END.documents.parquet (documents FIRST to END-1).
parts=$(ls "$work/killed/_parts" 2>/dev/null | grep 'documents.parquet$' || true)
docs=0
for p in $parts; do r=${p%%.*}; docs=$((docs + 10#${r#*-} - 10#${r%-*})); done
echo "committed: $(echo "$parts" | grep -c . || true) parts, $docs documents"

t2=$(date +%s.%N)
"$bin" label "$input" -o "$work/killed" "$@" --quiet 2>&1 | grep -E '^resumed|holds this run' || true
t3=$(date +%s.%N)
echo "resume run: $(echo "$t3 - $t2" | bc) s"
echo "left after the resume: $(ls -A "$work/killed" | tr '\n' ' ')"
same=0
for t in documents clauses; do
    if cmp -s "$work/clean/$t.parquet" "$work/killed/$t.parquet"; then
        echo "$t.parquet: identical to the clean run ($(stat -c %s "$work/clean/$t.parquet") bytes)"
    else
        echo "$t.parquet: DIFFERS from the clean run"; same=1
    fi
done
exit $same
