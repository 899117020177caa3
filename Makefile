# Kairos — the two commands of the README are `make run` and `make test`.
GO     ?= go
DSFR   := web/static/dsfr/dsfr.min.css
PG_URL ?= postgres://kairos:kairos@127.0.0.1:5432/kairos_test

.PHONY: run test test-postgres check build assets clean

## run: the portal at http://localhost:8080 with embedded SQLite (kairos.db) and demo data
run: assets
	KAIROS_DEMO=1 KAIROS_WEBHOOKS_ALLOW_PRIVATE=1 KAIROS_LOG_FORMAT=text $(GO) run ./cmd/kairos serve

## test: formatting, vet, and the whole test suite with the race detector (SQLite;
## set KAIROS_TEST_DATABASE_URL=postgres://… to run it on PostgreSQL)
test: assets check
	$(GO) test -race -count=1 -timeout=30m ./...

## test-postgres: the whole suite on the PostgreSQL at $(PG_URL)
test-postgres: assets
	KAIROS_TEST_DATABASE_URL=$(PG_URL) $(GO) test -race -count=1 -timeout=30m ./...

check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@out=$$(git grep -nE '^(<<<<<<<|>>>>>>>) ' -- . 2>/dev/null || true); if [ -n "$$out" ]; then echo "merge conflict markers left in:"; echo "$$out"; exit 1; fi

## build: the kairos binary in bin/
build: assets
	$(GO) build -o bin/kairos ./cmd/kairos

## assets: the DSFR files the pages use, from the npm package pinned in package-lock.json
assets: $(DSFR)

$(DSFR): package-lock.json web/static/icons.txt tools/dsfrassets/main.go
	npm ci --ignore-scripts --no-audit --no-fund
	$(GO) run ./tools/dsfrassets

clean:
	rm -rf bin node_modules web/static/dsfr
