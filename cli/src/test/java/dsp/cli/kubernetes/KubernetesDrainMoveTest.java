package dsp.cli.kubernetes;

import static dsp.kubernetes.RunningRoles.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dsp.core.model.MoveRecords;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.Faults;
import dsp.kubernetes.KubeVirtRules;
import dsp.kubernetes.Names;
import dsp.kubernetes.NodeAgents;
import dsp.kubernetes.Root;
import dsp.kubernetes.RunningRoles;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.TestCluster.Workload;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVirtualMachine;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import dsp.testing.RequiredTool;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Drain in Kubernetes mode moves a stopped VM's disk between nodes, TopoLVM style: the copy is a
 * PoolVolume on the target node whose agent fetches the image from the source node's agent (each
 * agent its own data dir, its own pod token), verifies it and puts it in place; only then does the
 * controller switch the records and the source agent delete the old data. A failure midway (the
 * source agent gone, a corrupted transfer) leaves the original where it was and the records as
 * they were; the source serves a moving image only to the agent of the node it moves to.
 */
class KubernetesDrainMoveTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String A = "vm-1";
    private static final String B = "vm-2";

    @TempDir
    Path disks;

    private final HttpClient http = HttpClient.newHttpClient();
    private final QemuImg qemu = QemuImg.onPath();
    private final List<AutoCloseable> running = new ArrayList<>();
    private final Map<String, NodeAgent> agents = new HashMap<>();
    private TestCluster cluster;
    /** The controller's own client (its admission, the API and the drain): no faults unless a test adds them. */
    private Faults faults;
    private RunningRoles controller;
    private String api;
    /** Fetches through a gated relay wait while this is closed; each one that arrives releases {@link #relayed}. */
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final Semaphore relayed = new Semaphore(0);

    @BeforeEach
    void start() throws Exception {
        RequiredTool.QEMU_IMG.require();
        cluster = new TestCluster();
        Path template = disks.resolve("ubuntu22.qcow2");
        qemu.create(template, "qcow2", 256L << 20, Optional.empty(), "qcow2");
        run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 1M", template.toString()); // the guest sees the template's data through the overlay
        for (String node : List.of(A, B)) {
            cluster.addNode(node, "vm");
            Path templates = disks.resolve(node).resolve("vm-storage-pool/templates");
            Files.createDirectories(templates);
            Files.copy(template, templates.resolve("ubuntu22.qcow2")); // imported on every vm node, as an import by URL leaves it
        }
        faults = new Faults(cluster.clientAs(Workload.PROVISIONER));
        startController();
    }

    private void startController() {
        controller = ComposedRoles.start(w -> w == Workload.PROVISIONER ? faults.client : cluster.clientAs(w), Set.of(ControllerRuntime.Role.API), FAST);
        api = "http://127.0.0.1:" + controller.apiPort();
        await().atMost(Duration.ofSeconds(30)).until(controller::isAdmissionLeader);
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

    /** An agent as deploy/ runs it: its pod's token, its own "/" and its peer port, advertised at the address peers reach. */
    private NodeAgent agent(String node, java.util.function.IntFunction<String> advertised) {
        return agent(node, advertised, Duration.ofSeconds(60));
    }

    /** @param stall how long a peer may send nothing before this agent gives up a transfer */
    private NodeAgent agent(String node, java.util.function.IntFunction<String> advertised, Duration stall) {
        NodeAgent a = NodeAgents.start(cluster.clientAsPodOn(Workload.AGENT, node), node, disks.resolve(node), PoolCatalog.guideDefaults(), "vm",
                qemu, Clock.systemUTC(), Duration.ofMillis(300), stall);
        running.add(a);
        agents.put(node, a);
        a.servePeers("127.0.0.1", 0, advertised, () -> peerToken(Workload.AGENT, node));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            var n = cluster.client.nodes().withName(node).get();
            String report = n.getMetadata().getAnnotations() == null ? null : n.getMetadata().getAnnotations().get(Names.DISK_REPORT_ANNOTATION);
            return report != null && report.contains("ubuntu22") && report.contains("peerAddress");
        });
        return a;
    }

    private NodeAgent agent(String node) {
        return agent(node, port -> "http://127.0.0.1:" + port);
    }

    /** A stopped VM from the template, with data the guest wrote into its overlay; returns its disk's PoolVolume. */
    private PoolVolume stoppedVmWithData() throws Exception {
        JsonNode vm = call("POST", "/api/v1/vms", """
                {"name": "web", "image": "ubuntu22", "cpu": 1, "memory": 1, "storage": "256Mi", "namespace": "default"}""", 201);
        String node = vm.get("node").asText();
        PoolVolume disk = cluster.client.resources(PoolVolume.class).list().getItems().stream()
                .filter(v -> node.equals(v.getSpec().node)).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> "Ready".equals(phase(disk.getMetadata().getName())));
        await().atMost(Duration.ofSeconds(60)).until(() -> call("GET", "/api/v1/vms", null, 200).toString().contains("\"stopped\""));
        run("qemu-io", "-f", disk.getSpec().format, "-c", "write -P 0xab 1M 64k", "-c", "write -P 0xcd 200M 4k", image(node, disk).toString());
        // the controller sees it Ready (the agent measures it again after the write)
        await().atMost(Duration.ofSeconds(60)).until(() -> call("POST", "/api/v1/servers/" + node + "/drain?dry_run=true", "{}", 200)
                .path("volumes").path(0).path("phase").asText().equals("Ready"));
        return cluster.client.resources(PoolVolume.class).withName(disk.getMetadata().getName()).get();
    }

    @Test
    void aStoppedVmsDiskMovesToAnotherNodeAndReadsTheSameBytes() throws Exception {
        agent(A);
        agent(B);
        PoolVolume disk = stoppedVmWithData();
        String from = disk.getSpec().node;
        String to = from.equals(A) ? B : A;
        Path before = snapshot(image(from, disk));
        double used = vmPoolUsedGb();

        JsonNode drain = call("POST", "/api/v1/servers/" + from + "/drain", "{}", 200);

        assertThat(drain.get("moved").asInt()).as(drain.toString()).isEqualTo(1);
        assertThat(drain.get("volumes").get(0).get("target").asText()).isEqualTo(to);
        String name = disk.getMetadata().getName();
        assertThat(cluster.client.resources(PoolVolume.class).withName(name).get().getSpec().node).isEqualTo(to);
        assertThat(cluster.client.resources(PoolVolume.class).withName(name).get().getMetadata().getLabels())
                .containsEntry(Names.NODE_LABEL, to);
        PoolVirtualMachine vm = cluster.client.resources(PoolVirtualMachine.class).inNamespace("default").withName("web").get();
        assertThat(vm.getStatus().node).isEqualTo(to);
        Path moved = image(to, disk);
        assertThat(qemu.sameContent(before, "qcow2", moved, "qcow2")).as("the guest reads the same bytes on " + to).isTrue();
        assertThat(qemu.info(moved, "qcow2", true).path("full-backing-filename").asText())
                .isEqualTo(disks.resolve(to).resolve("vm-storage-pool/templates/ubuntu22.qcow2").toAbsolutePath().toString());
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(image(from, disk)).as("the original on " + from).doesNotExist();
            assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).as("only the volume's record is left")
                    .extracting(v -> v.getMetadata().getName()).containsExactly(name);
        });
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(vmPoolUsedGb()).as("counted once").isEqualTo(used));
        assertThat(leftovers(to)).as("no temporary left on " + to).isEmpty();
        assertThat(phase(name)).isEqualTo("Ready");
    }

    @Test
    void aSourceAgentThatIsGoneLeavesTheOriginalInPlaceAndTheRecordUnchanged() throws Exception {
        agent(A);
        agent(B);
        PoolVolume disk = stoppedVmWithData();
        String from = disk.getSpec().node;
        Path before = snapshot(image(from, disk));
        agents.get(from).close(); // its disk report still names its address: nobody answers there

        JsonNode drain = call("POST", "/api/v1/servers/" + from + "/drain", "{}", 200);

        assertUnmoved(drain, disk, before);
        assertThat(drain.get("volumes").get(0).get("reason").asText()).contains("cannot reach the agent on node " + from);
    }

    @Test
    void aCorruptedTransferIsRefusedAndNothingMoves() throws Exception {
        // what each agent sends passes a relay that flips one bit of it: the sha256 the source sent no longer matches
        agent(A, this::corruptingRelayTo);
        agent(B, this::corruptingRelayTo);
        PoolVolume disk = stoppedVmWithData();
        String from = disk.getSpec().node;
        Path before = snapshot(image(from, disk));

        JsonNode drain = call("POST", "/api/v1/servers/" + from + "/drain", "{}", 200);

        assertUnmoved(drain, disk, before);
        assertThat(drain.get("volumes").get(0).get("reason").asText()).contains("sha256 differs");
    }

    /** A relay in front of an agent's peer port that flips one bit of every image it passes on; its address. */
    private String corruptingRelayTo(int agentPort) {
        return relayTo(agentPort, true);
    }

    /** A relay in front of an agent's peer port that passes each fetch on once {@link #gate} is open; its address. */
    private String gatedRelayTo(int agentPort) {
        return relayTo(agentPort, false);
    }

    private String relayTo(int agentPort, boolean corrupt) {
        HttpServer relay;
        try {
            relay = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        relay.setExecutor(Executors.newCachedThreadPool());
        relay.createContext("/", x -> {
            HttpResponse<byte[]> r;
            try {
                relayed.release();
                gate.await();
                r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agentPort + x.getRequestURI()))
                        .header("Authorization", x.getRequestHeaders().getFirst("Authorization")).build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            byte[] body = r.body();
            if (corrupt && r.statusCode() == 200 && body.length > 70_000) {
                body[70_000] ^= 1;
            }
            r.headers().firstValue("X-Content-Sha256").ifPresent(v -> x.getResponseHeaders().add("X-Content-Sha256", v));
            x.sendResponseHeaders(r.statusCode(), body.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        });
        relay.start();
        running.add(() -> {
            gate.countDown();
            relay.stop(0);
            ((java.util.concurrent.ExecutorService) relay.getExecutor()).shutdownNow();
        });
        return "http://127.0.0.1:" + relay.getAddress().getPort();
    }

    @Test
    void theSourceServesAMovingImageOnlyToTheTargetNodesAgentAndNeverWhileItIsInUse() throws Exception {
        NodeAgent source = agent(A);
        PoolVolume disk = stoppedVmWithData();
        assertThat(disk.getSpec().node).isEqualTo(A);
        int port = source.servePeers("127.0.0.1", 0, p -> "unused", () -> peerToken(Workload.AGENT, A));
        // a move to B as the controller records it, with no agent on B to take it: the test asks in its place
        PoolVolume copy = KubernetesMoveRecoveryTest.record(disk, "move-1", B, MoveRecords.COPY);
        cluster.client.resources(PoolVolume.class).resource(copy).create();
        String url = "http://127.0.0.1:" + port + "/moves/move-1";

        assertThat(fetch(url, null).statusCode()).isEqualTo(401);
        assertThat(fetch(url, "not-a-token").statusCode()).isEqualTo(401);
        assertThat(fetch(url, cluster.podToken(Workload.AGENT, B)).statusCode()).as("the pod's token for the API server").isEqualTo(401);
        cluster.expectRefusals();
        assertThatThrownBy(() -> cluster.clientWithToken(peerToken(Workload.AGENT, B)).nodes().list()).as("a peer token seen on the wire")
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(401));
        HttpResponse<byte[]> wrongNode = fetch(url, peerToken(Workload.AGENT, "vm-3"));
        assertThat(wrongNode.statusCode()).isEqualTo(403);
        assertThat(new String(wrongNode.body(), StandardCharsets.UTF_8)).contains("another node");
        assertThat(fetch(url, peerToken(Workload.PROVISIONER, B)).statusCode()).as("not an agent").isEqualTo(403);
        assertThat(fetch(url, cluster.token(Workload.AGENT.serviceAccount)).statusCode()).as("a token for the API server, bound to no node")
                .isEqualTo(401);
        assertThat(fetch("http://127.0.0.1:" + port + "/moves/" + disk.getMetadata().getName(), peerToken(Workload.AGENT, B))
                .statusCode()).as("not a copy").isEqualTo(403);
        assertThat(fetch("http://127.0.0.1:" + port + "/moves/nothing", peerToken(Workload.AGENT, B)).statusCode()).isEqualTo(404);

        Process vm = new ProcessBuilder("qemu-io", "-f", "qcow2", image(A, disk).toString()).redirectErrorStream(true).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> qemu.inUse(image(A, disk)));
            assertThat(fetch(url, peerToken(Workload.AGENT, B)).statusCode()).as("held by a running VM").isEqualTo(409);
        } finally {
            vm.getOutputStream().close(); // qemu-io quits at the end of its input
            assertThat(vm.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        HttpResponse<byte[]> served = fetch(url, peerToken(Workload.AGENT, B));
        assertThat(served.statusCode()).isEqualTo(200);
        byte[] file = Files.readAllBytes(image(A, disk));
        assertThat(served.body()).isEqualTo(file);
        assertThat(served.headers().firstValue("X-Content-Sha256")).contains(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file)));
    }

    @Test
    void aStoppedKubeVirtVmsRawDiskMovesAndItsVirtualMachineIsPinnedToTheTarget() throws Exception {
        Root.require(); // KubeVirt's QEMU (uid 107) must own a raw disk.img
        KubernetesApiTest.installKubeVirt(cluster);
        agent(A);
        agent(B);
        PoolVolume disk = stoppedVmWithData();
        assertThat(disk.getSpec().format).isEqualTo("raw");
        String from = disk.getSpec().node;
        String to = from.equals(A) ? B : A;
        Path before = snapshot(image(from, disk));
        assertThat(kubeVirtNode()).isEqualTo(from);
        kubeVirtVmManual("Stopped", false); // runs only when started by hand, and has no instance: it may move

        JsonNode drain = call("POST", "/api/v1/servers/" + from + "/drain", "{}", 200);

        assertThat(drain.get("moved").asInt()).as(drain.toString()).isEqualTo(1);
        assertThat(cluster.client.resources(PoolVolume.class).withName(disk.getMetadata().getName()).get().getSpec().node).isEqualTo(to);
        assertThat(qemu.sameContent(before, "raw", image(to, disk), "raw")).as("the guest reads the same bytes on " + to).isTrue();
        assertThat(kubeVirtNode()).as("KubeVirt starts it where its disk is now").isEqualTo(to);
        GenericKubernetesResource kv = cluster.client.genericKubernetesResources(KubernetesApiTest.KUBEVIRT).inNamespace("default").withName("web").get();
        assertThat(KubeVirtRules.violations(JSON.valueToTree(kv), disks::resolve, qemu)).isEmpty();
        assertThat(JSON.valueToTree(kv).at("/spec/runStrategy").asText()).as("the user's runStrategy is kept").isEqualTo("Manual");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(image(from, disk)).as("the original on " + from).doesNotExist());
    }

    @Test
    void aRunningKubeVirtVmsDiskStaysAndTheDrainSaysWhy() throws Exception {
        Root.require();
        KubernetesApiTest.installKubeVirt(cluster);
        agent(A);
        agent(B);
        PoolVolume disk = stoppedVmWithData();
        String from = disk.getSpec().node;
        Path before = snapshot(image(from, disk));
        startKubeVirtVm(); // virtctl start web

        JsonNode drain = call("POST", "/api/v1/servers/" + from + "/drain", "{}", 200);

        assertThat(drain.get("moved").asInt()).as(drain.toString()).isZero();
        assertThat(drain.at("/volumes/0/action").asText()).isEqualTo("stays");
        assertThat(drain.at("/volumes/0/reason").asText()).isEqualTo("VM web is running (KubeVirt VirtualMachine default/web is set to run"
                + " (runStrategy Always)); stop it and drain again");
        assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).as("no copy was asked for").hasSize(1);
        assertThat(kubeVirtNode()).isEqualTo(from);
        assertThat(qemu.sameContent(before, "raw", image(from, disk), "raw")).isTrue();

        kubeVirtVmManual("Running", true); // started by hand: runStrategy Manual, with an instance
        JsonNode manual = call("POST", "/api/v1/servers/" + from + "/drain", "{}", 200);
        assertThat(manual.at("/volumes/0/action").asText()).as(manual.toString()).isEqualTo("stays");
        assertThat(manual.at("/volumes/0/reason").asText()).isEqualTo("VM web is running (KubeVirt VirtualMachine default/web still has an"
                + " instance (Running)); stop it and drain again");
        assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).as("no copy was asked for").hasSize(1);
    }

    /** KubeVirt's VirtualMachine "web" with runStrategy Manual and the status KubeVirt gives it: with an instance or without. */
    private void kubeVirtVmManual(String printableStatus, boolean created) {
        cluster.client.genericKubernetesResources(KubernetesApiTest.KUBEVIRT).inNamespace("default").withName("web").edit(kv -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) kv.getAdditionalProperties().get("spec");
            spec.put("runStrategy", "Manual");
            kv.getAdditionalProperties().put("status", Map.of("printableStatus", printableStatus, "created", created));
            return kv;
        });
    }

    @Test
    void aKubeVirtVmStartedWhileItsDiskIsCopiedKeepsItsDiskWhereItWas() throws Exception {
        Root.require();
        KubernetesApiTest.installKubeVirt(cluster);
        agent(A, this::gatedRelayTo);
        agent(B, this::gatedRelayTo);
        HeldMove move = moveHeldInTransfer();
        startKubeVirtVm(); // the user starts the VM on the source while its disk is on its way
        gate.countDown();

        JsonNode report = JSON.readTree(move.drain().get(120, TimeUnit.SECONDS).body());
        assertThat(report.get("moved").asInt()).as(report.toString()).isZero();
        assertThat(report.at("/volumes/0/action").asText()).isEqualTo("failed");
        assertThat(report.at("/volumes/0/reason").asText()).contains("KubeVirt VirtualMachine default/web is set to run (runStrategy Always)")
                .contains("it was started while its disk was copied to " + move.to() + ", so the copy is abandoned and the disk stays on " + move.from());
        assertThat(kubeVirtNode()).as("it runs where its disk is").isEqualTo(move.from());
        assertUnmoved(report, move.disk(), move.before());
    }

    /** The controller's writes of a move's switch, in the order it makes them, as its client sends them. */
    enum SwitchWrite {
        /** The decision: the original's record. */
        RECORD_ORIGINAL("POST", ".*/poolvolumes"),
        /** KubeVirt's VirtualMachine pinned to the copy's node. */
        PIN_VM("PUT", ".*/virtualmachines/web"),
        /** The volume's record switched to the copy's node. */
        SWITCH_VOLUME("PUT|PATCH", ".*/poolvolumes/(?!move)[^/]+"),
        /** The copy's record released. */
        RELEASE_COPY("DELETE", ".*/poolvolumes/move-[^/]+");

        final String method;
        final String path;

        SwitchWrite(String method, String path) {
            this.method = method;
            this.path = path;
        }
    }

    /**
     * The double fault: a write of the switch hangs, the user starts the VM meanwhile (wherever it
     * is pinned then), and the write fails. Wherever the VM runs, its disk is there, its record
     * points there, and it is the one copy left.
     */
    @ParameterizedTest
    @EnumSource(SwitchWrite.class)
    void aVmStartedWhileAWriteOfTheSwitchHangsAndThenFailsRunsOnTheOneDiskThatIsKept(SwitchWrite write) throws Exception {
        Root.require();
        KubernetesApiTest.installKubeVirt(cluster);
        agent(A, this::gatedRelayTo);
        agent(B, this::gatedRelayTo);
        HeldMove move = moveHeldInTransfer();
        Faults.Hold held = faults.hold(write.method, write.path);
        gate.countDown();
        await().atMost(Duration.ofSeconds(120)).until(held::holding);

        startKubeVirtVm(); // virtctl start, while the controller waits for that write
        held.release(); // the write fails, nothing of it applied

        JsonNode report = JSON.readTree(move.drain().get(120, TimeUnit.SECONDS).body());
        assertTheVmRunsOnTheOneDiskKept(move, report);
    }

    /**
     * The pin is applied but its answer lost, the user starts the VM (now on the copy's node) while
     * the switch of the volume's record hangs, the switch fails, and the controller restarts: the
     * move is finished onto the disk the VM runs on.
     */
    @Test
    void aPinWhoseAnswerIsLostThenAFailedSwitchAndARestartKeepTheDiskTheVmRunsOn() throws Exception {
        Root.require();
        KubernetesApiTest.installKubeVirt(cluster);
        agent(A, this::gatedRelayTo);
        agent(B, this::gatedRelayTo);
        HeldMove move = moveHeldInTransfer();
        faults.loseAnswer(SwitchWrite.PIN_VM.method, SwitchWrite.PIN_VM.path, 1);
        Faults.Hold held = faults.hold(SwitchWrite.SWITCH_VOLUME.method, SwitchWrite.SWITCH_VOLUME.path);
        gate.countDown();
        await().atMost(Duration.ofSeconds(120)).until(held::holding);
        assertThat(kubeVirtNode()).as("pinned, though the controller did not hear so").isEqualTo(move.to());

        startKubeVirtVm();
        held.release(); // the switch, which the drain's settling of the failed pin was making, fails too
        JsonNode report = JSON.readTree(move.drain().get(120, TimeUnit.SECONDS).body());
        assertThat(report.at("/volumes/0/reason").asText()).as(report.toString()).contains("left for the next drain or start");
        controller.close(); // the next controller settles the move it finds
        startController();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(cluster.client.resources(PoolVolume.class)
                .withName(move.disk().getMetadata().getName()).get().getSpec().node).isEqualTo(move.to()));
        assertTheVmRunsOnTheOneDiskKept(move, null);
    }

    /** Wherever the KubeVirt VM "web" is pinned (it was started), its disk's record points, with the data as before; nothing else is kept. */
    private void assertTheVmRunsOnTheOneDiskKept(HeldMove move, JsonNode report) throws Exception {
        String runsOn = kubeVirtNode();
        String other = runsOn.equals(A) ? B : A;
        String name = move.disk().getMetadata().getName();
        String format = move.disk().getSpec().format;
        if (report != null) {
            assertThat(report.at("/volumes/0/action").asText()).as(report.toString()).isEqualTo(runsOn.equals(move.to()) ? "moved" : "failed");
        }
        assertThat(cluster.client.resources(PoolVolume.class).withName(name).get().getSpec().node).as("the disk's record").isEqualTo(runsOn);
        assertThat(image(runsOn, move.disk())).as("the disk the VM runs on, on " + runsOn).exists();
        assertThat(qemu.sameContent(move.before(), format, image(runsOn, move.disk()), format)).as("it reads as before").isTrue();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(cluster.client.resources(PoolVirtualMachine.class).inNamespace("default").withName("web").get().getStatus().node)
                    .isEqualTo(runsOn);
            assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).as("one copy is left")
                    .extracting(v -> v.getMetadata().getName()).containsExactly(name);
            assertThat(image(other, move.disk())).as("nothing left on " + other).doesNotExist();
            assertThat(leftovers(other)).isEmpty();
        });
        assertThat(image(runsOn, move.disk())).as("the disk the VM runs on, on " + runsOn).exists();
    }

    @Test
    void aVmDeleteThatArrivesDuringAMoveWaitsForTheMoveToEnd() throws Exception {
        agent(A, this::gatedRelayTo);
        agent(B, this::gatedRelayTo);
        HeldMove move = moveHeldInTransfer();
        CompletableFuture<HttpResponse<String>> delete = async("DELETE", "/api/v1/vms/" + move.disk().getSpec().owner, null);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(() -> !delete.isDone()
                && cluster.client.resources(PoolVirtualMachine.class).inNamespace("default").withName("web").get() != null);
        gate.countDown();

        assertThat(JSON.readTree(move.drain().get(120, TimeUnit.SECONDS).body()).get("moved").asInt()).isEqualTo(1);
        HttpResponse<String> deleted = delete.get(60, TimeUnit.SECONDS);
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        assertThat(JSON.readTree(deleted.body()).at("/disk/result").asText()).isEqualTo("released");
        PoolVolume kept = cluster.client.resources(PoolVolume.class).withName(move.disk().getMetadata().getName()).get();
        assertThat(kept.getSpec().node).as("the released disk is the moved one").isEqualTo(move.to());
        assertThat(image(move.to(), move.disk())).exists();
    }

    @Test
    void anAgentThatStopsMidTransferLeavesTheCopyToTheNextAgentAndTheMoveFinishes() throws Exception {
        agent(A, this::gatedRelayTo);
        agent(B, this::gatedRelayTo);
        HeldMove move = moveHeldInTransfer();
        String copy = copyName();
        agents.get(move.to()).close(); // a rollout stops the target's agent mid-transfer

        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(() -> !"Failed".equals(phase(copy)));
        assertThat(leftovers(move.to())).as("the broken-off transfer left nothing").isEmpty();
        agent(move.to()); // the next agent on that node takes the copy up again
        gate.countDown();

        JsonNode report = JSON.readTree(move.drain().get(120, TimeUnit.SECONDS).body());
        assertThat(report.get("moved").asInt()).as(report.toString()).isEqualTo(1);
        assertThat(qemu.sameContent(move.before(), "qcow2", image(move.to(), move.disk()), "qcow2")).as("the guest reads the same bytes").isTrue();
    }

    @Test
    void transfersStalledOnAPeerHoldUpNoOtherVolumeOfTheNode() throws Exception {
        agent(A, this::gatedRelayTo);
        agent(B, this::gatedRelayTo);
        PoolVolume disk = stoppedVmWithData();
        String to = disk.getSpec().node.equals(A) ? B : A;
        gate = new CountDownLatch(1);
        // two moves to the same node, each fetch stalled on the source's side: as many as the agent has reconcile workers
        for (String copy : List.of("move-1", "move-2")) {
            cluster.client.resources(PoolVolume.class).resource(KubernetesMoveRecoveryTest.record(disk, copy, to, MoveRecords.COPY)).create();
        }
        assertThat(relayed.tryAcquire(2, 60, TimeUnit.SECONDS)).as("both fetches are waiting on the source").isTrue();

        PoolVolume other = KubernetesMoveRecoveryTest.record(disk, "other", to, null);
        other.getSpec().name = "other";
        other.getSpec().owner = null;
        cluster.client.resources(PoolVolume.class).resource(other).create();

        await().atMost(Duration.ofSeconds(60)).until(() -> "Ready".equals(phase("other")));
        assertThat(phase("move-1")).isNotIn("Ready", "Failed");
    }

    @Test
    void aPeerThatStallsIsGivenUpAndTheDiskStaysWhereItWas() throws Exception {
        agent(A, this::gatedRelayTo, Duration.ofSeconds(2));
        agent(B, this::gatedRelayTo, Duration.ofSeconds(2));
        PoolVolume disk = stoppedVmWithData();
        String from = disk.getSpec().node;
        Path before = snapshot(image(from, disk));
        gate = new CountDownLatch(1); // the source's side answers nothing, ever

        JsonNode report = JSON.readTree(async("POST", "/api/v1/servers/" + from + "/drain", "{}").get(120, TimeUnit.SECONDS).body());

        assertUnmoved(report, disk, before);
        assertThat(report.at("/volumes/0/reason").asText()).contains("sent nothing for 2 s; the transfer is given up");
    }

    /** A drain of a stopped VM's disk, under way: the target's agent is fetching it, held at the source's relay until {@link #gate} opens. */
    private record HeldMove(PoolVolume disk, String from, String to, Path before, CompletableFuture<HttpResponse<String>> drain) {
    }

    private HeldMove moveHeldInTransfer() throws Exception {
        PoolVolume disk = stoppedVmWithData();
        String from = disk.getSpec().node;
        Path before = snapshot(image(from, disk));
        gate = new CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> drain = async("POST", "/api/v1/servers/" + from + "/drain", "{}");
        assertThat(relayed.tryAcquire(60, TimeUnit.SECONDS)).as("the target's agent is fetching the disk").isTrue();
        return new HeldMove(disk, from, from.equals(A) ? B : A, before, drain);
    }

    /** The name of the move's copy PoolVolume, once the drain has asked for it. */
    private String copyName() {
        return await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client.resources(PoolVolume.class).list().getItems().stream()
                .filter(v -> MoveRecords.COPY.equals(v.getSpec().kind)).map(v -> v.getMetadata().getName()).findFirst(), Optional::isPresent).get();
    }

    /** What virtctl start does to a VirtualMachine: its runStrategy becomes Always. */
    private void startKubeVirtVm() {
        cluster.client.genericKubernetesResources(KubernetesApiTest.KUBEVIRT).inNamespace("default").withName("web")
                .edit(kv -> {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> spec = (Map<String, Object>) kv.getAdditionalProperties().get("spec");
                    spec.put("runStrategy", "Always");
                    return kv;
                });
    }

    /** The node the KubeVirt VirtualMachine "web" runs on when started. */
    private String kubeVirtNode() {
        GenericKubernetesResource kv = cluster.client.genericKubernetesResources(KubernetesApiTest.KUBEVIRT).inNamespace("default").withName("web").get();
        return JSON.valueToTree(kv).at("/spec/template/spec/nodeSelector/kubernetes.io~1hostname").asText();
    }

    private CompletableFuture<HttpResponse<String>> async(String method, String path, String body) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(api + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void assertUnmoved(JsonNode drain, PoolVolume disk, Path before) throws Exception {
        String from = disk.getSpec().node;
        String to = from.equals(A) ? B : A;
        String name = disk.getMetadata().getName();
        assertThat(drain.get("moved").asInt()).as(drain.toString()).isZero();
        assertThat(drain.get("volumes").get(0).get("action").asText()).as(drain.toString()).isEqualTo("failed");
        assertThat(cluster.client.resources(PoolVolume.class).withName(name).get().getSpec().node).isEqualTo(from);
        assertThat(cluster.client.resources(PoolVirtualMachine.class).inNamespace("default").withName("web").get().getStatus().node).isEqualTo(from);
        String format = disk.getSpec().format;
        assertThat(qemu.sameContent(before, format, image(from, disk), format)).as("the original reads as before").isTrue();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).as("the copy's record is gone")
                    .extracting(v -> v.getMetadata().getName()).containsExactly(name);
            assertThat(image(to, disk)).as("nothing at its place on " + to).doesNotExist();
            assertThat(leftovers(to)).as("no temporary left on " + to).isEmpty();
        });
    }

    /** The token deploy/ projects into a workload's pod on {@code node} for its peers. */
    private String peerToken(Workload workload, String node) {
        return cluster.podToken(workload, node, Names.PEER_AUDIENCE);
    }

    private HttpResponse<byte[]> fetch(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private Path image(String node, PoolVolume disk) {
        Path pool = disks.resolve(node).resolve("vm-storage-pool");
        return "raw".equals(disk.getSpec().format) ? pool.resolve(disk.getSpec().name).resolve("disk.img") : pool.resolve(disk.getSpec().name + ".qcow2");
    }

    private List<Path> leftovers(String node) throws IOException {
        Path pool = disks.resolve(node).resolve("vm-storage-pool");
        if (!Files.isDirectory(pool)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(pool)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
        }
    }

    /** A copy of the overlay as it is now (still based on its node's template), to compare with afterwards. */
    private Path snapshot(Path image) throws IOException {
        Path copy = disks.resolve("before-" + image.getFileName());
        Files.copy(image, copy);
        return copy;
    }

    private String phase(String name) {
        PoolVolume v = cluster.client.resources(PoolVolume.class).withName(name).get();
        return v == null || v.getStatus() == null ? null : v.getStatus().phase;
    }

    private double vmPoolUsedGb() throws Exception {
        return call("GET", "/api/v1/pools/status", null, 200).path("vm_pool").path("used_capacity_gb").asDouble(-1);
    }

    private JsonNode call(String method, String path, String body, int expected) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + " -> " + r.body()).isEqualTo(expected);
        return r.body().isBlank() ? null : JSON.readTree(r.body());
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
