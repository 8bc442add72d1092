#!/usr/bin/env bash
# Real container images for the image tests and bench (issue 6), built from Debian packages without a Docker engine.
#
#   bash scripts/setup/images.sh            (idempotent: a second run with the same recipe does nothing)
#   VOUCH_IMAGES_DIR=/elsewhere bash ...    (default ~/.cache/vouch/test-images: outside the clone, so CI's fresh
#                                           clone on the same machine finds them built; test/.images is git-ignored
#                                           for those who keep them in the tree)
#   VOUCH_IMAGES_REBUILD=1 bash ...         (build again even when the cache is current)
#
# Image "debian-app" (vouch-test/debian-app:1), three layers like a Dockerfile would make:
#   1. debootstrap --variant=minbase bookworm (what debian:bookworm-slim is made of: ~90 packages), apt lists and
#      .deb cache removed
#   2. "RUN": dpkg installs jq (+ libjq1, libonig5) from .debs fetched with apt-get download, purges e2fsprogs
#      (its files become whiteouts, its record leaves the dpkg status), deletes the man pages (whiteouts) and empties
#      /usr/share/info (an opaque-directory whiteout)
#   3. "COPY": an app in /app: installed npm packages (copied from this repo's node_modules) and a Python
#      dist-info (from Debian's python3-distro .deb)
# Image "distroless" (vouch-test/distroless:1), one layer: a few packages unpacked with dpkg-deb -x and recorded the
# way distroless images do, one control file per package in /var/lib/dpkg/status.d/ (no status file).
#
# For each image, under $VOUCH_IMAGES_DIR/<name>/: rootfs/ (the squashed filesystem), oci/ (OCI image layout),
# oci-archive.tar, docker-archive.tar (docker save), dpkg-query.tsv (the truth: package, version, architecture),
# image.json (digests, layers, which layer added which package: test/support/images.ts reads it).
# Needs root (debootstrap, chroot for maintainer scripts) and Debian's mirror; without them it says why and exits 1,
# and the tests that need the images skip with that reason (test/support/images.ts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${VOUCH_IMAGES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vouch/test-images}"
# The recipe is this script and the layout writer: a cache built by another recipe is rebuilt.
RECIPE="$(cat "${BASH_SOURCE[0]}" "$ROOT/test/support/image-build.ts" | sha256sum | cut -c1-16)"
SUITE=bookworm

say() { echo "vouch images [${SECONDS}s]: $*" >&2; }
fail() {
  say "$*"
  mkdir -p "$OUT" && printf '%s\n' "$*" >"$OUT/UNAVAILABLE"
  exit 1
}

if [ "${VOUCH_IMAGES_REBUILD:-0}" != 1 ] && [ -f "$OUT/READY" ] && [ "$(cat "$OUT/READY")" = "recipe $RECIPE" ]; then
  say "images in $OUT are current (recipe $RECIPE)"
  exit 0
fi

[ "$(id -u)" = 0 ] || fail "building the test images needs root (debootstrap, chroot); run scripts/setup/images.sh as root"
for tool in dpkg dpkg-deb dpkg-query apt-get tar gzip chroot; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (a Debian machine is needed to build the test images)"
done
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap"
  if ! log=$( { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } 2>&1 ); then
    printf '%s\n' "$log" | tail -n 5 >&2
    fail "could not install debootstrap with apt-get"
  fi
fi

