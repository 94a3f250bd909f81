# usagekit: the two commands a new developer needs are `make generate` and
# `make test`; the rest are for maintainers.
GO ?= go
USAGEKIT = $(GO) run ./generator/cmd/usagekit

.PHONY: generate validate test lint bench fuzz docs

## generate: validate definitions/ and regenerate generated/ (no server needed)
generate:
	$(USAGEKIT) generate --definitions definitions --out generated --ts generated/usage.ts

## validate: report every problem in definitions/ as path:line:col: message
validate:
	$(USAGEKIT) validate definitions

## docs: write the metrics dictionary for definitions/ to build/dictionary
docs:
	$(USAGEKIT) docs --out build/dictionary definitions

## test: lint, then every test (Redis on REDIS_URL, PostgreSQL on DATABASE_URL)
test: lint
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./runtime/...

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: every benchmark, with allocation figures
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: fuzz the loader and validator (FUZZTIME=5m for a longer run)
FUZZTIME ?= 1m
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzLoad -fuzztime=$(FUZZTIME) -fuzzminimizetime=10s ./generator/internal/load
