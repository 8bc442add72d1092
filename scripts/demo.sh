#!/usr/bin/env bash
# The product's main job on its embedded defaults, end to end on vouch itself:
#   1. build vouch and catalog this repository (SBOMs under .vouch-demo/; test fixtures are other projects' lockfiles);
#   2. start `vouch serve` (the transparency log, state in .vouch-demo/data) on http://127.0.0.1:${PORT:-8080};
#   3. pack vouch, sign the tarball and attest its CycloneDX SBOM with a demo key, both recorded in the log;
#   4. export the trusted root and verify both bundles against it;
#   5. keep serving until Ctrl-C (browse /api/v1/log, /checkpoint, /tile/0/000.p/N).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$VOUCH_ROOT"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

DEMO=.vouch-demo
PORT=${PORT:-8080}
URL="http://127.0.0.1:$PORT"
export VOUCH_DATA_DIR="$VOUCH_ROOT/$DEMO/data"
export VOUCH_PASSWORD="${VOUCH_PASSWORD:-vouch demo password}"
vouch() { node "$VOUCH_ROOT/dist/cli/main.js" "$@"; }
mkdir -p "$DEMO"

echo "== 1. SBOM of this repository" >&2
vouch sbom . \
  --exclude 'test/fixtures/**' --exclude 'src/**/fixtures/**' --exclude 'bench/**' \
  -o summary -o "cyclonedx-json=$DEMO/vouch.cdx.json" -o "spdx-json=$DEMO/vouch.spdx.json"

echo "== 2. vouch serve" >&2
# An SBOM attestation of a few hundred components is larger than the log's default 128 KiB request limit.
printf 'log:\n  maxEntryBytes: 8388608\n' > "$DEMO/vouch.yaml"
# Started directly (not through the vouch function) so that $! is the server itself and the trap stops it.
node "$VOUCH_ROOT/dist/cli/main.js" --config "$DEMO/vouch.yaml" serve --port "$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if node -e "fetch('$URL/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then break; fi
  sleep 0.1
done

echo "== 3. sign and attest the package, recorded in the log" >&2
TARBALL=$(npm pack --silent --pack-destination "$DEMO" | tail -n 1)
[ -f "$DEMO/demo.key" ] || vouch key generate --out "$DEMO/demo" >&2
vouch sign "$DEMO/$TARBALL" --key "$DEMO/demo.key" --tlog-url "$URL" --bundle "$DEMO/$TARBALL.sigstore.json"
vouch attest "$DEMO/$TARBALL" --type cyclonedx --predicate "$DEMO/vouch.cdx.json" --key "$DEMO/demo.key" \
  --tlog-url "$URL" --bundle "$DEMO/$TARBALL.sbom.sigstore.json"

echo "== 4. verify against the exported trusted root" >&2
vouch trust export --out "$DEMO/trust" --log-url "$URL"
vouch verify "$DEMO/$TARBALL" --bundle "$DEMO/$TARBALL.sigstore.json" --key "$DEMO/demo.pub" --trusted-root "$DEMO/trust/trusted_root.json"
vouch verify "$DEMO/$TARBALL" --bundle "$DEMO/$TARBALL.sbom.sigstore.json" --type cyclonedx --key "$DEMO/demo.pub" --trusted-root "$DEMO/trust/trusted_root.json"

echo "== 5. serving on $URL (Ctrl-C to stop): $URL/api/v1/log, $URL/checkpoint" >&2
wait $SERVER
