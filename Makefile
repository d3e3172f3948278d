# reef: one setup command, one command for the main job, one for the tests.
#   make setup   install everything a fresh Debian machine needs
#   make serve   run `reef serve` on ./reef-data with the built-in model
#   make test    run the test suite (race detector on)

GO        ?= go
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS  := dataset-fashion-mnist libhnswlib-dev g++ chromium espeak-ng libturbojpeg0-dev
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: setup build serve test bench fuzz clean

setup:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS)
	$(GO) mod download
	scripts/fetch-onnxruntime.sh
	scripts/build-default-model.sh
	scripts/fetch-audio-models.sh
	$(MAKE) build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/reef ./cmd/reef

serve: build
	bin/reef serve

test:
	$(GO) vet ./...
	$(GO) test -race -timeout 40m ./...
	FUZZTIME=2s scripts/fuzz-smoke.sh
	web/check-build.sh

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean:
	rm -rf bin
