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

# The namespace story (or, without root and /dev/net/tun, the same between two in-process stacks).
demo: build debs
	node dist/src/cli/main.js demo

fixtures: debs
	scripts/make-fixtures.sh pcap-fixtures

clean:
	rm -rf dist build

# --- TAP driver (drivers/tap): the native addon, the tools its tests use, its benchmark ---
DEBS += ping:iputils-ping
TAP_ADDON := build/Release/usernet_tap.node
# `npm ci` builds the addon on a fresh clone; this rebuilds it when its sources change, with the
# node-gyp that ships inside npm and the Node headers that .npmrc names.
$(TAP_ADDON): binding.gyp $(wildcard drivers/tap/*.cc drivers/tap/*.h) | $(NODE_MODULES)
	npm_config_nodedir="$$(npm config get nodedir)" node "$$(dirname "$$(readlink -f "$$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js" rebuild
test: $(TAP_ADDON)
.PHONY: bench-tap
bench-tap: $(TAP_ADDON)
	npx ts-node test/bench/tap-bench.ts

# --- Fuzzing and simulation sweeps (test/fuzz, test/sim/sweep*, src/sim) ---
# make fuzz [SECONDS=60 | ITERATIONS=N] [SEED=N] [TARGET=all|parsers|stack|<parser>]
# make soak SEEDS=N [FROM=1] [UNI=1]: N seeded random scenarios; each failing seed prints its replay,
# make soak SEED=K [UNI=1]: one seed, verbose. UNI=1: servers do not write back (the make test mix).
.PHONY: fuzz soak
fuzz: $(NODE_MODULES)
	npx ts-node -T test/fuzz/run.ts --target $(or $(TARGET),all) $(if $(SEED),--seed $(SEED)) $(if $(ITERATIONS),--iterations $(ITERATIONS)) $(if $(SECONDS),--seconds $(SECONDS))
soak: $(NODE_MODULES)
	npx ts-node -T test/sim/sweep-soak.ts --seeds $(or $(SEEDS),100) --from $(or $(FROM),1) --uni $(or $(UNI),0) $(if $(SEED),--seed $(SEED))

# --- TCP scripts in packetdrill syntax (src/script, test/scripts) ---
.PHONY: script
script: build
	node dist/src/cli/main.js script $(FILE)

# --- usernet netns / serve / demo: the tools the demo and the namespace interop tests run inside ---
DEBS += curl:curl nc:netcat-openbsd iperf3:iperf3
demo: $(TAP_ADDON)

# --- Benchmarks (src/bench): usernet next to the kernel, Node's net, slirp4netns and pasta ---
# make bench [BENCH_SCALE=0.1] [BENCH_REPS=3] [BENCH_ROWS=1,2,6] [BENCH_CASES=r6-netns-mtu1500] [BENCH_PATHS=usernet,slirp4netns]
#            [BENCH_CONNRATE_SECONDS=5] [PROFILE=1]
# Compiled JavaScript only (dist/), never ts-node. Writes bench-results.json and prints the table;
# PROFILE=1 keeps node --cpu-prof profiles of usernet's side in bench-profiles/ and summarises them.
BENCH_DEBS := iperf3:iperf3 slirp4netns:slirp4netns pasta:passt curl:curl
.PHONY: bench
bench: build $(TAP_ADDON)
	@scripts/ensure-debs.sh $(BENCH_DEBS)
	BENCH_SCALE=$(BENCH_SCALE) BENCH_REPS=$(BENCH_REPS) BENCH_ROWS=$(BENCH_ROWS) BENCH_CASES=$(BENCH_CASES) BENCH_PATHS=$(BENCH_PATHS) BENCH_CONNRATE_SECONDS=$(BENCH_CONNRATE_SECONDS) PROFILE=$(PROFILE) node dist/src/bench/run.js

# --- TCP interop against the kernel (test/interop/tcp*.test.ts): curl, nc, tcpdump above, and python3 for exact socket control ---
DEBS += python3:python3
