#!/usr/bin/env bash
# Creates the Python environments the model zoo's exporters need, once each:
#   torch  torch 2.14.1 + torchvision 0.29.1, onnx, onnxscript (torch.export/dynamo exporter), onnxruntime
#   tf     tensorflow-cpu + Keras 3 + tf2onnx
#   jax    jax + flax + jax2onnx
# under ${FEATUREVIS_VENVS:-$HOME/.cache/featurevis/venvs}/<name>. A venv whose stamp file matches the package
# list is skipped, so re-running is quick. Usage: bash scripts/zoo-setup.sh [torch] [tf] [jax]   (default: all)
set -euo pipefail
ROOT="${FEATUREVIS_VENVS:-$HOME/.cache/featurevis/venvs}"
PY="${FEATUREVIS_BASE_PYTHON:-}"
if [ -z "$PY" ]; then
  # the wheels pinned here are cp311; Debian bookworm's python3 is 3.11
  for c in /usr/bin/python3.11 /usr/bin/python3 python3.11 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys, venv; assert sys.version_info[:2] >= (3, 10)' 2>/dev/null; then PY="$c"; break; fi
  done
fi
[ -n "$PY" ] || { echo "zoo setup: no Python >= 3.10 with the venv module found (set FEATUREVIS_BASE_PYTHON)" >&2; exit 1; }
if ! "$PY" -c 'import ensurepip' 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[zoo setup] installing python3-venv (Debian)"   # Debian splits ensurepip out of python3
  { DEBIAN_FRONTEND=noninteractive apt-get update -q && apt-get install -y -q python3-venv; } > /tmp/featurevis-apt-venv.log 2>&1 \
    || { tail -20 /tmp/featurevis-apt-venv.log; exit 1; }
fi

# Pins that co-install (checked with pip's resolver on Python 3.11).
declare -A PKGS=(
  [torch]="torch==2.14.1 torchvision==0.29.1 onnx==1.23.1 onnxscript onnxruntime numpy"
  [tf]="tensorflow-cpu==2.21.0 keras==3.15.1 tf2onnx==1.17.0 onnx==1.23.1 onnxruntime numpy"
  [jax]="jax==0.10.2 jaxlib==0.10.2 flax==0.12.8 jax2onnx==0.17.1 onnx==1.23.1 onnxruntime numpy"
)

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(torch tf jax)
for name in "${names[@]}"; do
  [ -n "${PKGS[$name]+x}" ] || { echo "zoo setup: unknown venv '$name' (torch, tf, jax)" >&2; exit 1; }
  dir="$ROOT/$name"
  want="${PKGS[$name]}"
  if [ -f "$dir/.featurevis-stamp" ] && [ "$(cat "$dir/.featurevis-stamp")" = "$want" ]; then
    continue
  fi
  echo "[zoo setup] creating $dir ($want)"
  log="$(mktemp /tmp/featurevis-zoo-setup-$name.XXXXXX.log)"
  {
    rm -rf "$dir" && mkdir -p "$ROOT" && "$PY" -m venv "$dir" \
      && "$dir/bin/pip" install -q ${PKGS[$name]}
  } > "$log" 2>&1 || { tail -30 "$log"; echo "zoo setup: installing the $name venv failed (log: $log)" >&2; exit 1; }
  printf '%s' "$want" > "$dir/.featurevis-stamp"
  rm -f "$log"
done
