#!/usr/bin/env bash
# npm ci when node_modules is missing or older than package-lock.json (pinned, reproducible).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "frontend: npm is missing (Node.js 20+ with npm is needed to build the dashboard)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
