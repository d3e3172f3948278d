# reef: one setup command, one command for the main job, one for the tests.
#   make setup   install everything a fresh Debian machine needs
#   make serve   run `reef serve` on ./reef-data with the built-in model
#   make test    run the test suite (race detector on)

GO        ?= go
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS  := dataset-fashion-mnist libhnswlib-dev g++ chromium espeak-ng libturbojpeg0-dev \
             python3-numpy python3-pytest python3-pandas python3-setuptools python3-venv
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: setup build serve test test-cluster bench fuzz clean weaviate

setup:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS)
	$(GO) mod download
	scripts/fetch-onnxruntime.sh
	scripts/build-default-model.sh
	scripts/fetch-audio-models.sh
	/usr/bin/python3 -m venv --system-site-packages .venv
	.venv/bin/pip install -q --no-build-isolation --no-index ./clients/python
	$(MAKE) build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/reef ./cmd/reef

serve: build
	bin/reef serve

test:
	$(GO) vet ./...
	$(GO) test -race -timeout 40m ./...
	# Real-data figures (index recall, layout quality, understanding on
	# Fashion-MNIST) need full sizes that -race makes too slow: a non-race pass.
	$(GO) test -count=1 -timeout 20m -run 'FashionMNIST|ParallelInsertConnectivity' ./index ./layout ./understand ./engine ./analysis
	FUZZTIME=2s scripts/fuzz-smoke.sh
	web/check-build.sh
	/usr/bin/python3 -m pytest -q -rs clients/python

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# weaviate builds the Weaviate server reef's cluster store runs against into
# third_party/weaviate/ (~170 MB; minutes on 2 cores from a cold module cache).
# Not part of setup: only the cluster store and its tests need it.
WEAVIATE_VERSION := v1.35.2
weaviate:
	mkdir -p third_party/weaviate
	GOBIN=$(CURDIR)/third_party/weaviate $(GO) install github.com/weaviate/weaviate/cmd/weaviate-server@$(WEAVIATE_VERSION)

# test-cluster builds Weaviate and runs the cluster tests (3 local nodes on
# loopback: the client, a kill -9 fault test). make test skips them when
# third_party/weaviate is absent, as on a fresh machine.
test-cluster: weaviate
	$(GO) test -race -count=1 -timeout 30m ./weaviate/

clean:
	rm -rf bin