# The mirror apt already uses (deb822 "URIs:" or one-line "deb URL SUITE"), so debootstrap reaches what apt reaches.
mirror=""
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  if [ "${f%.sources}" != "$f" ]; then
    mirror=$(awk -v s="$SUITE" '
      /^[[:space:]]*$/ { if (u != "" && ok) { print u; exit } u = ""; ok = 0; next }
      /^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
      END { if (u != "" && ok) print u }' "$f" | grep -v security | head -n 1 || true)
  else
    mirror=$(awk -v s="$SUITE" '$1 == "deb" && $3 == s { print $2; exit }' "$f" || true)
  fi
  [ -n "$mirror" ] && break
done
[ -n "$mirror" ] || fail "no apt source for Debian $SUITE found in /etc/apt/sources.list*"

cd "$ROOT"
# shellcheck source=../env.sh
source "$ROOT/scripts/env.sh"
[ -x "$ROOT/node_modules/.bin/tsx" ] || fail "node_modules/.bin/tsx is missing: run npm ci first"

WORK="$OUT/work"
DEBS="$OUT/cache/debs"
rm -rf "$WORK" "$OUT/READY" "$OUT/UNAVAILABLE"
mkdir -p "$WORK" "$DEBS" "$OUT/cache/debootstrap"

fetch_debs() { # fetch_debs PKG... : .debs for the host's candidate versions into $DEBS (kept between builds)
  # (-o APT::Sandbox::User=root: the cache folder may not be readable by apt's _apt user)
  (cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "$@" >&2) || {
    apt-get update -qq >&2 || true
    (cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "$@" >&2) || fail "apt-get download $* failed"
  }
}
deb_of() { ls -1 "$DEBS/$1"_*.deb | sort | tail -n 1; }
# query ADMINDIR PREFIX: the truth, as dpkg itself reports it: PREFIX.dpkg.tsv (package, version, architecture) and
# PREFIX.dpkg-source.tsv (package, source package, source version: what Debian's security data is keyed by).
query() {
  dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n' --admindir="$1" | LC_ALL=C sort >"$2.dpkg.tsv"
  dpkg-query -W -f='${Package}\t${source:Package}\t${source:Version}\n' --admindir="$1" | LC_ALL=C sort >"$2.dpkg-source.tsv"
}

# ---------------------------------------------------------------------------------------------- debian-app
say "debootstrap --variant=minbase $SUITE from $mirror (about a minute)"
L1="$WORK/debian-app/l1"
mkdir -p "$WORK/debian-app"
if ! debootstrap --variant=minbase --cache-dir="$OUT/cache/debootstrap" "$SUITE" "$L1" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
  tail -n 15 "$WORK/debootstrap.log" >&2
  fail "debootstrap failed (log: $WORK/debootstrap.log)"
fi
# What a base image ships: no package cache, no apt lists, an empty /dev (the runtime mounts one), no machine-id.
rm -rf "$L1"/var/cache/apt/archives/*.deb "$L1"/var/cache/apt/*.bin "$L1"/var/lib/apt/lists/* "$L1"/dev/* \
  "$L1"/var/log/* "$L1"/tmp/* "$L1"/debootstrap
: >"$L1/etc/machine-id"

say "layer 2: install jq, purge e2fsprogs, drop man pages and info"
fetch_debs jq libjq1 libonig5
L2="$WORK/debian-app/l2"
cp -a "$L1" "$L2"
# (dpkg --root runs maintainer scripts chrooted into the image, never on this machine)
dpkg --root="$L2" --purge e2fsprogs >"$WORK/dpkg-purge.log" 2>&1 || fail "dpkg --purge e2fsprogs failed (log: $WORK/dpkg-purge.log)"
dpkg --root="$L2" --install "$(deb_of libonig5)" "$(deb_of libjq1)" "$(deb_of jq)" >"$WORK/dpkg-install.log" 2>&1 ||
  fail "dpkg --install jq failed (log: $WORK/dpkg-install.log)"
rm -rf "$L2"/usr/share/man/* "$L2"/usr/share/info/* "$L2"/var/log/* "$L2"/var/cache/debconf/*-old "$L2"/var/lib/dpkg/*-old

say "layer 3: the app (npm packages and a Python dist-info)"
fetch_debs python3-distro
L3="$WORK/debian-app/l3"
cp -a "$L2" "$L3"
mkdir -p "$L3/app/node_modules/@noble" "$L3/app/lib/python3.11/site-packages"
for pkg in picomatch canonicalize env-paths @noble/curves @noble/hashes; do
  [ -f "$ROOT/node_modules/$pkg/package.json" ] || fail "node_modules/$pkg is missing: run npm ci first"
  cp -a "$ROOT/node_modules/$pkg" "$L3/app/node_modules/$pkg"
done
cat >"$L3/app/package.json" <<'JSON'
{
  "name": "vouch-test-app",
  "version": "1.0.0",
  "private": true,
  "dependencies": { "@noble/curves": "*", "canonicalize": "*", "env-paths": "*", "picomatch": "*" }
}
JSON
distro_x="$WORK/python3-distro"
dpkg-deb -x "$(deb_of python3-distro)" "$distro_x"
cp -a "$distro_x"/usr/lib/python3/dist-packages/distro* "$L3/app/lib/python3.11/site-packages/"
chown -R 0:0 "$L3/app"

for layer in l1 l2 l3; do
  query "$WORK/debian-app/$layer/var/lib/dpkg" "$WORK/debian-app/$layer"
done

# ---------------------------------------------------------------------------------------------- distroless
say "distroless: dpkg-deb -x of a few packages, status.d records"
DL="$WORK/distroless/l1"
mkdir -p "$DL/var/lib/dpkg/status.d" "$DL/etc" "$DL/tmp" "$DL/root" "$DL/home/nonroot"
fetch_debs base-files netbase tzdata libc6 libgcc-s1 gcc-12-base libssl3 ca-certificates
for pkg in base-files netbase tzdata libc6 libgcc-s1 gcc-12-base libssl3 ca-certificates; do
  deb="$(deb_of "$pkg")"
  dpkg-deb -x "$deb" "$DL"
  # distroless writes the control paragraph with a Status line, and the md5sums beside it.
  dpkg-deb -f "$deb" | grep -v '^Status:' | awk 'NR == 1 { print; print "Status: install ok installed"; next } { print }' \
    >"$DL/var/lib/dpkg/status.d/$pkg"
  dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums >"$DL/var/lib/dpkg/status.d/$pkg.md5sums" 2>/dev/null ||
    rm -f "$DL/var/lib/dpkg/status.d/$pkg.md5sums"
done
# The truth for status.d: the same records joined into a status file that dpkg-query reads.
mkdir -p "$WORK/distroless/admin/info" "$WORK/distroless/admin/updates"
for f in "$DL"/var/lib/dpkg/status.d/*; do
  case "$f" in *.md5sums) continue ;; esac
  cat "$f"
  echo
done >"$WORK/distroless/admin/status"
query "$WORK/distroless/admin" "$WORK/distroless/l1"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$DL/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$DL/etc/group"
chown 65532:65532 "$DL/home/nonroot"
chmod 1777 "$DL/tmp"

say "writing OCI layouts, oci-archive and docker-archive tars"
node_modules/.bin/tsx test/support/image-build.ts "$WORK" "$OUT" >&2 || fail "writing the image layouts failed"

rm -rf "$WORK"
echo "recipe $RECIPE" >"$OUT/READY"
say "images ready in $OUT: $(cd "$OUT" && ls -d */ | grep -v cache/ | tr -d / | tr '\n' ' ')"
