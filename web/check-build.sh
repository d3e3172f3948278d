#!/bin/sh
# Rebuilds the embedding view from web/src and fails if the result differs
# from the committed web/dist (which `go build` embeds). CI-able:
#   web/check-build.sh          # npm ci (npm registry only) + build + diff
# Run `npm run build` in web/ and commit web/dist after changing the page.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R dist "$tmp/committed"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --ignore-scripts
fi
npx tsc --noEmit
npx vite build --outDir "$tmp/built" --emptyOutDir >/dev/null
if diff -r "$tmp/committed" "$tmp/built"; then
  echo "web/dist is up to date"
else
  echo "web/dist differs from a fresh build of web/src: run 'npm run build' in web/ and commit web/dist" >&2
  exit 1
fi
