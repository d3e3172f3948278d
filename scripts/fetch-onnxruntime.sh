#!/usr/bin/env bash
# Fetches the ONNX Runtime 1.24.1 C library from the npm package
# onnxruntime-node@1.24.1 (npm pack only: its install scripts never run) into
# third_party/onnxruntime/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=third_party/onnxruntime
lib=$dest/libonnxruntime.so.1
if [ -s "$lib" ]; then
  echo "onnxruntime: $lib present"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent onnxruntime-node@1.24.1 >/dev/null)
tar -xzf "$tmp"/onnxruntime-node-1.24.1.tgz -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
mkdir -p "$dest"
mv "$tmp"/package/bin/napi-v6/linux/x64/libonnxruntime.so.1 "$lib"
echo "onnxruntime: installed $lib"
