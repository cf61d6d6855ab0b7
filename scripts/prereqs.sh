#!/usr/bin/env bash
# Makes sure what the tests and the local stack need is on this machine: the npm dependencies
# (Node 24 comes with them, as the `node` devDependency) and the real test servers from Debian.
# As root it installs what is missing; otherwise it prints the exact command and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "prereqs: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v cloud-init >/dev/null 2>&1 || missing+=(cloud-init)
[ -x /usr/bin/aws ] || missing+=(awscli)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "prereqs: installing ${missing[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "prereqs: missing Debian packages; install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if ! python3 -c 'import moto.server' >/dev/null 2>&1; then
  echo "prereqs: moto (the AWS emulator) is missing; install it with:" >&2
  echo "  python3 -m pip install 'moto[server]'" >&2
  exit 1
fi
