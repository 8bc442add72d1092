#!/usr/bin/env bash
# Browser for the dashboard's end-to-end tests and load benchmark (test/support/chromium.ts, bench/dashboard-load.ts):
# Debian's `chromium`, driven by playwright-core through executablePath (playwright's own browser downloads are not
# reachable here, and a distro build gets security updates with the rest of the machine). Idempotent: installs only
# when the binary is missing, and only as root with apt-get. When it cannot, it says why and exits 0: the dashboard
# tests skip and print the reason.
set -uo pipefail

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "vouch: dashboard tests need chromium (not root, so not installing; those tests will skip)" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "vouch: dashboard tests need chromium (no apt-get here; those tests will skip)" >&2
  exit 0
fi

echo "vouch: installing chromium for the dashboard tests" >&2
# --no-install-recommends keeps out chromium-sandbox and the desktop extras; the tests pass --no-sandbox (they run as
# root in a container, where Chromium's setuid/namespace sandbox cannot start anyway) and need fonts for layout only.
if ! apt_log=$( { apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-dejavu-core; } 2>&1 ); then
  echo "vouch: could not install chromium (the dashboard tests will skip):" >&2
  printf '%s\n' "$apt_log" | tail -n 5 >&2
fi
exit 0
