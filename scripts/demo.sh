#!/usr/bin/env bash
# The product's main job on its embedded defaults, end to end on vouch itself:
#   1. build vouch and catalog this repository (SBOMs under .vouch-demo/; test fixtures are other projects' lockfiles);
#   2. create the keyless CA (once) and start `vouch serve` (transparency log, keyless CA, CT log, timestamp authority;
#      state in .vouch-demo/data) on http://127.0.0.1:${PORT:-8080}, trusting a demo OIDC issuer on 127.0.0.1:9000
#      that stands in for GitHub Actions' (scripts/demo-issuer.mjs);
#   3. pack vouch, then sign the tarball and attest its CycloneDX SBOM keyless: a 10-minute certificate for the demo
#      workflow's identity (SCT embedded), the signature recorded in the log and timestamped by the TSA;
#   4. export the trusted root and signing config, and verify both bundles against the workflow identity;
#   5. when Debian's docker-registry is installed (scripts/setup/registry.sh): push the package as an image to a
#      registry on 127.0.0.1:${REGISTRY_PORT:-5000}, sign it and attach its SBOM as a signed attestation (OCI 1.1
#      referrers, through the referrers tag schema there), show the tree and verify the image;
#   6. the SBOM index: create a token, push vouch's own SBOMs (and its signature bundles when `vouch push attestation`
#      exists), sample services' SBOMs and deployments (two environments, one unsigned artifact), then ask which
#      deployments run log4j-core <2.17.1 and print the supply-chain SLIs;
#      With the registry, two Pods go through vouch serve's /admission/validate (the signed image admitted, an unsigned
#      one denied), so the dashboard's on-call view has decisions;
#   7. keep serving until Ctrl-C, printing the dashboard's URL with a read token (http://127.0.0.1:8080/#token=…; the
#      app stores it and drops it from the address bar) and the API's (/api/v1/log, /checkpoint, /api/v1/slis...).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$VOUCH_ROOT"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

DEMO=.vouch-demo
PORT=${PORT:-8080}
URL="http://127.0.0.1:$PORT"
export VOUCH_DATA_DIR="$VOUCH_ROOT/$DEMO/data"
export VOUCH_CA_PASSWORD="${VOUCH_CA_PASSWORD:-vouch demo CA password}"
ISSUER_PORT=${ISSUER_PORT:-9000}
vouch() { node "$VOUCH_ROOT/dist/cli/main.js" "$@"; }
mkdir -p "$DEMO"

echo "== 1. SBOM of this repository" >&2
vouch sbom . \
  --exclude 'test/fixtures/**' --exclude 'src/**/fixtures/**' --exclude 'bench/**' \
  -o summary -o "cyclonedx-json=$DEMO/vouch.cdx.json" -o "spdx-json=$DEMO/vouch.spdx.json"

echo "== 2. keyless CA and vouch serve" >&2
[ -f "$VOUCH_DATA_DIR/ca/ca.json" ] || vouch ca init
node scripts/demo-issuer.mjs "$ISSUER_PORT" "$DEMO/id-token.jwt" &
ISSUER=$!
# The issue's ca.issuers example as written; an SBOM attestation of a few hundred components is larger than the
# log's default 128 KiB request limit. `url` also tells `vouch sign --keyless` where the CA, log and TSA are.
cat > "$DEMO/vouch.yaml" <<YAML
url: $URL
ca:
  issuers:
    - url: https://token.actions.githubusercontent.com
      type: github-workflow
    - url: http://127.0.0.1:$ISSUER_PORT
      type: github-workflow
log:
  maxEntryBytes: 8388608
index:
  teams:
    platform: [vouch]
    shop: [checkout, billing]
admission:
  policies: $VOUCH_ROOT/$DEMO/admission
YAML
# The webhook's policies: a placeholder until step 5 has an image and the trust material to check it against (the
# server reloads the directory when a file changes; the first load must find a policy).
rm -rf "$DEMO/admission" && mkdir -p "$DEMO/admission"
cat > "$DEMO/admission/placeholder.yaml" <<YAML
apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: demo-placeholder }
spec:
  images: [ { glob: "demo.invalid/**" } ]
  authorities: [ { static: pass } ]
