#!/usr/bin/env bash
# The product's main job on its embedded defaults: build vouch and run `vouch sbom` on this repository.
source "$(dirname "$0")/env.sh"
cd "$VOUCH_ROOT"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
node dist/cli/main.js sbom . -o table "$@"
