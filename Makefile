# Dynamic Storage Pools. A fresh machine needs only: make run, make test.
SHELL := /bin/bash
MVN ?= mvn -B -q
PORT ?= 8080
DATA_DIR ?= ./data
JAR := cli/target/poolctl.jar
SOURCES := $(shell find . -path ./data -prune -o -path '*/target' -prune -o \( -path '*/src/*' -o -name pom.xml \) -type f -print 2>/dev/null)

.PHONY: build run test bench clean deps

## deps: install what this machine lacks (Java 17+, Maven, qemu-img) when we are root
deps:
	@command -v java >/dev/null || { echo "installing Java"; $(call apt,openjdk-17-jdk-headless); }
	@command -v mvn >/dev/null || { echo "installing Maven"; $(call apt,maven); }
	@command -v qemu-img >/dev/null || { echo "installing qemu-utils"; $(call apt,qemu-utils); } || true

define apt
if [ "$$(id -u)" = 0 ]; then (apt-get install -y -qq $(1) >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(1) >/dev/null; }); else echo "please install $(1)" >&2; exit 1; fi
endef

## build: compile everything and leave the launcher at bin/poolctl
build: deps $(JAR)

$(JAR): $(SOURCES)
	$(MVN) -DskipTests package
	@touch $(JAR)

## run: the standalone server on port 8080 with an embedded database and demo servers
run: build
	bin/poolctl standalone --demo --port $(PORT) --data-dir $(DATA_DIR)

## test: build and run every test
test: deps
	mvn -B verify

## bench: benchmarks (figures are recorded with the machine named in bench/README.md)
bench: build
	@for b in bench/*.sh; do bash "$$b" || exit 1; done
	mvn -B -q -pl kubernetes -am test -Dbench.excluded= -Dgroups=bench -Dtest='*Benchmark' -Dsurefire.failIfNoSpecifiedTests=false
	@grep -h '\[bench\]' kubernetes/target/surefire-reports/*Benchmark-output.txt

clean:
	$(MVN) clean
