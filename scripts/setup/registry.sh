#!/usr/bin/env bash
# Tools for the registry tests (test/support/registry.ts): Debian's docker-registry (the CNCF distribution registry,
# run by the tests on a loopback port with a temp storage dir) and apache2-utils (htpasswd, for the registry's
# bcrypt htpasswd auth). Idempotent: installs only what is missing, and only as root with apt-get. When it cannot,
# it says why and exits 0: the tests that need a tool skip and print the reason.
set -uo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "vouch: registry tests need ${missing[*]} (not root, so not installing; those tests will skip)" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "vouch: registry tests need ${missing[*]} (no apt-get here; those tests will skip)" >&2
  exit 0
fi

echo "vouch: installing ${missing[*]} for the registry tests" >&2
# The package's service must not start (the tests run their own registry on a free port): a policy-rc.d that refuses
# every start while we install, unless the machine already has one (then it decides, and we leave it alone).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

if ! apt_log=$( { apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"; } 2>&1 ); then
  echo "vouch: could not install ${missing[*]} (the registry tests will skip):" >&2
  printf '%s\n' "$apt_log" | tail -n 5 >&2
fi
exit 0
