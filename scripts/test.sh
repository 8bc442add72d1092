#!/usr/bin/env bash
# The whole test suite on a fresh clone: Node 24 if needed, dependencies, then lint, typecheck,
# import boundaries and every test (npm test).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$VOUCH_ROOT"

# The PKCS#11 tests sign with a SoftHSM2 token (Debian's softhsm2). Install it when missing and we may (root, apt-get);
# otherwise, or if apt fails, those tests skip and print why.
if ! command -v softhsm2-util >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "vouch: installing softhsm2 for the PKCS#11 tests" >&2
  if ! apt_log=$( { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2; } 2>&1 ); then
    echo "vouch: could not install softhsm2 (the PKCS#11 tests will skip):" >&2
    printf '%s\n' "$apt_log" | tail -n 5 >&2
  fi
fi

npm ci --no-audit --no-fund

# Each scripts/setup/*.sh installs or builds what one group of tests needs (a registry, real images...). They are
# idempotent; one that fails leaves its tests to skip with a printed reason, so the suite still runs.
for setup in scripts/setup/*.sh; do
  [ -e "$setup" ] || continue
  bash "$setup" || echo "vouch: $setup failed; the tests that need it will skip and say why" >&2
done

npm test
