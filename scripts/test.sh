#!/usr/bin/env bash
# The whole test suite on a fresh clone: Node 24 if needed, dependencies, then lint, typecheck,
# import boundaries and every test (npm test).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$VOUCH_ROOT"
npm ci --no-audit --no-fund
npm test
