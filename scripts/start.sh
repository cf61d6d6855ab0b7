#!/usr/bin/env bash
# `npm start`: installs what is missing, then runs the local stack (scripts/local-stack.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
exec bash scripts/run-ts.sh scripts/local-stack.ts
