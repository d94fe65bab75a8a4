# Dynamic Storage Pools. A fresh machine needs only: make run, make test.
SHELL := /bin/bash
MVN ?= mvn -B -q
PORT ?= 8080
DATA_DIR ?= ./data
JAR := cli/target/poolctl.jar
SOURCES := $(shell find . -path ./data -prune -o -path '*/target' -prune -o \( -path '*/src/*' -o -name pom.xml \) -type f -print 2>/dev/null)

.PHONY: build run test bench bench-smoke clean deps mutation crds test-deps

## deps: install what this machine lacks when we are root; fail loudly when that does not work.
## Not root: Java and Maven are required; a missing test tool is reported (its tests skip, saying so),
## except in CI (CI=true), where a missing tool is an error.
deps:
	@command -v java >/dev/null || { $(call apt,openjdk-17-jdk-headless,java); }
	@command -v mvn >/dev/null || { $(call apt,maven,mvn); }
	@command -v qemu-img >/dev/null && command -v qemu-nbd >/dev/null || { $(call tool,qemu-utils,qemu-img); }
	@command -v kubectl >/dev/null || { $(call tool,kubernetes-client,kubectl); }

# $(call apt,PACKAGE,COMMAND): install PACKAGE as root and check that COMMAND is then there; otherwise fail.
define apt
if [ "$$(id -u)" != 0 ]; then echo "make: $(2) is missing: install $(1) (as root: apt-get install $(1))" >&2; exit 1; fi; \
echo "installing $(1)"; \
apt-get install -y -qq $(1) >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $(1) >/dev/null; } \
  || { echo "make: could not install $(1) with apt-get" >&2; exit 1; }; \
command -v $(2) >/dev/null || { echo "make: $(1) is installed but $(2) is not on PATH" >&2; exit 1; }
endef

# $(call tool,PACKAGE,COMMAND): a tool the tests need: installed as root, required in CI, else reported.
define tool
if [ "$$(id -u)" = 0 ]; then $(call apt,$(1),$(2)); \
elif [ "$$CI" = true ]; then echo "make: $(2) is missing and CI needs it: apt-get install $(1) as root" >&2; exit 1; \
else echo "make: $(2) is missing; tests that need it will be skipped (install: sudo apt-get install $(1))" >&2; fi
endef

## test-deps: what only the tests drive (promtool from prometheus, headless Chromium), the same way as deps
test-deps:
	@command -v promtool >/dev/null || { $(call tool,prometheus,promtool); }
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { $(call tool,chromium chromium-driver,chromedriver); }
	@command -v wrk >/dev/null || { $(call tool,wrk,wrk); }

## build: compile everything and leave the launcher at bin/poolctl
build: deps $(JAR)

$(JAR): $(SOURCES)
	$(MVN) -DskipTests package

## run: the standalone server on port 8080 with an embedded database and demo servers
run: build
	bin/poolctl standalone --demo --port $(PORT) --data-dir $(DATA_DIR)

## test: build and run every test; prints the adversarial suites' figures ([suite] lines: requests generated,
## kill rounds, invariant checks) and lists at the end any test skipped for a missing tool. Then a smoke run of
## the benchmark scripts at tiny sizes (no figures kept, no timing checked) so that they cannot rot
test: deps test-deps
	@rm -f */target/skipped-tools.txt
	@mvn -B verify; status=$$?; grep -h '^\[suite\]' */target/surefire-reports/*-output.txt 2>/dev/null; \
	  if [ $$status = 0 ]; then $(MAKE) --no-print-directory bench-smoke || status=1; fi; \
	  cat */target/skipped-tools.txt 2>/dev/null | sort -u >&2; exit $$status

## bench-smoke: every bench/*.sh at tiny sizes (SMOKE=1): they still run, nothing is recorded
bench-smoke:
	@log=$$(mktemp); for b in bench/*.sh; do echo "smoke: $$b"; SMOKE=1 bash "$$b" >"$$log" 2>&1 \
	  || { tail -20 "$$log" >&2; rm -f "$$log"; echo "make: the smoke run of $$b failed" >&2; exit 1; }; \
	  grep -h '^skipped:' "$$log" >&2 || true; done; rm -f "$$log"

## mutation: PIT mutation testing of core, node, store-sqlite, api, kubernetes (slow; not part of make test).
## MODULES=core limits it (the modules it needs are built, not mutated); THREADS=1 on a busy machine;
## CLASSES='dsp.core.usecase.*' and TESTS='dsp.core.usecase.*' narrow it further.
## The per-module scores go to target/mutation-summary.txt (survivors: docs/mutation.md)
MUTATED := core node store-sqlite api kubernetes
MODULES ?= $(subst $(eval) ,$(comma),$(MUTATED))
THREADS ?= 2
comma := ,
mutation: deps
	mvn -B -Pmutation verify -pl $(MODULES) -am -Dpit.threads=$(THREADS) \
	  $(foreach m,$(filter-out $(subst $(comma), ,$(MODULES)),$(MUTATED)),-Dmutation.skip.$(m)=true) \
	  $(if $(CLASSES),-Dpit.targetClasses='$(CLASSES)') $(if $(TESTS),-Dpit.targetTests='$(TESTS)') \
	  $(if $(EXCLUDED),-Dpit.excludedTests='$(EXCLUDED)')
	@bin/mutation-summary

## crds: write deploy/crds from the CRD classes (kubernetes/.../crd); CrdYamlTest in make test fails until this is run after a change
crds:
	$(MVN) -pl kubernetes -am test -Dtest=CrdYamlTest -Dsurefire.failIfNoSpecifiedTests=false -Dcrds.write=true
	@git status --short deploy/crds

## bench: benchmarks; each writes its figures, with the machine named, into BENCHMARKS.md (bench/README.md says what each measures)
bench: build
	@command -v wrk >/dev/null || { $(call apt,wrk,wrk); }
	@for b in bench/*.sh; do bash "$$b" || exit 1; done
	mvn -B -q -pl kubernetes -am test -Dbench.excluded= -Dgroups=bench -Dtest='*Benchmark' -Dsurefire.failIfNoSpecifiedTests=false
	@grep -h '\[bench\]' kubernetes/target/surefire-reports/*Benchmark-output.txt

clean:
	$(MVN) clean
