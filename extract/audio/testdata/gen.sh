#!/usr/bin/env bash
# Regenerates the audio fixtures used by flac_test.go and mp3_test.go.
# Needs sox, flac and lame (apt-get install -y sox flac lame); the tests
# themselves need none of them. Output is deterministic for a given tool
# version except for the white-noise channel, so the FLAC test compares
# against the committed source WAV rather than a formula.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# libFLAC reference: 16-bit stereo 8 kHz, 0.25 s; left a 440 Hz sine, right
# white noise, so -8 exercises LPC subframes and stereo decorrelation.
sox -n -r 8000 -c 2 -b 16 libflac_src.wav synth 0.25 sine 440 whitenoise vol 0.5
flac --silent --force --no-padding -8 -o libflac.flac libflac_src.wav

# MP3: 1 s 440 Hz mono at 44.1 kHz, 64 kbit/s CBR, no Xing/Info frame (-t).
sox -n -r 44100 -c 1 -b 16 "$tmp/t44.wav" synth 1.0 sine 440 vol 0.5
lame --quiet -t -b 64 "$tmp/t44.wav" tone440_44k_mono.mp3

# MP3: 0.75 s 440 Hz stereo at 22.05 kHz (MPEG-2), VBR with a Xing/LAME
# frame, an ID3v2 tag in front and an ID3v1 tag at the end.
sox -n -r 22050 -c 2 -b 16 "$tmp/t22.wav" synth 0.75 sine 440 vol 0.5
lame --quiet -V 6 --add-id3v2 --tt "reef fixture" "$tmp/t22.wav" tone440_22k_stereo_vbr.mp3
