#!/usr/bin/env bash
# The standalone server at fleet scale (#10): 50/500/5,000 servers with 2k/20k/200k allocations filled
# through the API; status, writes against the durable floor, wrk at 16 connections, start-up, RSS,
# poolctl status against curl. Writes its section of BENCHMARKS.md (see bench/StandaloneScale.java).
#
#   bench/standalone-scale.sh                      (make bench runs it)
#   SIZES=50:2000,500:20000 RUNS=1 bench/standalone-scale.sh
#   SMOKE=1 bench/standalone-scale.sh              (tiny sizes, no file written: make test runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SMOKE:-}" = 1 ] && [ "${CI:-}" != true ] && ! command -v wrk >/dev/null; then
  echo "skipped: the smoke run of bench/standalone-scale.sh (wrk is missing: apt-get install wrk)" >&2
  exit 0
fi
for tool in wrk curl java; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make bench installs wrk: apt-get install wrk)" >&2; exit 1; }
done
[ -f cli/target/poolctl.jar ] || { echo "bench: cli/target/poolctl.jar is missing; run make build" >&2; exit 1; }
exec java -Xmx256m -cp cli/target/poolctl.jar bench/StandaloneScale.java