YAML
# Started directly (not through the vouch function) so that $! is the server itself and the trap stops it.
node "$VOUCH_ROOT/dist/cli/main.js" --config "$DEMO/vouch.yaml" serve --port "$PORT" &
SERVER=$!
trap 'kill $SERVER $ISSUER 2>/dev/null || true; wait $SERVER $ISSUER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if node -e "fetch('$URL/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then break; fi
  sleep 0.1
done

echo "== 3. sign and attest the package keyless (certificate, CT, log entry, timestamp)" >&2
TARBALL=$(npm pack --silent --pack-destination "$DEMO" | tail -n 1)
for _ in $(seq 1 50); do [ -s "$DEMO/id-token.jwt" ] && break; sleep 0.1; done
vouch --config "$DEMO/vouch.yaml" sign "$DEMO/$TARBALL" --keyless --identity-token "$DEMO/id-token.jwt" --bundle "$DEMO/$TARBALL.sigstore.json"
vouch --config "$DEMO/vouch.yaml" attest "$DEMO/$TARBALL" --type cyclonedx --predicate "$DEMO/vouch.cdx.json" --keyless \
  --identity-token "$DEMO/id-token.jwt" --bundle "$DEMO/$TARBALL.sbom.sigstore.json"
# SLSA provenance as the release workflow would write it (GitHub Actions' variables; the commit is this checkout's),
# naming the SBOM as a byproduct, so the index links artifact -> commit -> builder -> SBOM.
COMMIT=$(git rev-parse HEAD 2>/dev/null || printf '0%.0s' $(seq 40))
GITHUB_ACTIONS=true GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=vouch-demo/vouch GITHUB_RUN_ID=1 \
  GITHUB_RUN_ATTEMPT=1 GITHUB_REF=refs/heads/main GITHUB_SHA="$COMMIT" GITHUB_EVENT_NAME=push \
  GITHUB_WORKFLOW_REF=vouch-demo/vouch/.github/workflows/release.yml@refs/heads/main \
  vouch provenance "$DEMO/$TARBALL" --sbom "$DEMO/vouch.cdx.json" -o "$DEMO/provenance.json"
vouch --config "$DEMO/vouch.yaml" attest "$DEMO/$TARBALL" --type slsaprovenance --predicate "$DEMO/provenance.json" --keyless \
  --identity-token "$DEMO/id-token.jwt" --bundle "$DEMO/$TARBALL.provenance.sigstore.json"

echo "== 4. verify against the exported trusted root and the workflow's identity" >&2
vouch --config "$DEMO/vouch.yaml" trust export --out "$DEMO/trust"
IDENTITY="https://github.com/vouch-demo/vouch/.github/workflows/release.yml@refs/heads/main"
for BUNDLE in "$TARBALL.sigstore.json" "$TARBALL.sbom.sigstore.json" "$TARBALL.provenance.sigstore.json"; do
  TYPE=(); [ "$BUNDLE" = "$TARBALL.sbom.sigstore.json" ] && TYPE=(--type cyclonedx)
  [ "$BUNDLE" = "$TARBALL.provenance.sigstore.json" ] && TYPE=(--type slsaprovenance)
  vouch verify "$DEMO/$TARBALL" --bundle "$DEMO/$BUNDLE" "${TYPE[@]}" --trusted-root "$DEMO/trust/trusted_root.json" \
    --certificate-identity "$IDENTITY" --certificate-oidc-issuer "http://127.0.0.1:$ISSUER_PORT"
done

echo "== 4b. the deploy gate: vouch policy eval with a policy for vouch's releases" >&2
# Signed by the release workflow, with SLSA provenance from vouch-demo/vouch and a signed SBOM naming no AGPL code.
cat > "$DEMO/policy.yaml" <<YAML
apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: vouch-release }
spec:
  mode: enforce
  images: [ { glob: "**/vouch*" } ]
  authorities:
    - keyless:
        identities:
          - issuer: http://127.0.0.1:$ISSUER_PORT
            subject: $IDENTITY
  attestations:
    - predicateType: https://slsa.dev/provenance/v1
      conditions:
        - 'predicate.buildDefinition.externalParameters.workflow.repository == "https://github.com/vouch-demo/vouch"'
  sbom:
    deniedLicenses: [AGPL-3.0-only, AGPL-3.0-or-later, SSPL-1.0]
