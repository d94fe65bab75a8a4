package dsp.cli.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime.Role;
import dsp.kubernetes.crd.PoolVirtualMachine;
import dsp.node.QemuImg;
import dsp.testing.RequiredTool;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.RunningRoles;
import dsp.kubernetes.NodeAgents;
import dsp.kubernetes.Names;
import dsp.kubernetes.FakePvController;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guide's Kubernetes story as an operator lives it, on the strict cluster with every workload
 * under its own ServiceAccount (RBAC from deploy/) and the API's auth on: the real kubectl applies
 * the StorageClasses, labels the nodes and creates the guide's PVC; claims of both classes are
 * provisioned by the provisioner, made real by the node agents and bound by the (fake) PV
 * controller; the ConfigMap's pool-status shows the figures; the 75 % and 90 % alerts reach the
 * cluster as Events in {@code default} (kubectl get events); a relabel moves capacity and brings the
 * pool back to healthy; the guide's VM curl, as the README gives it (a token from kubectl create
 * token), works once the caller's own RBAC allows it, and only then.
 */
class GuideStoryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private Path kubectl;
    private Path kubeconfig;

    private String kubectl(String... args) throws Exception {
        return kubectlWithInput(null, args);
    }

    private String kubectlWithInput(String input, String... args) throws Exception {
        Process p = run(input, args);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl " + String.join(" ", args) + "\n" + out).isZero();
        return out;
    }

    private Process run(String input, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        return p;
    }

    /** The ConfigMap's pool-status, read as the guide reads it (kubectl get configmap ... -o yaml). */
    private JsonNode poolStatus() throws Exception {
        String s = kubectl("get", "configmap", Names.CONFIG_MAP, "-n", Names.NAMESPACE, "-o", "jsonpath={.data.pool-status}");
        return s.isBlank() ? JSON.createObjectNode() : JSON.readTree(s);
    }

    private void awaitStatus(String pointer, String expected) {
        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(poolStatus().at(pointer).asText()).as("pool-status " + pointer).isEqualTo(expected));
    }

    /** kubectl get events -n default: reason, kind and name of what it is about, and the message. */
    private String eventsInDefault() throws Exception {
        return kubectl("get", "events", "-n", "default", "-o",
                "jsonpath={range .items[*]}{.reason} {.involvedObject.kind}/{.involvedObject.name}: {.message}{\"\\n\"}{end}");
    }

    private void awaitEvent(String line) {
        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(eventsInDefault()).contains(line));
    }

    /** A claim as the guide writes it, created with kubectl; then what kube-controller-manager and kube-scheduler add to it. */
    private void claim(String name, String storageClass, String size, String node) throws Exception {
        kubectlWithInput("""
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata:
                  name: %s
                spec:
                  accessModes:
                    - ReadWriteOnce
                  storageClassName: %s
                  resources:
                    requests:
                      storage: %s
                """.formatted(name, storageClass, size), "create", "--validate=false", "-n", "default", "-f", "-");
        // the PV controller names the class's provisioner; the scheduler, placing the claim's pod, names the node
        kubectl("annotate", "pvc", name, "-n", "default", Names.STORAGE_PROVISIONER_ANN + "=" + Names.PROVISIONER,
                Names.SELECTED_NODE_ANN + "=" + node);
        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> assertThat(
                kubectl("get", "pvc", name, "-n", "default", "-o", "jsonpath={.status.phase}")).as("claim " + name).isEqualTo("Bound"));
    }

    private HttpResponse<String> createVm(String api, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api + "/api/v1/vms")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"name": "test-vm", "image": "ubuntu22", "server_type": "cx21", "cpu": 2, "memory": 4, "storage": 50, "namespace": "default"}"""));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theGuidesKubernetesStoryUnderRbacWithAuthOn() throws Exception {
        kubectl = RequiredTool.KUBECTL.require();
        RequiredTool.QEMU_IMG.require();
        QemuImg qemu = QemuImg.onPath();
        List<String> servers = List.of("server-1", "server-2", "server-3", "server-4", "server-5");
        // the VM template, where the vm pool's agent finds it
        Path templates = Files.createDirectories(dir.resolve("server-3/vm-storage-pool/templates"));
        qemu.create(templates.resolve("ubuntu22.qcow2"), "qcow2", 10_000_000_000L, Optional.empty(), "qcow2");

        try (TestCluster cluster = new TestCluster(); FakePvController pvController = new FakePvController(cluster.client)) {
            kubeconfig = cluster.kubeconfig(dir);
            // --validate=false: the test API server serves no OpenAPI schema to validate against
            kubectl("create", "--validate=false", "-f", Path.of("..", "deploy", "30-storageclasses.yaml").toString());
            servers.forEach(s -> cluster.addNode(s, null));
            List<NodeAgent> agents = new ArrayList<>();
            try (RunningRoles roles = ComposedRoles.start(cluster, "controller-a",
                    Set.of(Role.PROVISIONER, Role.API, Role.SCALING), RunningRoles.FAST, true)) {
                for (String s : servers) { // the agents' DaemonSets cover every node
                    agents.add(NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), s, dir.resolve(s), PoolCatalog.guideDefaults(),
                            "vm", qemu, Clock.systemUTC(), Duration.ofMillis(500)));
                }
                String api = "http://127.0.0.1:" + roles.apiPort();
                Awaitility.await().atMost(WAIT).until(roles::isAdmissionLeader);

                // "Adding Servers to Pools": 2 K8s servers, 2 VM servers
                kubectl("label", "node", "server-1", "pool=k8s");
                kubectl("label", "node", "server-2", "pool=k8s");
                kubectl("label", "node", "server-3", "pool=vm");
                kubectl("label", "node", "server-4", "pool=vm");
                awaitStatus("/k8s_pool/total_capacity_gb", "3000");
                awaitStatus("/vm_pool/total_capacity_gb", "3000");
                awaitEvent("ServerJoinedPool Node/server-1: node server-1 joined pool k8s");

                // the guide's app-pvc (100Gi of k8s-pool-storage) and a disk of vm-pool-storage: provisioned, on disk, bound
                claim("app-pvc", "k8s-pool-storage", "100Gi", "server-1");
                claim("vm-disk", "vm-pool-storage", "50Gi", "server-3");
                String appUid = cluster.client.persistentVolumeClaims().inNamespace("default").withName("app-pvc").get().getMetadata().getUid();
                assertThat(kubectl("get", "pv", "pvc-" + appUid, "-o", "jsonpath={.spec.storageClassName} {.spec.persistentVolumeReclaimPolicy}"))
                        .isEqualTo("k8s-pool-storage Delete");
                assertThat(kubectl("get", "pv", "-o", "jsonpath={range .items[*]}{.spec.storageClassName} {.spec.persistentVolumeReclaimPolicy}{\"\\n\"}{end}"))
                        .contains("vm-pool-storage Retain");
                awaitStatus("/k8s_pool/used_capacity_gb", "107.37"); // 100 GiB
                awaitStatus("/vm_pool/used_capacity_gb", "53.69"); // 50 GiB
                try (var k8sDirs = Files.list(dir.resolve("server-1/k8s-storage-pool"))) {
                    assertThat(k8sDirs.filter(Files::isDirectory).count()).as("app-pvc's directory on server-1").isEqualTo(1);
                }

                // past 75 %, then past 90 % of the K8s pool: the alerts are Events about the StoragePool, in default
                claim("fill-1", "k8s-pool-storage", "1300G", "server-1");
                claim("fill-2", "k8s-pool-storage", "1000G", "server-2"); // 2407.37 of 3000 GB
                awaitStatus("/k8s_pool/usage_percentage", "80.25");
                awaitEvent("PoolWarning StoragePool/k8s: pool k8s is warning");
                claim("fill-3", "k8s-pool-storage", "400G", "server-2"); // 2807.37 of 3000 GB
                awaitStatus("/k8s_pool/usage_percentage", "93.58");
                awaitEvent("PoolCritical StoragePool/k8s: pool k8s is critical");
                assertThat(kubectl("get", "storagepool", "k8s", "-o", "jsonpath={.status.health}")).isEqualTo("critical");

                // Example 1: a third K8s server brings the pool back (2807.37 of 4500 GB)
                kubectl("label", "node", "server-5", "pool=k8s");
                awaitStatus("/k8s_pool/total_capacity_gb", "4500");
                awaitStatus("/k8s_pool/usage_percentage", "62.39");
                awaitEvent("PoolHealthy StoragePool/k8s: pool k8s is healthy again");

                // Example 3 with --overwrite: an empty vm server moves to the K8s pool
                kubectl("label", "node", "server-4", "pool=k8s", "--overwrite");
                awaitStatus("/k8s_pool/total_capacity_gb", "6000");
                awaitStatus("/vm_pool/total_capacity_gb", "1500");
                awaitStatus("/vm_pool/used_capacity_gb", "53.69");
                awaitEvent("ServerMovedPool Node/server-4: node server-4 moved from pool vm to pool k8s");

                // the guide's VM curl: a change needs a token, and the caller's own RBAC must allow creating the VM
                Awaitility.await().atMost(WAIT).until(() -> http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/templates")).build(),
                        HttpResponse.BodyHandlers.ofString()).body().contains("ubuntu22"));
                assertThat(createVm(api, null).statusCode()).isEqualTo(401);
                assertThat(createVm(api, "not-a-token").statusCode()).isEqualTo(401);
                // the README's commands: a ServiceAccount and its token (kubectl create token) ...
                kubectl("create", "serviceaccount", "vm-maker", "-n", "default");
                String token = kubectl("create", "token", "vm-maker", "-n", "default").trim();
                HttpResponse<String> refused = createVm(api, token);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403); // ... which its own RBAC does not allow yet
                assertThat(refused.body()).contains("system:serviceaccount:default:vm-maker");
                assertThat(cluster.client.resources(PoolVirtualMachine.class).inNamespace("default").list().getItems()).isEmpty();
                awaitStatus("/vm_pool/used_capacity_gb", "53.69");
                kubectl("create", "role", "vm-maker", "-n", "default", "--verb=create,delete,update",
                        "--resource=poolvirtualmachines.dynamicpools.io");
                kubectl("create", "rolebinding", "vm-maker", "-n", "default", "--role=vm-maker", "--serviceaccount=default:vm-maker");
                HttpResponse<String> created = createVm(api, token);
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                assertThat(JSON.readTree(created.body()).path("node").asText()).isEqualTo("server-3");
                assertThat(cluster.client.resources(PoolVirtualMachine.class).inNamespace("default").withName("test-vm").get()).isNotNull();
                awaitStatus("/vm_pool/used_capacity_gb", "103.69");
            } finally {
                for (NodeAgent a : agents) {
                    a.close();
                }
            }
        }
    }
}
