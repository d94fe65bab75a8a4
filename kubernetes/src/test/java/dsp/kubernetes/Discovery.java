package dsp.kubernetes;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Static discovery documents, enough for kubectl to map names like "node" and "configmap" to paths. */
final class Discovery {

    private Discovery() {
    }

    private record Res(String name, String kind, boolean namespaced, String shortName) {
    }

    private static final List<Res> CORE = List.of(
            new Res("nodes", "Node", false, "no"), new Res("namespaces", "Namespace", false, "ns"),
            new Res("configmaps", "ConfigMap", true, "cm"), new Res("persistentvolumeclaims", "PersistentVolumeClaim", true, "pvc"),
            new Res("persistentvolumes", "PersistentVolume", false, "pv"), new Res("events", "Event", true, "ev"),
            new Res("pods", "Pod", true, "po"), new Res("services", "Service", true, "svc"),
            new Res("serviceaccounts", "ServiceAccount", true, "sa"));

    private static final Map<String, List<Res>> GROUPS = Map.of(
            "storage.k8s.io/v1", List.of(new Res("storageclasses", "StorageClass", false, "sc"),
                    new Res("csidrivers", "CSIDriver", false, null),
                    new Res("csistoragecapacities", "CSIStorageCapacity", true, null)),
            "coordination.k8s.io/v1", List.of(new Res("leases", "Lease", true, null)),
            "apps/v1", List.of(new Res("deployments", "Deployment", true, "deploy"), new Res("daemonsets", "DaemonSet", true, "ds")),
            "rbac.authorization.k8s.io/v1", List.of(new Res("clusterroles", "ClusterRole", false, null),
                    new Res("clusterrolebindings", "ClusterRoleBinding", false, null), new Res("roles", "Role", true, null),
                    new Res("rolebindings", "RoleBinding", true, null)),
            "batch/v1", List.of(new Res("cronjobs", "CronJob", true, "cj"), new Res("jobs", "Job", true, null)),
            "apiextensions.k8s.io/v1", List.of(new Res("customresourcedefinitions", "CustomResourceDefinition", false, "crd")),
            "dynamicpools.io/v1alpha1", List.of(new Res("storagepools", "StoragePool", false, "sp"),
                    new Res("poolvolumes", "PoolVolume", false, "pv2"),
                    new Res("poolvirtualmachines", "PoolVirtualMachine", true, "pvm"),
                    new Res("pooltemplates", "PoolTemplate", false, "ptpl")));

    static String document(String path, int port) {
        switch (path) {
            case "/version":
                return "{\"major\":\"1\",\"minor\":\"30\",\"gitVersion\":\"v1.30.0\",\"platform\":\"linux/amd64\"}";
            case "/api":
                return "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1:"
                        + port + "\"}]}";
            case "/apis":
                return "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[" + GROUPS.keySet().stream().sorted().map(gv -> {
                    String g = gv.substring(0, gv.indexOf('/'));
                    String v = "{\"groupVersion\":\"" + gv + "\",\"version\":\"" + gv.substring(gv.indexOf('/') + 1) + "\"}";
                    return "{\"name\":\"" + g + "\",\"versions\":[" + v + "],\"preferredVersion\":" + v + "}";
                }).collect(Collectors.joining(",")) + "]}";
            case "/api/v1":
                return list("v1", CORE);
            default:
                if (path.startsWith("/apis/")) {
                    List<Res> r = GROUPS.get(path.substring("/apis/".length()));
                    if (r != null) {
                        return list(path.substring("/apis/".length()), r);
                    }
                }
                return null;
        }
    }

    private static String list(String groupVersion, List<Res> resources) {
        return "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"" + groupVersion + "\",\"resources\":["
                + resources.stream().map(r -> "{\"name\":\"" + r.name() + "\",\"singularName\":\"\",\"namespaced\":" + r.namespaced()
                        + ",\"kind\":\"" + r.kind() + "\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]"
                        + (r.shortName() == null ? "" : ",\"shortNames\":[\"" + r.shortName() + "\"]") + "}")
                .collect(Collectors.joining(",")) + "]}";
    }
}
