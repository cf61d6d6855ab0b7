#!/usr/bin/env bash
# The whole check, as CI runs it: prerequisites, typecheck, lint, then every jest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
npm run --silent typecheck
npm run --silent lint
mkdir -p .local
status=0
npm run --silent jest -- --ci --json --outputFile=.local/jest-results.json "$@" || status=$?
# One plain closing line for whoever reads the log: "N passed, N failed".
node -e '
  const r = require("./.local/jest-results.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit "$status"
