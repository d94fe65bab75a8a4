package dsp.cli.kubernetes;

import static dsp.kubernetes.RunningRoles.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.MoveRecords;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.Names;
import dsp.kubernetes.NodeAgents;
import dsp.kubernetes.Root;
import dsp.kubernetes.RunningRoles;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.TestCluster.Workload;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import dsp.testing.RequiredTool;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller crashed in the middle of a drain's move: the records it left are all a new
 * controller has. Before the decision (a verified copy on the target, no original record) the
 * move is undone: the volume stays, with its data, and the copy goes. After it (an original
 * record) the move is finished: the volume points at the copy, and the old data goes. Either way
 * one copy of the data is authoritative and reads as before.
 */
class KubernetesMoveRecoveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String A = "vm-1";
    private static final String B = "vm-2";

    @TempDir
    Path disks;

    private final HttpClient http = HttpClient.newHttpClient();
    private final QemuImg qemu = QemuImg.onPath();
    private final List<AutoCloseable> running = new ArrayList<>();
    private TestCluster cluster;
    private RunningRoles controller;

    @BeforeEach
    void start() throws Exception {
        RequiredTool.QEMU_IMG.require();
        cluster = new TestCluster();
        Path template = disks.resolve("ubuntu22.qcow2");
        qemu.create(template, "qcow2", 256L << 20, Optional.empty(), "qcow2");
        for (String node : List.of(A, B)) {
            cluster.addNode(node, "vm");
            Path templates = disks.resolve(node).resolve("vm-storage-pool/templates");
            Files.createDirectories(templates);
            Files.copy(template, templates.resolve("ubuntu22.qcow2"));
            NodeAgent agent = NodeAgents.start(cluster.clientAsPodOn(Workload.AGENT, node), node, disks.resolve(node), PoolCatalog.guideDefaults(),
                    "vm", qemu, Clock.systemUTC(), Duration.ofMillis(300));
            running.add(agent);
            agent.servePeers("127.0.0.1", 0, port -> "http://127.0.0.1:" + port, () -> cluster.podToken(Workload.AGENT, node, Names.PEER_AUDIENCE));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                var report = cluster.client.nodes().withName(node).get().getMetadata().getAnnotations();
                return report != null && String.valueOf(report.get(Names.DISK_REPORT_ANNOTATION)).contains("peerAddress");
            });
        }
        controller = startController();
    }

    @AfterEach
    void stop() throws Exception {
        if (controller != null) {
            controller.close();
        }
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        cluster.close();
    }

    private RunningRoles startController() {
        RunningRoles r = ComposedRoles.start(cluster, Set.of(ControllerRuntime.Role.API), FAST);
        await().atMost(Duration.ofSeconds(60)).until(r::isAdmissionLeader);
        return r;
    }

    /** A stopped VM's disk with data; the controller is then gone, as after a crash, and the copy it had asked for is Ready on the other node. */
    private PoolVolume diskCopiedWhenTheControllerCrashed() throws Exception {
        return diskCopiedWhenTheControllerCrashed("1");
    }

    private PoolVolume diskCopiedWhenTheControllerCrashed(String storage) throws Exception {
        String api = "http://127.0.0.1:" + controller.apiPort();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/vms")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"name": "web", "image": "ubuntu22", "cpu": 1, "memory": 1, "storage": "%s", "namespace": "default"}""".formatted(storage)))
                        .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String from = JSON.readTree(created.body()).get("node").asText();
        PoolVolume disk = cluster.client.resources(PoolVolume.class).list().getItems().get(0);
        await().atMost(Duration.ofSeconds(60)).until(() -> "Ready".equals(phase(disk.getMetadata().getName())));
        run("qemu-io", "-f", disk.getSpec().format, "-c", "write -P 0xab 1M 64k", image(from, disk).toString());
        controller.close();
        controller = null;

        PoolVolume copy = record(disk, "move-1", to(disk), MoveRecords.COPY);
        cluster.client.resources(PoolVolume.class).resource(copy).create();
        await().atMost(Duration.ofSeconds(60)).until(() -> "Ready".equals(phase("move-1")));
        assertThat(image(to(disk), disk)).exists();
        return cluster.client.resources(PoolVolume.class).withName(disk.getMetadata().getName()).get();
    }

    @Test
    void aMoveTheControllerHadNotDecidedIsUndoneAndTheOriginalStays() throws Exception {
        PoolVolume disk = diskCopiedWhenTheControllerCrashed();
        String from = disk.getSpec().node;
        Path before = snapshot(image(from, disk));

        controller = startController();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(names()).containsExactly(disk.getMetadata().getName());
            assertThat(image(to(disk), disk)).as("the copy on " + to(disk)).doesNotExist();
        });
        assertThat(cluster.client.resources(PoolVolume.class).withName(disk.getMetadata().getName()).get().getSpec().node).isEqualTo(from);
        assertThat(qemu.sameContent(before, "qcow2", image(from, disk), "qcow2")).isTrue();
    }

    @Test
    void aMoveTheControllerHadDecidedIsFinishedAndTheOldDataGoes() throws Exception {
        PoolVolume disk = diskCopiedWhenTheControllerCrashed();
        String from = disk.getSpec().node;
        Path before = snapshot(image(from, disk));
        cluster.client.resources(PoolVolume.class).resource(record(disk, "moved-1", from, MoveRecords.ORIGINAL)).create();

        controller = startController();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(names()).containsExactly(disk.getMetadata().getName());
            assertThat(image(from, disk)).as("the original on " + from).doesNotExist();
        });
        assertThat(cluster.client.resources(PoolVolume.class).withName(disk.getMetadata().getName()).get().getSpec().node).isEqualTo(to(disk));
        assertThat(qemu.sameContent(before, "qcow2", image(to(disk), disk), "qcow2")).isTrue();
    }

    /**
     * The crashed controller had pinned the KubeVirt VM to the copy's node but not yet recorded the
     * decision, and the user started the VM there, which wrote to its disk: the copy is the VM's disk
     * now, the move is finished onto it and the original goes.
     */
    @Test
    void aCopyAStartedVmWasPinnedToBeforeTheDecisionWasRecordedIsKeptAndTheMoveFinishes() throws Exception {
        Root.require();
        KubernetesApiTest.installKubeVirt(cluster);
        PoolVolume disk = diskCopiedWhenTheControllerCrashed("256Mi");
        String from = disk.getSpec().node;
        pinAndStartKubeVirtVm(to(disk));
        run("qemu-io", "-f", "raw", "-c", "write -P 0xee 2M 64k", image(to(disk), disk).toString()); // the guest writes
        Path written = snapshot(image(to(disk), disk));

        controller = startController();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(image(to(disk), disk)).as("the disk the VM runs on, on " + to(disk)).exists();
            assertThat(names()).containsExactly(disk.getMetadata().getName());
            assertThat(image(from, disk)).as("the original on " + from).doesNotExist();
        });
        assertThat(cluster.client.resources(PoolVolume.class).withName(disk.getMetadata().getName()).get().getSpec().node).isEqualTo(to(disk));
        assertThat(qemu.sameContent(written, "raw", image(to(disk), disk), "raw")).as("what the VM wrote").isTrue();
    }

    /**
     * The crashed controller had recorded the decision but not yet pinned the KubeVirt VM to the
     * copy's node, and the user started it where it was, which wrote to its disk: the move is
     * undone, the disk the VM runs on stays and the copy goes.
     */
    @Test
    void aDecidedMoveWhoseVmWasStartedWhereItWasIsUndoneAndTheDiskItRunsOnStays() throws Exception {
        Root.require();
        KubernetesApiTest.installKubeVirt(cluster);
        PoolVolume disk = diskCopiedWhenTheControllerCrashed("256Mi");
        String from = disk.getSpec().node;
        cluster.client.resources(PoolVolume.class).resource(record(disk, "moved-1", from, MoveRecords.ORIGINAL)).create();
        pinAndStartKubeVirtVm(from);
        run("qemu-io", "-f", "raw", "-c", "write -P 0xee 2M 64k", image(from, disk).toString());
        Path written = snapshot(image(from, disk));

        controller = startController();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(image(from, disk)).as("the disk the VM runs on, on " + from).exists();
            assertThat(names()).containsExactly(disk.getMetadata().getName());
            assertThat(image(to(disk), disk)).as("the copy on " + to(disk)).doesNotExist();
        });
        assertThat(cluster.client.resources(PoolVolume.class).withName(disk.getMetadata().getName()).get().getSpec().node).isEqualTo(from);
        assertThat(qemu.sameContent(written, "raw", image(from, disk), "raw")).as("what the VM wrote").isTrue();
    }

    /** The KubeVirt VirtualMachine "web" pinned to {@code node} (same disk path there) and started, as virtctl start does. */
    private void pinAndStartKubeVirtVm(String node) {
        cluster.client.genericKubernetesResources(KubernetesApiTest.KUBEVIRT).inNamespace("default").withName("web").edit(kv -> {
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> spec = (java.util.Map<String, Object>) kv.getAdditionalProperties().get("spec");
            spec.put("runStrategy", "Always");
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> pod = (java.util.Map<String, Object>) ((java.util.Map<String, Object>) spec.get("template")).get("spec");
            pod.put("nodeSelector", java.util.Map.of(Names.HOSTNAME_LABEL, node));
            return kv;
        });
    }

    /** A move's record as the controller writes it (CapacityAdmission.admitCopy / recordOriginal); of kind {@code null}, a plain volume. */
    static PoolVolume record(PoolVolume disk, String name, String node, String kind) {
        PoolVolume r = new PoolVolume();
        r.setMetadata(new ObjectMetaBuilder().withName(name).addToLabels(Names.NODE_LABEL, node).addToLabels(Names.POOL_NAME_LABEL, "vm")
                .addToFinalizers(Names.DATA_FINALIZER).build());
        PoolVolume.Spec spec = JSON.convertValue(disk.getSpec(), PoolVolume.Spec.class);
        spec.node = node;
        spec.kind = kind;
        spec.owner = disk.getMetadata().getName();
        r.setSpec(spec);
        return r;
    }

    private static String to(PoolVolume disk) {
        return disk.getSpec().node.equals(A) ? B : A;
    }

    private List<String> names() {
        return cluster.client.resources(PoolVolume.class).list().getItems().stream().map(v -> v.getMetadata().getName()).toList();
    }

    private Path image(String node, PoolVolume disk) {
        Path pool = disks.resolve(node).resolve("vm-storage-pool");
        return "raw".equals(disk.getSpec().format) ? pool.resolve(disk.getSpec().name).resolve("disk.img") : pool.resolve(disk.getSpec().name + ".qcow2");
    }

    private Path snapshot(Path image) throws Exception {
        Path copy = disks.resolve("before-" + image.getFileName());
        Files.copy(image, copy);
        return copy;
    }

    private String phase(String name) {
        PoolVolume v = cluster.client.resources(PoolVolume.class).withName(name).get();
        return v == null || v.getStatus() == null ? null : v.getStatus().phase;
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
