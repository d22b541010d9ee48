# Latchkey: build, lint and test entry points.
#
#   make build        build bin/latchkey
#   make run          build and run `bin/latchkey $(RUN_ARGS)` (only Go needed)
#   make generate     regenerate templ code (commit the result)
#   make lint         gofmt, go vet, staticcheck
#   make test         everything CI runs: deps, generated-code drift, lint, all tests with -race
#                     against a throwaway PostgreSQL (unless LATCHKEY_TEST_POSTGRES is set)
#   make test-short   quick `go test ./...`: no race detector, no PostgreSQL
#   make bench        benchmarks (with PostgreSQL)
#   make fuzz         every fuzz target for FUZZTIME each (default 10s; CI runs 5s, FUZZTIME=5m before a release)
#   make clean
#
# Useful variables: RUN_ARGS, TEST_FLAGS (extra go test flags, e.g. TEST_FLAGS='-run Foo -v'),
# PKGS (default ./...), BENCH (default .), CHROMIUM_PATH, LATCHKEY_TEST_POSTGRES,
# LATCHKEY_SKIP_DEPS=1 (don't let scripts/ci-deps.sh install anything).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
# Targets like `test` rely on their prerequisites running in order, one at a time.
.NOTPARALLEL:

GO ?= go
BIN := bin/latchkey
RUN_ARGS ?= serve --demo
PKGS ?= ./...
TEST_FLAGS ?=
BENCH ?= .

# `go install` puts tools such as staticcheck here; make sure they are on PATH.
GOBIN_DIR := $(or $(shell $(GO) env GOBIN 2>/dev/null),$(shell $(GO) env GOPATH 2>/dev/null)/bin)
export PATH := $(PATH):$(GOBIN_DIR)
STATICCHECK ?= $(GOBIN_DIR)/staticcheck

# Browser tests read CHROMIUM_PATH; default it to the installed chromium (/usr/bin/chromium on
# Debian). Expanded by the recipe's shell, so it sees a chromium that `deps` just installed.
WITH_CHROMIUM = CHROMIUM_PATH="$${CHROMIUM_PATH:-$$(command -v chromium 2>/dev/null || true)}"

.PHONY: build run generate check-generated lint deps test test-short bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/latchkey

run: build
	./$(BIN) $(RUN_ARGS)

generate:
	$(GO) tool templ generate

# `templ generate -check` misses orphaned *_templ.go files, so regenerate and ask git.
check-generated:
	$(GO) tool templ generate
	@drift=$$(git status --porcelain -- '*.templ' '*_templ.go'); \
	if [[ -n "$$drift" ]]; then \
		echo "$$drift"; \
		echo "error: generated templ code is stale or uncommitted: run 'make generate' and commit the result" >&2; \
		exit 1; \
	fi

lint:
	@bash scripts/ci-deps.sh staticcheck
	@unformatted=$$(gofmt -l .); \
	if [[ -n "$$unformatted" ]]; then \
		echo "$$unformatted"; \
		echo "error: these files are not gofmt'ed: run 'gofmt -w' on them" >&2; \
		exit 1; \
	fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

# chromium, PostgreSQL binaries, staticcheck, tests/js node modules; a no-op when all are present.
deps:
	@bash scripts/ci-deps.sh

test: deps check-generated lint
	$(WITH_CHROMIUM) bash scripts/with-postgres.sh $(GO) test -race -count=1 $(TEST_FLAGS) $(PKGS)

test-short:
	$(WITH_CHROMIUM) $(GO) test -count=1 $(TEST_FLAGS) $(PKGS)

bench:
	$(WITH_CHROMIUM) bash scripts/with-postgres.sh $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem $(TEST_FLAGS) $(PKGS)

fuzz:
	FUZZTIME=$${FUZZTIME:-10s} bash scripts/fuzz.sh

clean:
	rm -rf bin test-artifacts screenshots
