#!/usr/bin/env bash
# Checks a Dynamic Storage Pools deployment the way the guide's troubleshooting section does.
# Exit code: 0 when every check passes, 1 otherwise. SKIP_PODS=1 skips pod checks (a cluster
# without running workloads, e.g. a test API server).
set -uo pipefail
KUBECTL=${KUBECTL:-kubectl}
NS=dynamic-storage-pools
failures=0
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1"; failures=$((failures + 1)); }
k() { $KUBECTL "$@"; }

k get nodes -o name >/dev/null 2>&1 || { echo "test: kubectl cannot reach the cluster" >&2; exit 1; }

k8s=$(k get nodes -l pool=k8s --no-headers 2>/dev/null | wc -l)
vm=$(k get nodes -l pool=vm --no-headers 2>/dev/null | wc -l)
[ "$k8s" -ge 1 ] && pass "k8s pool has $k8s server(s)" || fail "no node is labelled pool=k8s"
[ "$vm" -ge 1 ] && pass "vm pool has $vm server(s)" || fail "no node is labelled pool=vm"

for sc in k8s-pool-storage vm-pool-storage; do
  k get storageclass "$sc" >/dev/null 2>&1 && pass "storage class $sc exists" || fail "storage class $sc is missing"
done
for crd in storagepools poolvolumes poolvirtualmachines; do
  k get crd "$crd.dynamicpools.io" >/dev/null 2>&1 && pass "CRD $crd.dynamicpools.io exists" || fail "CRD $crd.dynamicpools.io is missing"
done
for d in k8s-pool-provisioner pool-scaling-controller dynamic-pool-monitor; do
  k -n "$NS" get deployment "$d" >/dev/null 2>&1 && pass "deployment $d exists" || fail "deployment $d is missing"
done
for ds in vm-pool-storage-manager k8s-pool-storage-manager; do
  k -n "$NS" get daemonset "$ds" >/dev/null 2>&1 && pass "daemonset $ds exists" || fail "daemonset $ds is missing"
done
k -n "$NS" get service vm-pool-api >/dev/null 2>&1 && pass "service vm-pool-api exists" || fail "service vm-pool-api is missing"
k -n "$NS" get cronjob pool-cleanup >/dev/null 2>&1 && pass "cronjob pool-cleanup exists" || fail "cronjob pool-cleanup is missing"

if [ "${SKIP_PODS:-0}" != 1 ]; then
  for app in k8s-pool-provisioner pool-scaling-controller dynamic-pool-monitor vm-pool-storage-manager; do
    running=$(k -n "$NS" get pods -l "app=$app" --no-headers 2>/dev/null | grep -c Running || true)
    [ "$running" -ge 1 ] && pass "$app: $running pod(s) running" || fail "$app: no pod running"
  done
fi

# the guide's check: kubectl get configmap dynamic-storage-config -n dynamic-storage-pools -o yaml | grep -A 5 "pool-status"
status=""
for _ in $(seq 1 30); do
  status=$(k get configmap dynamic-storage-config -n "$NS" -o jsonpath='{.data.pool-status}' 2>/dev/null || true)
  [ -n "$status" ] && break
  sleep 1
done
if [ -n "$status" ]; then
  pass "ConfigMap dynamic-storage-config has pool-status"
  expected_k8s=$((k8s * 1500))
  expected_vm=$((vm * 1500))
  echo "$status" | grep -q "\"k8s_pool\":{\"servers\":$k8s,\"total_capacity_gb\":$expected_k8s" \
    && pass "k8s_pool: $k8s x 1.5TB = $expected_k8s GB" || fail "k8s_pool does not show $k8s servers / $expected_k8s GB: $status"
  echo "$status" | grep -q "\"vm_pool\":{\"servers\":$vm,\"total_capacity_gb\":$expected_vm" \
    && pass "vm_pool: $vm x 1.5TB = $expected_vm GB" || fail "vm_pool does not show $vm servers / $expected_vm GB: $status"
else
  fail "ConfigMap dynamic-storage-config has no pool-status (is pool-scaling-controller running?)"
fi

echo
if [ "$failures" -eq 0 ]; then echo "all checks passed"; else echo "$failures check(s) failed"; fi
[ "$failures" -eq 0 ]
