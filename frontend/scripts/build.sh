#!/usr/bin/env bash
# Build the dashboard into frontend/dist (served by `oms up` at /).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
npx vite build --logLevel warn
echo "frontend: built frontend/dist"
