#!/usr/bin/env bash
# The product's main job on its embedded defaults: build vouch, catalog this repository, print a summary and
# write its SBOMs (CycloneDX 1.6 and SPDX 2.3) under .vouch-demo/. Test fixtures are excluded: they are other
# projects' lockfiles, not vouch's dependencies.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$VOUCH_ROOT"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
mkdir -p .vouch-demo
node dist/cli/main.js sbom . \
  --exclude 'test/fixtures/**' --exclude 'src/**/fixtures/**' --exclude 'bench/**' \
  -o summary \
  -o "cyclonedx-json=.vouch-demo/vouch.cdx.json" \
  -o "spdx-json=.vouch-demo/vouch.spdx.json" "$@"
echo "SBOMs written to .vouch-demo/vouch.cdx.json and .vouch-demo/vouch.spdx.json" >&2
