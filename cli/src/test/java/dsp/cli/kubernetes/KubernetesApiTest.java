package dsp.cli.kubernetes;

import static dsp.kubernetes.RunningRoles.FAST;
import static dsp.kubernetes.Waiting.await;
import static dsp.kubernetes.Waiting.holdsFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVirtualMachine;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import dsp.testing.RequiredTool;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.RunningRoles;
import dsp.kubernetes.NodeAgents;
import dsp.kubernetes.Root;
import dsp.kubernetes.KubeVirtRules;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API in Kubernetes mode: a VM becomes a PoolVirtualMachine, a PoolVolume made real by the node agent, and a KubeVirt VM. */
class KubernetesApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path disks;

    private JsonNode call(String method, String url, String body, int expected) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + url + " -> " + r.body()).isEqualTo(expected);
        return r.body().isBlank() ? null : JSON.readTree(r.body());
    }

    @Test
    void changesNeedAKubernetesIdentityWhoseOwnRbacAllowsThem() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", null);
            try (RunningRoles controller = ComposedRoles.start(cluster, "controller-a",
                    Set.of(ControllerRuntime.Role.API), FAST, true)) {
                String api = "http://127.0.0.1:" + controller.apiPort();
                await(controller::isAdmissionLeader);
                call("GET", api + "/api/v1/pools/status", null, 200);
                call("PUT", api + "/api/v1/servers/k8s-1", "{\"pool\": \"k8s\"}", 401);
                HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/servers/k8s-1"))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer stolen").PUT(HttpRequest.BodyPublishers.ofString("{\"pool\": \"k8s\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(bad.statusCode()).isEqualTo(401);

                // a known identity: the API server is asked whether it may patch that node (SubjectAccessReview)
                HttpResponse<String> asked = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/servers/k8s-1"))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer operator-token").PUT(HttpRequest.BodyPublishers.ofString("{\"pool\": \"k8s\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                // its RBAC has no such rule: refused, nothing changed
                assertThat(asked.statusCode()).as(asked.body()).isEqualTo(403);
                assertThat(asked.body()).contains("system:serviceaccount:ops:operator").contains("patch nodes k8s-1");
                assertThat(cluster.client.nodes().withName("k8s-1").get().getMetadata().getLabels()).doesNotContainKey("pool");

                // kubectl create clusterrole relabel --verb=patch --resource=nodes; kubectl create clusterrolebinding ...
                cluster.grant("system:serviceaccount:ops:operator", "", "nodes", "patch");
                HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/servers/k8s-1"))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer operator-token").PUT(HttpRequest.BodyPublishers.ofString("{\"pool\": \"k8s\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
                assertThat(cluster.client.nodes().withName("k8s-1").get().getMetadata().getLabels()).containsEntry("pool", "k8s");

                // the pool-cleanup job's token (deploy/60-cleanup.yaml): it may start a cleanup run and nothing else
                String job = "Bearer " + cluster.token(TestCluster.Workload.CLEANUP.serviceAccount);
                HttpResponse<String> cleanup = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/cleanup?dry_run=true"))
                        .header("Content-Type", "application/json").header("Authorization", job).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(cleanup.statusCode()).as(cleanup.body()).isEqualTo(200);
                HttpResponse<String> relabel = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/servers/k8s-1"))
                        .header("Content-Type", "application/json").header("Authorization", job).PUT(HttpRequest.BodyPublishers.ofString("{\"pool\": \"vm\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(relabel.statusCode()).as(relabel.body()).isEqualTo(403);
                assertThat(relabel.body()).contains("system:serviceaccount:dynamic-storage-pools:pool-cleanup may not patch nodes k8s-1");
            }
        }
    }

    /** KubeVirt's VirtualMachine CRD (no KubeVirt controller: a test starts a VM as virtctl would, by its runStrategy). */
    static void installKubeVirt(TestCluster cluster) {
        cluster.client.apiextensions().v1().customResourceDefinitions().resource(new io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("virtualmachines.kubevirt.io").endMetadata()
                .withNewSpec().withGroup("kubevirt.io").withScope("Namespaced")
                .withNewNames().withKind("VirtualMachine").withPlural("virtualmachines").withSingular("virtualmachine").endNames()
                .addNewVersion().withName("v1").withServed(true).withStorage(true).endVersion().endSpec().build()).create();
    }

    static final ResourceDefinitionContext KUBEVIRT = new ResourceDefinitionContext.Builder().withGroup("kubevirt.io").withVersion("v1")
            .withKind("VirtualMachine").withPlural("virtualmachines").withNamespaced(true).build();

    @Test
    void theGuidesVmCurlOnKubernetesWithKubeVirt() throws Exception {
        RequiredTool.QEMU_IMG.require();
        Root.require(); // the disk is given to QEMU's user
        QemuImg qemu = QemuImg.onPath();
        Path vmRoot = disks.resolve("vm-1");
        Path templates = vmRoot.resolve("vm-storage-pool/templates");
        Files.createDirectories(templates);
        qemu.create(templates.resolve("ubuntu22.qcow2"), "qcow2", 10_000_000_000L, Optional.empty(), "qcow2");

        try (TestCluster cluster = new TestCluster()) {
            installKubeVirt(cluster);
            cluster.addNode("vm-0", "vm"); // first in line for placement, but it has no template
            cluster.addNode("vm-1", "vm");
            cluster.addNode("k8s-1", "k8s");
            try (NodeAgent agent = NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), "vm-1", vmRoot, PoolCatalog.guideDefaults(), "vm", qemu, Clock.systemUTC(), Duration.ofMillis(300));
                 RunningRoles controller = ComposedRoles.start(cluster, Set.of(ControllerRuntime.Role.API, ControllerRuntime.Role.SCALING), FAST)) {
                String api = "http://127.0.0.1:" + controller.apiPort();
                await(controller::isAdmissionLeader);
                await(() -> {
                    try {
                        return call("GET", api + "/api/v1/templates", null, 200).get("templates").size() == 1;
                    } catch (Exception e) {
                        return false;
                    }
                });
                // KubeVirt cannot boot a qcow2 hostDisk: asking for one is refused, and nothing is recorded
                call("POST", api + "/api/v1/vms", """
                        {"name": "qcow-vm", "image": "ubuntu22", "server_type": "cx21", "storage": 50, "disk_format": "qcow2"}""", 400);
                assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).isEmpty();

                JsonNode vm = call("POST", api + "/api/v1/vms", """
                        {"name": "test-vm", "image": "ubuntu22", "server_type": "cx21", "cpu": 2, "memory": 4, "storage": 50, "namespace": "default"}""", 201);
                assertThat(vm.get("node").asText()).isEqualTo("vm-1");
                String id = vm.get("id").asText();
                assertThat(vm.get("disk_path").asText()).isEqualTo("/vm-storage-pool/" + id + "/disk.img");

                // the PoolVirtualMachine's status goes through the status subresource (a real server drops it on create)
                PoolVirtualMachine pvm = cluster.client.resources(PoolVirtualMachine.class).inNamespace("default").withName("test-vm").get();
                assertThat(pvm.getSpec().id).isEqualTo(id);
                assertThat(pvm.getStatus().node).isEqualTo("vm-1");
                assertThat(pvm.getStatus().status).isEqualTo("stopped");

                Path image = vmRoot.resolve("vm-storage-pool").resolve(id).resolve("disk.img");
                await(() -> cluster.client.resources(PoolVolume.class).list().getItems().stream()
                        .anyMatch(v -> v.getStatus() != null && "Ready".equals(v.getStatus().phase)));
                JsonNode info = qemu.info(image, true);
                assertThat(info.get("format").asText()).isEqualTo("raw");
                assertThat(info.get("virtual-size").asLong()).isEqualTo(50_000_000_000L);

                GenericKubernetesResource kv = cluster.client.genericKubernetesResources(KUBEVIRT).inNamespace("default").withName("test-vm").get();
                assertThat(KubeVirtRules.violations(JSON.valueToTree(kv), n -> disks.resolve(n), qemu)).isEmpty();
                assertThat(JSON.valueToTree(kv).at("/spec/template/spec/nodeSelector/kubernetes.io~1hostname").asText()).isEqualTo("vm-1");

                call("POST", api + "/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 100}", 200);
                await(() -> qemu.info(image, true).get("virtual-size").asLong() == 100_000_000_000L);
                assertThat(KubeVirtRules.violations(JSON.valueToTree(kv), n -> disks.resolve(n), qemu)).isEmpty();
                assertThat(call("GET", api + "/api/v1/pools/status", null, 200).at("/vm_pool/used_capacity_gb").asInt()).isEqualTo(100);
                call("POST", api + "/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 60}", 409);

                // Retain: deleting the VM keeps its disk, released; the KubeVirt VM goes with it
                JsonNode deleted = call("DELETE", api + "/api/v1/vms/" + id, null, 200);
                assertThat(deleted.at("/disk/result").asText()).isEqualTo("released");
                assertThat(cluster.client.resources(PoolVirtualMachine.class).inNamespace("default").withName("test-vm").get()).isNull();
                assertThat(cluster.client.genericKubernetesResources(KUBEVIRT).inNamespace("default").withName("test-vm").get()).isNull();
                holdsFor(Duration.ofMillis(500), () -> Files.exists(image)); // the agent keeps the released disk
                assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).singleElement()
                        .satisfies(v -> assertThat(v.getSpec().released).isTrue());
                // purge it through the volumes API: the agent deletes the image
                String volumeId = deleted.at("/disk/id").asText();
                call("DELETE", api + "/api/v1/volumes/" + volumeId, null, 200);
                await(() -> !Files.exists(image));
                await(() -> cluster.client.resources(PoolVolume.class).list().getItems().isEmpty());
            }
        }
    }

    @Test
    void withoutKubeVirtAVmDiskIsAQcow2OverlayOfItsTemplate() throws Exception {
        RequiredTool.QEMU_IMG.require();
        QemuImg qemu = QemuImg.onPath();
        Path vmRoot = disks.resolve("vm-1");
        Path templates = vmRoot.resolve("vm-storage-pool/templates");
        Files.createDirectories(templates);
        qemu.create(templates.resolve("ubuntu22.qcow2"), "qcow2", 10_000_000_000L, Optional.empty(), "qcow2");
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("vm-1", "vm");
            try (NodeAgent agent = NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), "vm-1", vmRoot, PoolCatalog.guideDefaults(), "vm", qemu, Clock.systemUTC(), Duration.ofMillis(300));
                 RunningRoles controller = ComposedRoles.start(cluster, Set.of(ControllerRuntime.Role.API), FAST)) {
                String api = "http://127.0.0.1:" + controller.apiPort();
                await(controller::isAdmissionLeader);
                await(() -> {
                    try {
                        return call("GET", api + "/api/v1/templates", null, 200).get("templates").size() == 1;
                    } catch (Exception e) {
                        return false;
                    }
                });
                JsonNode vm = call("POST", api + "/api/v1/vms", """
                        {"name": "test-vm", "image": "ubuntu22", "server_type": "cx21", "storage": 50}""", 201);
                String id = vm.get("id").asText();
                assertThat(vm.get("disk_path").asText()).isEqualTo("/vm-storage-pool/" + id + ".qcow2");
                Path image = vmRoot.resolve("vm-storage-pool").resolve(id + ".qcow2");
                await(() -> Files.exists(image));
                assertThat(qemu.info(image, true).get("backing-filename").asText()).isEqualTo(templates.resolve("ubuntu22.qcow2").toString());
            }
        }
    }
}
