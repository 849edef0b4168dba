#!/usr/bin/env bash
# Stand-in "VS Code executable" for @vscode/test-electron: runTests({ vscodeExecutablePath: '<this file>' }) skips
# the VS Code download and runs the suite in code-server's extension host instead (code-server-host.mjs).
exec node "$(dirname "$(readlink -f "$0")")/code-server-host.mjs" "$@"
