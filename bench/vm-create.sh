#!/usr/bin/env bash
# VM-create latency through the API for a 20 GB template, next to a full copy of the same
# template. Target: create p50 under 100 ms on a 2-core machine.
#
#   bench/vm-create.sh            (make bench runs it)
#   CREATES=100 DATA_GB=4 bench/vm-create.sh
#   SMOKE=1 bench/vm-create.sh    (3 creates, an empty template, no target checked: make test runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
SMOKE=${SMOKE:-}
CREATES=${CREATES:-$([ "$SMOKE" = 1 ] && echo 3 || echo 50)}
DATA_GB=${DATA_GB:-$([ "$SMOKE" = 1 ] && echo 0 || echo 2)}   # real data written into the 20 GB template
work=$(mktemp -d /tmp/dsp-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)
server_pid=""
cleanup() { rc=$?; [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; [ $rc -ne 0 ] && [ -f "$work/server.log" ] && tail -5 "$work/server.log" >&2; rm -rf "$work"; }
trap cleanup EXIT

echo "== building a 20 GB qcow2 template with ${DATA_GB} GB of data"
qemu-img create -q -f raw "$work/base.raw" 20000000000   # 20 GB, decimal as the API counts
dd if=/dev/urandom of="$work/base.raw" bs=1M count=$((DATA_GB * 1024)) conv=notrunc status=none
qemu-img convert -q -f raw -O qcow2 "$work/base.raw" "$work/bench20.qcow2"
rm -f "$work/base.raw"

echo "== full copy of the template (what a copy-based provisioner does)"
copies=()
for i in 1 2 3; do
  sync; start=$(date +%s%N)
  cp "$work/bench20.qcow2" "$work/copy-$i.qcow2"; sync
  copies+=($(( ($(date +%s%N) - start) / 1000000 )))
  rm -f "$work/copy-$i.qcow2"
done
copy_ms=$(printf '%s\n' "${copies[@]}" | sort -n | sed -n 2p)

echo "== standalone server on port $port"
bin/poolctl standalone --demo --host 127.0.0.1 --port "$port" --data-dir "$work/data" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
mv "$work/bench20.qcow2" "$work/data/imports/bench20.qcow2"   # imports come from <data-dir>/imports
curl -sf -X POST "http://127.0.0.1:$port/api/v1/templates" -H 'Content-Type: application/json' \
  -d "{\"name\": \"bench20\", \"source\": \"$work/data/imports/bench20.qcow2\"}" >/dev/null
# first use on each vm server copies the template there once; warm both
for i in 1 2; do
  curl -sf -X POST "http://127.0.0.1:$port/api/v1/vms" -H 'Content-Type: application/json' \
    -d "{\"name\": \"warm-$i\", \"image\": \"bench20\", \"cpu\": 1, \"memory\": 1, \"storage\": 20}" >/dev/null
done

echo "== $CREATES VM creates through POST /api/v1/vms"
: > "$work/latencies"
for i in $(seq 1 "$CREATES"); do
  curl -s -o /dev/null -w '%{time_total}\n' -X POST "http://127.0.0.1:$port/api/v1/vms" -H 'Content-Type: application/json' \
    -d "{\"name\": \"bench-$i\", \"image\": \"bench20\", \"cpu\": 2, \"memory\": 4, \"storage\": 20}" >> "$work/latencies"
done
created=$(curl -s "http://127.0.0.1:$port/api/v1/vms" | grep -o '"status":"stopped"' | wc -l)
stats=$(sort -n "$work/latencies" | awk '{ v[NR] = $1 * 1000 } END {
  i99 = int(NR * 0.99); if (i99 < 1) i99 = NR
  printf "%.1f %.1f %.1f %.1f", v[int((NR + 1) * 0.50)], v[int((NR + 1) * 0.90)], v[i99], v[NR] }')
read -r p50 p90 p99 max <<< "$stats"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo
echo "machine: $(nproc) cores, $cpu, $(df -h --output=fstype "$work" | tail -1 | tr -d ' ') file system"
echo "template: 20 GB virtual, $(du -h "$work/data/imports/bench20.qcow2" | cut -f1) on disk"
printf '%-40s %10s\n' "VM create via API, p50" "${p50} ms"
printf '%-40s %10s\n' "VM create via API, p90" "${p90} ms"
printf '%-40s %10s\n' "VM create via API, p99" "${p99} ms"
printf '%-40s %10s\n' "VM create via API, max" "${max} ms"
printf '%-40s %10s\n' "full copy of the template (median of 3)" "${copy_ms} ms"
awk -v c="$copy_ms" -v p="$p50" 'BEGIN { printf "%-40s %9.0fx\n", "full copy / create p50", c / p }'
echo "VMs created: $created (expected $((CREATES + 2)))"
[ "$SMOKE" = 1 ] && { echo "smoke run: no target checked"; exit 0; }
awk -v p="$p50" 'BEGIN { exit !(p < 100) }' && echo "target p50 < 100 ms: met" || { echo "target p50 < 100 ms: MISSED"; exit 1; }
