#!/usr/bin/env bash
# Browser test of `policylens report`: render reports and load them in Debian's
# chromium through playwright-core (tests/browser/test.mjs). Installs chromium
# with apt-get when /usr/bin/chromium is missing; never downloads a browser.
#
#   tests/browser/run.sh
#
# Reports and screenshots land in target/browser/ (report-overview.png,
# report-policy.png, report-1000.png). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT="$ROOT/target/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM SHOTS_DIR="$OUT"

say() { echo "browser-test: $*" >&2; }
fail() {
    say "FAILED: $*"
    exit 1
}

if [ ! -x "$CHROMIUM" ]; then
    say "$CHROMIUM is missing: installing Debian's chromium with apt-get"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq || fail "apt-get update"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null ||
        fail "apt-get install chromium"
fi
command -v node >/dev/null || fail "node is required (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || fail "npm is required"

say "npm ci (playwright-core, pinned by tests/browser/package-lock.json)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/browser"

say "building policylens and the synthetic-run example"
# --workspace with examples resolves features as `cargo test --workspace`
# does, so after the tests nothing is rebuilt (a `-p` build would recompile
# polars with another feature set).
cargo build -q --workspace --bins --examples || fail "cargo build"
TARGET=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
BIN="$TARGET/debug/policylens"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

if [ -f models/policylens-minilm-opp115/model.safetensors ]; then
    say "labeling datasets/examples with the shipped model"
    "$BIN" label datasets/examples -o "$WORK/examples" --quiet || fail "policylens label datasets/examples"
else
    say "models/policylens-minilm-opp115 has no weights: using a small synthetic run instead"
    "$TARGET/debug/examples/synthetic_run" "$WORK/examples" 6 20 || fail "synthetic run"
fi
"$BIN" report "$WORK/examples" -o "$OUT/report.html" >/dev/null || fail "policylens report (examples)"

say "writing a synthetic run of 1,000 policies"
"$TARGET/debug/examples/synthetic_run" "$WORK/big" 1000 40 || fail "synthetic run of 1,000 policies"
"$BIN" report "$WORK/big" -o "$OUT/report-1000.html" >/dev/null || fail "policylens report (1,000 policies)"

say "loading the reports in $CHROMIUM"
node tests/browser/test.mjs "$OUT/report.html" "$OUT/report-1000.html" ||
    fail "browser test (screenshots so far in $OUT)"
say "passed; screenshots in $OUT"
