#!/usr/bin/env bash
# The browser suite: Playwright drives Debian's Chromium against an `oms up` that the tests start
# on a free loopback port and stop at the end. Bounded: Playwright's global timeout, and a hard
# stop here in case anything hangs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-chromium.sh
[ -f dist/index.html ] || scripts/build.sh
exec timeout --kill-after=20s 420s npx playwright test "$@"
