#!/usr/bin/env bash
# Installs, once, what `npm test` needs beyond node_modules: the zoo subset's exporters and references (Python venvs
# with PyTorch, TensorFlow/Keras + tf2onnx, JAX/Flax + jax2onnx from PyPI; scripts/zoo-setup.sh) and the
# end-to-end tools (Chromium, code-server; see test/e2e/setup.sh). Idempotent and quick when everything is
# present. Uses apt-get, so it needs root (or the packages already installed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/zoo-setup.sh torch tf jax
bash test/e2e/setup.sh
