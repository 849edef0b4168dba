#!/usr/bin/env bash
# Installs, once, what `npm test` needs beyond node_modules: Debian's PyTorch + torchvision (for the zoo subset's
# references) and the end-to-end tools (Chromium, code-server; see test/e2e/setup.sh). Idempotent and quick when
# everything is present. Uses apt-get, so it needs root (or the packages already installed).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "test setup: Debian's python3-torch and python3-torchvision are needed for the zoo tests; install them (as root: apt-get install python3-torch python3-torchvision)" >&2
    exit 1
  fi
  echo "[test setup] installing python3-torch python3-torchvision (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends python3-torch python3-torchvision python3-numpy; } > /tmp/featurevis-apt.log 2>&1 \
    || { tail -30 /tmp/featurevis-apt.log; exit 1; }
fi
bash test/e2e/setup.sh
