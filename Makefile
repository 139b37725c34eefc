# issuerkit — `make demo` runs the whole pipeline, `make test` runs every test.
GO          ?= go
BIN         := bin/issuerkit
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Integration tests (CLI end to end, xmlsec1 interop) are behind this tag;
# `go test ./...` alone stays fast. Skips are failures under make test.
TEST_FLAGS  ?= -tags integration -count=1 -timeout 15m

.PHONY: all deps build test test-short race fuzz lint demo bench bench-big clean

all: lint test

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/issuerkit

# The tests need xmlsec1, softhsm2, poppler, zbar and PostgreSQL: deps.sh
# installs what is missing (or stops at once with the apt-get line to run).
deps:
	@scripts/deps.sh

test: deps
	ISSUERKIT_TEST_DISALLOW_SKIP=1 $(GO) test $(TEST_FLAGS) ./...

test-short:
	$(GO) test ./...

race: deps
	ISSUERKIT_TEST_DISALLOW_SKIP=1 $(GO) test -race $(TEST_FLAGS) ./...

# A short run of every fuzz target (go test -fuzz takes one at a time).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseURI$$' -fuzztime 20s ./xmlschema
	$(GO) test -run '^$$' -fuzz '^FuzzExactNames$$' -fuzztime 20s ./consent
	$(GO) test -run '^$$' -fuzz '^FuzzCSVRow$$' -fuzztime 20s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzCollapseSpace$$' -fuzztime 20s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzParseLayout$$' -fuzztime 20s ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzEncode$$' -fuzztime 20s ./xmlschema
	$(GO) test -run '^$$' -fuzz '^FuzzParseRequest$$' -fuzztime 20s ./xmlschema
	$(GO) test -run '^$$' -fuzz '^FuzzPlainScan$$' -fuzztime 20s ./xmlschema
	$(GO) test -run '^$$' -fuzz '^FuzzParsePushRequest$$' -fuzztime 20s ./xmlschema
	$(GO) test -run '^$$' -fuzz '^FuzzNamesMatch$$' -fuzztime 20s ./repository/api
	$(GO) test -run '^$$' -fuzz '^FuzzCanonical$$' -fuzztime 20s ./consent
	$(GO) test -run '^$$' -fuzz '^FuzzTimeCol$$' -fuzztime 20s ./repository
	$(GO) test -run '^$$' -fuzz '^FuzzParseDocType$$' -fuzztime 20s ./locker
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 20s ./repository/apisetu
	$(GO) test -run '^$$' -fuzz '^FuzzParam$$' -fuzztime 20s ./repository/apisetu
	$(GO) test -run '^$$' -fuzz '^FuzzFastVerify$$' -fuzztime 20s -parallel 1 ./signer

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags integration ./...

demo: build
	@scripts/demo.sh $(BIN)

# Prints the benchmark table (Markdown); docs/benchmarks.md keeps the latest.
bench: build
	$(GO) run ./internal/tools/bench -bin $(BIN) $(BENCH_ARGS)

# The 5,000,000-row CSV ingest's peak RSS (issue: < 256 MB), apart since it
# takes about half an hour and 20 GB of disk.
bench-big: build
	$(GO) run ./internal/tools/bench -bin $(BIN) -only rss -rss-rows 5000000 $(BENCH_ARGS)

clean:
	rm -rf bin demo
