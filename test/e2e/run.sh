#!/usr/bin/env bash
# Runs the FeatureVis end-to-end suite in a real VS Code (code-server 4.100.3 + Debian Chromium, offline).
# Needs `npm run test:e2e:setup` once. Builds the .vsix, installs it into a private code-server and drives it.
# Screenshots and logs: test/e2e/out/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
E2E_HOME=${E2E_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/featurevis-e2e}
[ -f "$E2E_HOME/env.sh" ] || { echo "e2e tools missing in $E2E_HOME: run 'npm run test:e2e:setup' first" >&2; exit 1; }
. "$E2E_HOME/env.sh"
built=
[ "${SKIP_PACKAGE:-}" = 1 ] && [ -f featurevis.vsix ] || { npm run -s package > /dev/null && built=1; }
export VSIX="$PWD/featurevis.vsix"
status=0
node --test --test-concurrency=1 test/e2e/*.test.mjs || status=$?
# The extension-host suite (Mocha through @vscode/test-electron's runTests, test/extension-host/): it loads the
# extension from this folder, so it reuses the dist/ that packaging just built.
SKIP_BUILD=$built node test/extension-host/run.mjs || status=$?
exit $status
