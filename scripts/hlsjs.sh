#!/usr/bin/env bash
# Embeds hls.js into the HLS player page: installs the npm package hls.js at
# the pinned version into a temporary directory, copies its dist/hls.min.js to
# protocols/hls/assets/hls.min.js, and records the version and the sha256 in
# protocols/hls/assets/hls.min.js.version. Run by `make hlsjs`; needs node,
# npm and the npm registry. To upgrade, change HLSJS_VERSION (a 1.x release,
# see `npm view hls.js version`), run it, and commit both files.
set -euo pipefail

HLSJS_VERSION=1.7.4

root="$(cd "$(dirname "$0")/.." && pwd)"
assets="$root/protocols/hls/assets"
for bin in node npm sha256sum; do
  command -v "$bin" >/dev/null 2>&1 || { echo "hlsjs.sh: $bin is missing (apt-get install nodejs npm coreutils)" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "hls.js@$HLSJS_VERSION" >/dev/null)

pkg="$tmp/node_modules/hls.js"
got="$(node -p 'require(process.argv[1]).version' "$pkg/package.json")"
if [ "$got" != "$HLSJS_VERSION" ]; then
  echo "hlsjs.sh: npm installed hls.js $got, want $HLSJS_VERSION" >&2
  exit 1
fi
src="$pkg/dist/hls.min.js"
[ -s "$src" ] || { echo "hlsjs.sh: $src is missing or empty" >&2; exit 1; }

mkdir -p "$assets"
cp "$src" "$assets/hls.min.js.tmp"
mv "$assets/hls.min.js.tmp" "$assets/hls.min.js"
sum="$(sha256sum "$assets/hls.min.js" | cut -d' ' -f1)"
cat >"$assets/hls.min.js.version" <<EOF
# hls.min.js is dist/hls.min.js of the npm package hls.js (Apache-2.0),
# copied by scripts/hlsjs.sh (make hlsjs); check: cd protocols/hls/assets && sha256sum -c hls.min.js.version
# hls.js $HLSJS_VERSION https://registry.npmjs.org/hls.js/-/hls.js-$HLSJS_VERSION.tgz
$sum  hls.min.js
EOF
echo "hls.js $HLSJS_VERSION -> protocols/hls/assets/hls.min.js ($(wc -c <"$assets/hls.min.js") bytes, sha256 $sum)"
