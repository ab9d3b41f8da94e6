# The verbs a person types. Each one installs what it needs, so a fresh clone works.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json
DEBS := tshark:tshark tcpdump:tcpdump

.PHONY: all build test demo fixtures debs clean

all: build

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NODE_MODULES)
	npx tsc -p tsconfig.build.json

debs:
	@scripts/ensure-debs.sh $(DEBS)

test: build debs
	npx tsc -p tsconfig.json --noEmit
	npx ava

demo: build
	node dist/src/cli/main.js decode pcap-fixtures/tcp4-handshake-bulk.pcap

fixtures: debs
	scripts/make-fixtures.sh pcap-fixtures

clean:
	rm -rf dist build
