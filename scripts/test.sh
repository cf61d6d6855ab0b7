#!/usr/bin/env bash
# The whole check, as CI runs it: prerequisites, typecheck, lint, then every jest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
npm run --silent typecheck
npm run --silent lint
npm run --silent jest -- --ci "$@"
