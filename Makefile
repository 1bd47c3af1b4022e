# custexport — every command a developer or CI needs. `make test` is the one CI runs.
GO           ?= go
STATICCHECK  := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME     ?= 30s

.PHONY: test lint bench fuzz build clean pgo

# -buildvcs=auto: custexport --version shows the git revision and time even where GOFLAGS
# turns VCS stamping off; outside a git checkout it is left out without failing the build.
build:
	$(GO) build -buildvcs=auto -o bin/custexport ./cmd/custexport

# All tests, with the race detector, never cached. The real-reader tests (LibreOffice,
# openpyxl, xmllint, Python's csv) fail rather than skip when a reader is missing:
# .ci/run installs them.
test:
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Seeds 1,000,000 customers once into bench/.data (reused), then times every export against
# anchors run in the same invocation. See bench/README.md.
bench:
	$(MAKE) -C bench

# Regenerates cmd/custexport/default.pgo, the profile behind the profile-guided optimisation
# of every build of the binary: after changes to the export or import paths. See scripts/pgo.
pgo:
	GO=$(GO) ./scripts/pgo

# Every fuzz target in the tree, each for FUZZTIME: the targets are found in the code (go test
# -list), so a new one is fuzzed without being listed here.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for fn in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$fn ($$pkg) for $(FUZZTIME)"; \
			$(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin bench/out
