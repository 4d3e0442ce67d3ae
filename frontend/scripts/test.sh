#!/usr/bin/env bash
# Every dashboard check: API types drift, TypeScript (strict), ESLint, Vitest, build, and the Playwright
# browser suite against a real `oms up` (needs the repo's .venv with the Rust extension built).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-chromium.sh
scripts/ensure-deps.sh
node scripts/check-api-types.mjs
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p tsconfig.e2e.json
npx eslint --max-warnings=0 .
npx vitest run
npx vite build --logLevel warn
scripts/e2e.sh
