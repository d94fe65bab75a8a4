#!/usr/bin/env bash
# Deploys Dynamic Storage Pools on the cluster kubectl points at. It:
#   - labels nodes for the K8s and VM pools (nodes that already carry pool=... keep it);
#     K8S_NODES / VM_NODES name them, else unlabelled nodes alternate k8s, vm
#   - sets up the pool directories (the node agents' hostPath mounts create /k8s-storage-pool and
#     /vm-storage-pool; an agent runs on every node, so volumes stay served when a node leaves its pool)
#   - deploys (kubectl apply -k deploy/) the K8s pool provisioner, the VM pool storage manager, pool monitoring and the
#     pool scaling controller
#   - verifies the deployment (VERIFY=0 skips waiting for rollouts)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBECTL=${KUBECTL:-kubectl}
VERIFY=${VERIFY:-1}
APPLY_FLAGS=${APPLY_FLAGS:-}
NS=dynamic-storage-pools

k() { $KUBECTL "$@"; }

if ! k get nodes -o name >/dev/null 2>&1; then
  echo "deploy: kubectl cannot reach the cluster (check your kubeconfig)" >&2
  exit 1
fi

echo "== labelling nodes"
if [ -n "${K8S_NODES:-}${VM_NODES:-}" ]; then
  for n in ${K8S_NODES:-}; do k label node "$n" pool=k8s --overwrite >/dev/null && echo "  $n -> pool=k8s"; done
  for n in ${VM_NODES:-}; do k label node "$n" pool=vm --overwrite >/dev/null && echo "  $n -> pool=vm"; done
else
  next=k8s
  for n in $(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.labels.pool}{"\n"}{end}' | awk 'NF==1 {print $1}'); do
    k label node "$n" "pool=$next" >/dev/null && echo "  $n -> pool=$next"
    if [ "$next" = k8s ]; then next=vm; else next=k8s; fi
  done
fi
echo "  k8s pool: $(k get nodes -l pool=k8s --no-headers 2>/dev/null | wc -l) server(s); vm pool: $(k get nodes -l pool=vm --no-headers 2>/dev/null | wc -l) server(s)"

echo "== deploying"
# everything in deploy/ (kustomize: namespace, CRDs, RBAC, configuration, storage classes, workloads)
k apply $APPLY_FLAGS -k "$here/deploy"

if [ "$VERIFY" = 1 ]; then
  echo "== verifying"
  for d in k8s-pool-provisioner pool-scaling-controller dynamic-pool-monitor; do
    k -n "$NS" rollout status "deployment/$d" --timeout=180s
  done
  for ds in vm-pool-storage-manager k8s-pool-storage-manager; do
    k -n "$NS" rollout status "daemonset/$ds" --timeout=180s
  done
fi
echo "== done; run scripts/test-dynamic-storage-pools.sh to check it"
