package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.StorageCleaner.Outcome;
import dsp.kubernetes.adapter.NodeCleanupRequests;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node agent on its node's real files: what it makes, what it leaves alone, how it answers cleanup. */
class NodeAgentTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path disks;

    private TestCluster cluster;
    private SharedIndexInformer<PoolVolume> volumes;
    private SharedIndexInformer<Node> nodes;
    private PoolVolumeStore store;
    private final List<AutoCloseable> running = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        // the kubelet mounts a volume into the pod; here the users of the test below reach it through the temporary directory
        Files.setPosixFilePermissions(disks, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        cluster = new TestCluster();
        volumes = cluster.client.resources(PoolVolume.class).inform();
        nodes = cluster.client.nodes().inform();
        store = new PoolVolumeStore(cluster.client, volumes, new dsp.core.ledger.CapacityLedger(dsp.core.model.PoolCatalog.guideDefaults()));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        volumes.close();
        nodes.close();
        cluster.close();
    }

    private NodeAgent agent(String node) throws IOException {
        Files.createDirectories(disks.resolve(node));
        NodeAgent a = NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), node, disks.resolve(node), PoolCatalog.guideDefaults(), "vm", QemuImg.onPath(),
                Clock.systemUTC(), Duration.ofMillis(200));
        running.add(a);
        await().atMost(WAIT).until(a::isReady);
        return a;
    }

    private void volume(String id, String node, long size) {
        store.addAllocation(new Allocation(id, id, "k8s", node, size, PoolVolumeStore.CLAIM_KIND, Instant.now(),
                VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.PENDING));
    }

    private boolean ready(String id) {
        PoolVolume v = cluster.client.resources(PoolVolume.class).withName(id).get();
        return v != null && v.getStatus() != null && "Ready".equals(v.getStatus().phase);
    }

    @Test
    void onANodeWithoutPoolDataItCreatesNothingAndReportsNothingButAnswersCleanup() throws Exception {
        cluster.addNode("plain-1", null);
        agent("plain-1");
        await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> {
            try (Stream<Path> s = Files.list(disks.resolve("plain-1"))) {
                return s.findAny().isEmpty() && !annotations("plain-1").containsKey(Names.DISK_REPORT_ANNOTATION);
            }
        });
        NodeCleanupRequests cleanup = new NodeCleanupRequests(cluster.clientAs(TestCluster.Workload.PROVISIONER), nodes, Clock.systemUTC());
        assertThat(cleanup.clean("run-1", "plain-1", List::of, false).state()).isEqualTo(Outcome.State.PENDING);
        await().atMost(WAIT).until(() -> cleanup.outcome("run-1", "plain-1").map(o -> o.state() == Outcome.State.DONE).orElse(false));
        assertThat(cleanup.outcome("run-1", "plain-1").orElseThrow().items()).isEmpty();

        // a volume placed there (the node joined a pool, or a stranded one) wakes it up
        cluster.label("plain-1", "k8s");
        volume("pvc-a", "plain-1", 1L << 30);
        await().atMost(WAIT).until(() -> ready("pvc-a") && annotations("plain-1").containsKey(Names.DISK_REPORT_ANNOTATION));
        assertThat(disks.resolve("plain-1/k8s-storage-pool/pvc-a")).isDirectory();
    }

    @Test
    void aVolumeItsAgentMadeBeforeTheApiAskedIsThereButNotSomeoneElsesData() throws Exception {
        cluster.addNode("k8s-1", "k8s");
        agent("k8s-1");
        volume("pvc-quick", "k8s-1", 1L << 30); // admission wrote the PoolVolume; the API thread is slow to go on
        await().atMost(WAIT).until(() -> ready("pvc-quick") && store.object("pvc-quick").map(v -> v.getStatus() != null
                && "Ready".equals(v.getStatus().phase)).orElse(false));
        var requests = new dsp.kubernetes.adapter.PoolVolumeRequests(store, PoolCatalog.guideDefaults());
        Allocation made = store.findAllocation("pvc-quick").orElseThrow();
        assertThat(requests.exists(made)).isTrue();
        assertThat(requests.placeTaken(made)).as("made for its own record: a create going on now is not refused").isFalse();
    }

    @Test
    void cleanupAnswersRunByRunAndSparesEveryVolume() throws Exception {
        cluster.addNode("k8s-1", "k8s");
        cluster.addNode("no-agent", "k8s");
        agent("k8s-1");
        volume("pvc-keep", "k8s-1", 1L << 30);
        await().atMost(WAIT).until(() -> ready("pvc-keep"));
        Path pool = disks.resolve("k8s-1/k8s-storage-pool");
        Files.createDirectories(pool.resolve("junk"));
        Files.writeString(pool.resolve("junk/old.log"), "x".repeat(5000));

        NodeCleanupRequests cleanup = new NodeCleanupRequests(cluster.clientAs(TestCluster.Workload.PROVISIONER), nodes, Clock.systemUTC());
        cleanup.clean("run-1", "k8s-1", List::of, true);
        cleanup.clean("run-1", "no-agent", List::of, true);
        await().atMost(WAIT).until(() -> cleanup.outcome("run-1", "k8s-1").map(o -> o.state() == Outcome.State.DONE).orElse(false));
        Outcome plan = cleanup.outcome("run-1", "k8s-1").orElseThrow();
        assertThat(plan.dryRun()).isTrue();
        assertThat(plan.items()).singleElement().satisfies(i -> {
            assertThat(i.entry()).isEqualTo("junk");
            assertThat(i.pool()).isEqualTo("k8s");
            assertThat(i.server()).isEqualTo("k8s-1");
        });
        assertThat(pool.resolve("junk")).exists(); // a dry run moves nothing
        assertThat(cleanup.outcome("run-1", "no-agent")).hasValueSatisfying(o -> assertThat(o.state()).isEqualTo(Outcome.State.PENDING));

        cleanup.clean("run-2", "k8s-1", List::of, false);
        cleanup.clean("run-2", "no-agent", List::of, false);
        await().atMost(WAIT).until(() -> cleanup.outcome("run-2", "k8s-1").map(o -> o.state() == Outcome.State.DONE).orElse(false));
        assertThat(cleanup.outcome("run-2", "k8s-1").orElseThrow().items()).extracting(i -> i.entry()).containsExactly("junk");
        assertThat(pool.resolve("junk")).doesNotExist();
        assertThat(pool.resolve("pvc-keep")).isDirectory();
        try (Stream<Path> s = Files.walk(pool.resolve(".trash"))) {
            assertThat(s.anyMatch(p -> p.endsWith("junk/old.log"))).isTrue();
        }
        // the older run is no longer what the unanswered node is asked for
        assertThat(cleanup.outcome("run-1", "no-agent")).isEmpty();
        assertThat(cleanup.outcome("run-2", "no-agent")).hasValueSatisfying(o -> assertThat(o.state()).isEqualTo(Outcome.State.PENDING));
    }

    @Test
    void volumeDirectoriesAreWritableByNonRootPodsAndKeepWhatFsGroupSets() throws Exception {
        Root.require();
        cluster.addNode("k8s-1", "k8s");
        agent("k8s-1");
        volume("pvc-shared", "k8s-1", 1L << 30);
        await().atMost(WAIT).until(() -> ready("pvc-shared"));
        Path dir = disks.resolve("k8s-1/k8s-storage-pool/pvc-shared");
        assertThat(mode(dir) & 07777).as("mode of %s", dir).isEqualTo(0777);
        assertThat(Files.getAttribute(dir, "unix:uid")).isEqualTo(0);

        // a pod without fsGroup, running as an arbitrary user
        assertThat(runAs(1000, 1000, null, "echo one > " + dir + "/by-1000")).isZero();
        assertThat(Files.getAttribute(dir.resolve("by-1000"), "unix:uid")).isEqualTo(1000);

        // a pod with fsGroup 3000: the kubelet gives the volume to the group at mount (SetVolumeOwnership)
        Kubelet.applyFsGroup(dir, 3000);
        assertThat(runAs(2000, 2000, 3000, "mkdir " + dir + "/app && echo two > " + dir + "/app/data")).isZero();
        assertThat(Files.getAttribute(dir.resolve("app/data"), "unix:gid")).as("files inherit the fsGroup").isEqualTo(3000);
        assertThat(runAs(2001, 2001, 3000, "echo three > " + dir + "/by-2001")).as("another user of the group").isZero();

        // the agent reconciles again (a grow): what the kubelet set stays
        store.updateAllocation(store.findAllocation("pvc-shared").orElseThrow().withSize(2L << 30));
        await().atMost(WAIT).until(() -> cluster.client.resources(PoolVolume.class).withName("pvc-shared").get()
                .getStatus().presentedBytes == 2L << 30);
        assertThat(Files.getAttribute(dir, "unix:gid")).isEqualTo(3000);
        assertThat(mode(dir) & 02000).as("setgid kept").isEqualTo(02000);
        assertThat(runAs(2002, 2002, 3000, "echo four > " + dir + "/by-2002")).isZero();
    }

    /**
     * Each disk report measures the node once (a du per pool directory) and takes every volume's bytes
     * from it: never a du (or qemu-img) per volume, which at 40 volumes a node was 40 processes every 30 s.
     * A directory made just now is reported as holding nothing, so the first report after a burst of
     * new volumes writes nothing for them; a volume that filled gets its bytes written.
     */
    @Test
    void aDiskReportMeasuresTheNodeOnceAndWritesOnlyTheVolumesThatFilled() throws Exception {
        cluster.addNode("k8s-1", "k8s");
        Path root = Files.createDirectories(disks.resolve("k8s-1"));
        dsp.node.LocalNode local = new dsp.node.LocalNode("k8s-1", root, PoolCatalog.guideDefaults(), "vm", QemuImg.onPath(), Clock.systemUTC());
        java.util.concurrent.atomic.AtomicInteger measuredOneByOne = new java.util.concurrent.atomic.AtomicInteger();
        dsp.core.port.VolumeMaker counting = new CountingMaker(local.maker(), measuredOneByOne);
        try (RequestLog agentRequests = new RequestLog(cluster.clientAs(TestCluster.Workload.AGENT))) {
            NodeAgent a = new NodeAgent(agentRequests.client, "k8s-1", PoolCatalog.guideDefaults(), "vm", () -> {
                local.prepare();
                return new dsp.kubernetes.agent.NodeStorage(counting, local.templates(), local.meter());
            }, local.cleaner(), Clock.systemUTC(), Duration.ofMillis(200));
            running.add(a);
            await().atMost(WAIT).until(a::isReady);
            List<String> ids = List.of("pvc-a", "pvc-b", "pvc-c");
            ids.forEach(id -> volume(id, "k8s-1", 1L << 30));
            await().atMost(WAIT).until(() -> ids.stream().allMatch(this::ready));

            Path filled = disks.resolve("k8s-1/k8s-storage-pool/pvc-a");
            byte[] mb = new byte[1 << 20];
            java.util.Arrays.fill(mb, (byte) 1);
            for (int i = 0; i < 8; i++) {
                Files.write(filled.resolve("data-" + i), mb);
            }
            await().atMost(WAIT).until(() -> measured("pvc-a") >= 8L << 20);
            // a later report: the one that wrote pvc-a's bytes has looked at every volume by then
            for (int i = 8; i < 16; i++) {
                Files.write(filled.resolve("data-" + i), mb);
            }
            await().atMost(WAIT).until(() -> measured("pvc-a") >= 16L << 20);

            assertThat(statusWrites(agentRequests, "pvc-b")).as("the Ready status only: nothing more to say about an empty directory").isOne();
            assertThat(statusWrites(agentRequests, "pvc-c")).isOne();
            assertThat(statusWrites(agentRequests, "pvc-a")).as("Ready, then its bytes (a report may catch the writing half done)")
                    .isGreaterThanOrEqualTo(3);
            assertThat(measuredOneByOne).as("volumes measured one by one (a du each) instead of from the node's one measurement").hasValue(0);
        }
    }

    private long measured(String id) {
        PoolVolume v = cluster.client.resources(PoolVolume.class).withName(id).get();
        return v == null || v.getStatus() == null || v.getStatus().measuredBytes == null ? -1 : v.getStatus().measuredBytes;
    }

    private static long statusWrites(RequestLog log, String id) {
        return log.writes().stream().filter(w -> w.endsWith("/poolvolumes/" + id + "/status")).count();
    }

    /** The node's real volume maker, counting the volumes it is asked to measure one by one. */
    private static final class CountingMaker extends dsp.testing.ForwardingVolumeMaker {
        private final java.util.concurrent.atomic.AtomicInteger measured;

        CountingMaker(dsp.core.port.VolumeMaker real, java.util.concurrent.atomic.AtomicInteger measured) {
            super(real);
            this.measured = measured;
        }

        @Override
        public long measuredBytes(Allocation a) {
            measured.incrementAndGet();
            return delegate.measuredBytes(a);
        }
    }

    private java.util.Map<String, String> annotations(String node) {
        var a = cluster.client.nodes().withName(node).get().getMetadata().getAnnotations();
        return a == null ? java.util.Map.of() : a;
    }

    static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode");
    }

    /** Runs a shell command as another user (and supplementary group), as a pod's process would run. */
    static int runAs(int uid, int gid, Integer group, String command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid));
        cmd.add(group == null ? "--clear-groups" : "--groups=" + group);
        cmd.addAll(List.of("sh", "-c", command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        if (p.exitValue() != 0) {
            System.out.println("as " + uid + ": " + command + ": " + out);
        }
        return p.exitValue();
    }
}
