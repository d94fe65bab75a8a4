#!/bin/sh
# The guide's pool status check, shipped in the image at /k8s-storage-pool/monitor-pools.sh:
#   kubectl exec -n dynamic-storage-pools deployment/k8s-pool-provisioner -- /k8s-storage-pool/monitor-pools.sh
# Prints every pool (servers, capacity, used, available, usage, health) from the API, so it shows
# the whole cluster. Bytes on disk are per node: run `du` in an agent pod (see README).
exec poolctl status --server "${POOLCTL_SERVER:-http://localhost:8080}" "$@"