YAML
vouch policy validate "$DEMO/policy.yaml"
PACKAGE_DIGEST="sha256:$(sha256sum "$DEMO/$TARBALL" | cut -d' ' -f1)"
vouch policy eval "vouch-demo/vouch:$(node -p "require('./package.json').version")" --policy "$DEMO/policy.yaml" \
  --trusted-root "$DEMO/trust/trusted_root.json" --digest "$PACKAGE_DIGEST" --bundle "$DEMO/$TARBALL.sigstore.json" \
  --bundle "$DEMO/$TARBALL.provenance.sigstore.json" --bundle "$DEMO/$TARBALL.sbom.sigstore.json"

echo "== 5. the package as an image in a registry: sign, attach the SBOM attested, tree, verify" >&2
REGISTRY_PORT=${REGISTRY_PORT:-5000}
if command -v docker-registry >/dev/null 2>&1; then
  mkdir -p "$DEMO/registry"
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$VOUCH_ROOT/$DEMO/registry" "$REGISTRY_PORT" > "$DEMO/registry.yml"
  docker-registry serve "$DEMO/registry.yml" 2>"$DEMO/registry.log" &
  REGISTRY=$!
  trap 'kill $SERVER $ISSUER $REGISTRY 2>/dev/null || true; wait $SERVER $ISSUER $REGISTRY 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    if node -e "fetch('http://127.0.0.1:$REGISTRY_PORT/v2/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then break; fi
    sleep 0.1
  done
  IMAGE=$(node scripts/demo-image.mjs "127.0.0.1:$REGISTRY_PORT" vouch "$(node -p "require('./package.json').version")" "$DEMO/$TARBALL")
  vouch --config "$DEMO/vouch.yaml" sign "$IMAGE" --keyless --identity-token "$DEMO/id-token.jwt"
  vouch --config "$DEMO/vouch.yaml" sbom attach "$IMAGE" --sbom "$DEMO/vouch.cdx.json" --attest --keyless --identity-token "$DEMO/id-token.jwt"
  vouch --config "$DEMO/vouch.yaml" attest "$IMAGE" --type slsaprovenance --predicate "$DEMO/provenance.json" --keyless \
    --identity-token "$DEMO/id-token.jwt"
  vouch tree "$IMAGE"
  for TYPE in "" cyclonedx slsaprovenance; do
    vouch verify "$IMAGE" ${TYPE:+--type "$TYPE"} --trusted-root "$DEMO/trust/trusted_root.json" \
      --certificate-identity "$IDENTITY" --certificate-oidc-issuer "http://127.0.0.1:$ISSUER_PORT"
  done
  # The same gate, with everything read from the registry (referrers): what the admission webhook does per image.
  vouch policy eval "$IMAGE" --policy "$DEMO/policy.yaml" --trusted-root "$DEMO/trust/trusted_root.json"

  echo "== 5b. admission: a signed and an unsigned image through vouch serve's /admission/validate" >&2
  # The webhook's policy, now that the trust material exists (vouch serve reloads the directory within a second).
  cat > "$DEMO/admission/release.yaml" <<YAML
apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: signed-by-release-workflow }
spec:
  mode: enforce
  images: [ { glob: "127.0.0.1:*/**" } ]
  authorities:
    - keyless:
        identities:
          - issuer: http://127.0.0.1:$ISSUER_PORT
            subject: $IDENTITY
      trustedRoot: { path: $VOUCH_ROOT/$DEMO/trust/trusted_root.json }
