# edgewatt: see README.md. Everything is pure Go (CGO_ENABLED=0).
export CGO_ENABLED := 0
GO ?= go
BIN := bin
QEMU_ARM64 ?= qemu-aarch64-static
QEMU_ARM ?= qemu-arm-static
# Packages whose tests also run under qemu-user for the Pi's architectures.
CROSS_PKGS := ./runtime/... ./convert/... ./quant/... ./board/... ./internal/e2e/... ./internal/eval/... ./internal/serve/...

.PHONY: all build test test-host test-cross build-pi demo fuzz bench clean release release-check

all: build

build:
	$(GO) build -ldflags '$(VERSION_LDFLAGS)' -o $(BIN)/edgewatt ./cmd/edgewatt

test: test-host test-cross fuzz

test-host:
	@[ -d ../shared/fixtures ] || [ -n "$$EDGEWATT_FIXTURES" ] || echo "NOTE: ../shared/fixtures not found beside the repository: the real-model tests (convert, quant, e2e, train, bench) skip; run 'go test -v ./... | grep SKIP' to list them"
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Cross-architecture tests under qemu-user (Debian's qemu-user-static; .ci/run installs it).
test-cross:
	@command -v $(QEMU_ARM64) >/dev/null || { echo "test-cross: $(QEMU_ARM64) not found: apt-get install -y qemu-user-static"; exit 1; }
	GOARCH=arm64 QEMU_CPU=cortex-a72 $(GO) test -count=1 -exec $(QEMU_ARM64) $(CROSS_PKGS)
	GOARCH=arm64 QEMU_CPU=max $(GO) test -count=1 -exec $(QEMU_ARM64) $(CROSS_PKGS)
	GOARCH=arm GOARM=7 $(GO) test -count=1 -exec $(QEMU_ARM) $(CROSS_PKGS)
	GOARCH=arm GOARM=6 $(GO) test -count=1 -exec $(QEMU_ARM) $(CROSS_PKGS)

# Every fuzz target, briefly: FUZZTIME executions each (a count, not a duration, so that no
# target is cut off mid-minimization by a deadline); the seed corpora also run in test-host.
FUZZTIME ?= 5000x
fuzz:
	@set -e; grep -rl --include='*_test.go' '^func Fuzz' runtime quant convert board internal cmd | grep -v third_party | sort | while read f; do \
		dir=./$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz $$dir $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$dir >/tmp/edgewatt-fuzz.log 2>&1 || { cat /tmp/edgewatt-fuzz.log; exit 1; }; \
		done; \
	done; echo "fuzz: all targets ran for $(FUZZTIME) each"

build-pi:
	GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/edgewatt-linux-arm64 ./cmd/edgewatt
	GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/edgewatt-linux-armv7 ./cmd/edgewatt
	GOOS=linux GOARCH=arm GOARM=6 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/edgewatt-linux-armv6 ./cmd/edgewatt

clean:
	rm -rf $(BIN) out $(DIST)

# The whole job on the embedded example: train in Go on examples/smarthome, convert to int8 with
# an accuracy report, predict a few sentences, and measure energy per inference with the best
# power source this machine has (a recorded trace when there is no sensor).
DEMO := out/demo
demo: build
	@mkdir -p $(DEMO)
	@echo "== 1/4 train (Go, Keras semantics) on examples/smarthome"
	$(BIN)/edgewatt train --data examples/smarthome/train.csv --val examples/smarthome/val.csv --test examples/smarthome/test.csv \
		--vocab 2000 --maxlen 20 --epochs 15 --quiet -o $(DEMO)/smarthome.h5 --labels $(DEMO)/labels.txt
	@echo "== 2/4 convert to int8, calibrated, with an accuracy report"
	$(BIN)/edgewatt convert $(DEMO)/smarthome.h5 --tokenizer $(DEMO)/smarthome.tokenizer.json --padding post --truncating post \
		--labels "routine,urgent" --quant int8 --calib examples/smarthome/calib.txt --eval examples/smarthome/test.csv --max-drop 1 \
		-o $(DEMO)/smarthome-int8.safetensors
	@echo "== 3/4 predict"
	$(BIN)/edgewatt predict -m $(DEMO)/smarthome-int8.safetensors < examples/smarthome/predict.txt
	@echo "== 4/4 energy per inference"
	$(BIN)/edgewatt bench -m $(DEMO)/smarthome-int8.safetensors --energy --power 'auto|replay:examples/smarthome/pi4-power-trace.csv' \
		--windows 3 --window 2s --threads 1 --chart $(DEMO)/energy.svg
	@echo "chart: $(DEMO)/energy.svg"

# Releases (issue 16): reproducible static binaries and SHA256SUMS in $(DIST). The same commit
# gives the same bytes on any machine and path: -trimpath, -buildvcs=false (git would call a
# tree with dist/ in it "modified"), no build ID, and the build date is the commit's time
# (SOURCE_DATE_EPOCH), never the clock. Version, commit and date reach 'edgewatt version'
# through the linker (internal/buildinfo). 'make release-check' builds everything twice, the
# second time from a copy of the tree at another path with an empty build cache, and compares.
DIST ?= dist
RELEASE_TARGETS ?= linux/amd64 linux/arm64 linux/armv7 linux/armv6 darwin/amd64 darwin/arm64 windows/amd64
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
BUILD_DATE := $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r $(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO := github.com/edgewatt/edgewatt/internal/buildinfo
VERSION_LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(BUILD_DATE)

release:
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@set -e; for t in $(RELEASE_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; goarch=$$arch; goarm=; ext=; \
		case $$arch in armv*) goarch=arm; goarm=$${arch#armv};; esac; \
		[ $$os = windows ] && ext=.exe; \
		echo "release $(DIST)/edgewatt-$$os-$$arch$$ext"; \
		GOFLAGS= GOOS=$$os GOARCH=$$goarch GOARM=$$goarm GOAMD64=v1 GOARM64=v8.0 \
			$(GO) build -trimpath -buildvcs=false -ldflags '-s -w -buildid= $(VERSION_LDFLAGS)' \
			-o $(DIST)/edgewatt-$$os-$$arch$$ext ./cmd/edgewatt; \
	done
	@cd $(DIST) && sha256sum edgewatt-* > SHA256SUMS && cat SHA256SUMS

release-check:
	@rm -rf $(DIST).check && mkdir -p $(DIST).check/src $(DIST).check/gocache
	@git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(DIST).check/src
	$(MAKE) release DIST=$(abspath $(DIST))
	cd $(DIST).check/src && GOCACHE=$(abspath $(DIST).check/gocache) $(MAKE) release DIST=$(abspath $(DIST).check/dist) \
		VERSION=$(VERSION) COMMIT=$(COMMIT) SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) RELEASE_TARGETS="$(RELEASE_TARGETS)"
	cmp $(DIST)/SHA256SUMS $(DIST).check/dist/SHA256SUMS && echo "release-check: identical bytes from two builds (another path, empty build cache)"
	@chmod -R u+w $(DIST).check && rm -rf $(DIST).check
