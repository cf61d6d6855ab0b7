#!/usr/bin/env bash
# Runs a TypeScript script of this repository on the project's Node, bundled with esbuild the way
# the functions are (templates as text). Usage: bash scripts/run-ts.sh scripts/x.ts [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
entry=$1
shift
mkdir -p .local
out=".local/$(basename "${entry%.ts}").js"
esbuild "$entry" --bundle --platform=node --format=cjs --target=node24 \
  --loader:.sh=text --loader:.yaml=text --packages=external --log-level=warning --outfile="$out"
exec node "$out" "$@"