YAML
  tar czf "$DEMO/unsigned.tgz" -C "$DEMO" vouch.cdx.json
  UNSIGNED=$(node scripts/demo-image.mjs "127.0.0.1:$REGISTRY_PORT" vouch-unsigned "$(node -p "require('./package.json').version")" "$DEMO/unsigned.tgz")
  sleep 1
  # As the Kubernetes API server sends them: an AdmissionReview per Pod, the decision recorded for the on-call view.
  admit() {
    node -e '
const [url, uid, image] = process.argv.slice(1);
const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: uid, namespace: "shop" }, spec: { containers: [{ name: "app", image }] } };
const review = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid, kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace: "shop", operation: "CREATE", userInfo: { username: "demo" }, object: pod, oldObject: null, dryRun: false } };
fetch(`${url}/admission/validate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(review) })
  .then((r) => r.json())
  .then(({ response }) => console.log(`   ${image}: ${response.allowed ? "allowed" : `denied: ${response.status?.message ?? ""}`}`));
' "$URL" "$1" "$2"
  }
  admit "demo-signed-$(date +%s)" "$IMAGE"
  admit "demo-unsigned-$(date +%s)" "$UNSIGNED"
else
  echo "   skipped: docker-registry is not installed (scripts/setup/registry.sh installs it as root)" >&2
fi

echo "== 6. the SBOM index: a token, vouch's own SBOMs (and signatures), sample artifacts and deployments" >&2
# Tokens live in the data directory beside the index; the running server sees a new one at once.
TOKEN=$(vouch token create --scope ingest,read --name demo)
export VOUCH_SERVER="$URL" VOUCH_TOKEN="$TOKEN"
VERSION=$(node -p "require('./package.json').version")
vouch push sbom "$DEMO/vouch.cdx.json" --service vouch --version "$VERSION" --digest "$PACKAGE_DIGEST"
vouch push sbom "$DEMO/vouch.spdx.json" --service vouch --version "$VERSION" --digest "$PACKAGE_DIGEST"
if vouch push --help 2>&1 | grep -q "^  attestation"; then
  # Verified on ingest against this deployment's own CA, log and TSA: the package's signature, its SBOM attestation
  # and its SLSA provenance (which names the SBOM: `vouch query provenance` walks commit -> build -> artifact -> SBOM).
  for BUNDLE in "$TARBALL.sigstore.json" "$TARBALL.sbom.sigstore.json" "$TARBALL.provenance.sigstore.json"; do vouch push attestation "$DEMO/$BUNDLE"; done
fi
# Sample services (src/sbom-index/fixtures): checkout 1.4.0 / 1.5.0 carry Log4Shell-era log4j-core, billing 3.2.0 the fix.
SAMPLES=src/sbom-index/fixtures
vouch push sbom "$SAMPLES/checkout-1.4.0-log4j-2.14.1.cdx.json" --service checkout --version 1.4.0
vouch push sbom "$SAMPLES/checkout-1.5.0-log4j-2.16.0.cdx.json" --service checkout --version 1.5.0
vouch push sbom "$SAMPLES/billing-3.2.0-log4j-2.17.1.cdx.json" --service billing --version 3.2.0
# Two environments, deployed now (after their SBOMs: the SLIs measure the SBOMs' age at deploy); billing's and
# checkout's artifacts are unsigned, so the SLIs are not all 100%.
A="sha256:$(printf 'a%.0s' $(seq 64))" B="sha256:$(printf 'b%.0s' $(seq 64))" C="sha256:$(printf 'c%.0s' $(seq 64))"
vouch push deployment --service vouch --environment staging --digest "$PACKAGE_DIGEST"
vouch push deployment --service vouch --environment prod --digest "$PACKAGE_DIGEST"
vouch push deployment --service checkout --environment prod --digest "$A"
vouch push deployment --service checkout --environment staging --digest "$B"
vouch push deployment --service billing --environment prod --digest "$C"
vouch query affected --purl pkg:maven/org.apache.logging.log4j/log4j-core --range '<2.17.1'
vouch query slis
vouch query provenance "$PACKAGE_DIGEST"

# The dashboard reads with its own token (read scope only): the URL fragment is never sent to the server.
DASHBOARD_TOKEN=$(vouch token create --scope read --name dashboard)
echo "== 7. the dashboard: $URL/#token=$DASHBOARD_TOKEN" >&2
[ -f dist/web/index.html ] || echo "   (not built: npm run build builds dist/web)" >&2
echo "   serving on $URL (Ctrl-C to stop): $URL/api/v1/log, $URL/checkpoint, $URL/ct/v1/get-sth, $URL/api/v2/configuration," >&2
echo "   the SBOM index at $URL/api/v1 ($URL/openapi.json, $URL/metrics). In another shell:" >&2
echo "     export VOUCH_SERVER=$URL VOUCH_TOKEN=$TOKEN" >&2
echo "     node dist/cli/main.js query affected --purl pkg:maven/org.apache.logging.log4j/log4j-core --range '<2.17.1'" >&2
echo "     node dist/cli/main.js query slis --environment prod" >&2
echo "     node dist/cli/main.js query diff --service checkout --from 1.4.0 --to 1.5.0" >&2
wait $SERVER
