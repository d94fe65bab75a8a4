package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the node agents run, decided by deploy/50-agents.yaml as the DaemonSet controller decides
 * it: on every node, exactly one each, so a volume left on a node that changed or left its pool
 * (stranded) still has an agent to delete it.
 */
class AgentPlacementTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path disks;

    static List<DaemonSet> agentDaemonSets(TestCluster cluster) throws Exception {
        try (InputStream in = new FileInputStream(Path.of("..", "deploy", "50-agents.yaml").toFile())) {
            List<HasMetadata> items = cluster.client.load(in).items();
            return items.stream().filter(DaemonSet.class::isInstance).map(DaemonSet.class::cast).toList();
        }
    }

    private static Node node(String name, String pool, String taintKey) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).addToLabels(Names.HOSTNAME_LABEL, name).endMetadata();
        if (pool != null) {
            b.editMetadata().addToLabels(Names.POOL_LABEL, pool).endMetadata();
        }
        if (taintKey != null) {
            b.withNewSpec().addNewTaint().withKey(taintKey).withEffect("NoSchedule").endTaint().endSpec();
        }
        return b.build();
    }

    @Test
    void everyNodeGetsExactlyOneAgentWhateverItsPoolAndTaints() throws Exception {
        try (TestCluster cluster = new TestCluster(false)) {
            List<DaemonSet> agents = agentDaemonSets(cluster);
            assertThat(agents).extracting(d -> d.getMetadata().getName())
                    .containsExactlyInAnyOrder("vm-pool-storage-manager", "k8s-pool-storage-manager");
            Map<Node, String> expected = Map.of(
                    node("k8s-1", "k8s", null), "k8s-pool-storage-manager",
                    node("vm-1", "vm", null), "vm-pool-storage-manager",
                    node("left-its-pool", null, null), "k8s-pool-storage-manager",
                    node("backup-1", "backup", null), "k8s-pool-storage-manager",
                    node("control-plane", "k8s", "node-role.kubernetes.io/control-plane"), "k8s-pool-storage-manager",
                    node("tainted-vm", "vm", "dedicated"), "vm-pool-storage-manager");
            expected.forEach((n, ds) -> assertThat(agents.stream()
                    .filter(d -> FakeDaemonSetController.shouldRun(d.getSpec().getTemplate().getSpec(), n))
                    .map(d -> d.getMetadata().getName()).toList()).as(n.getMetadata().getName()).containsExactly(ds));
        }
    }

    @Test
    void aVolumeOnANodeThatLeftOrChangedItsPoolIsStillDeleted() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            cluster.addNode("k8s-2", "k8s");
            cluster.addNode("vm-1", "vm");
            for (DaemonSet ds : agentDaemonSets(cluster)) {
                cluster.client.resource(ds).create();
            }
            var volumesInformer = cluster.client.resources(PoolVolume.class).inform();
            try (FakeDaemonSetController daemons = new FakeDaemonSetController(cluster.client, Names.NAMESPACE,
                    (ds, node) -> NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), node.getMetadata().getName(), disks.resolve(node.getMetadata().getName()),
                            PoolCatalog.guideDefaults(), "vm", QemuImg.onPath(), Clock.systemUTC(), Duration.ofMillis(200)))) {
                await().atMost(WAIT).until(() -> daemons.running().equals(Map.of(
                        "k8s-1", Set.of("k8s-pool-storage-manager"), "k8s-2", Set.of("k8s-pool-storage-manager"),
                        "vm-1", Set.of("vm-pool-storage-manager"))));
                PoolVolumeStore store = new PoolVolumeStore(cluster.client, volumesInformer, new dsp.core.ledger.CapacityLedger(PoolCatalog.guideDefaults()));
                for (String node : List.of("k8s-1", "k8s-2")) {
                    store.addAllocation(new Allocation("pvc-on-" + node, "pvc-on-" + node, "k8s", node, 1L << 30, PoolVolumeStore.CLAIM_KIND,
                            Instant.now(), VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.PENDING));
                }
                Path left = disks.resolve("k8s-1/k8s-storage-pool/pvc-on-k8s-1");
                Path moved = disks.resolve("k8s-2/k8s-storage-pool/pvc-on-k8s-2");
                await().atMost(WAIT).until(() -> Files.isDirectory(left) && Files.isDirectory(moved));

                cluster.label("k8s-1", null);   // kubectl label node k8s-1 pool-
                cluster.label("k8s-2", "vm");   // kubectl label node k8s-2 pool=vm --overwrite
                await().atMost(WAIT).until(() -> daemons.running().equals(Map.of(
                        "k8s-1", Set.of("k8s-pool-storage-manager"), "k8s-2", Set.of("vm-pool-storage-manager"),
                        "vm-1", Set.of("vm-pool-storage-manager"))));
                assertThat(left).isDirectory(); // a relabel never touches data
                assertThat(moved).isDirectory();

                cluster.client.resources(PoolVolume.class).withName("pvc-on-k8s-1").delete();
                cluster.client.resources(PoolVolume.class).withName("pvc-on-k8s-2").delete();
                await().atMost(WAIT).until(() -> cluster.client.resources(PoolVolume.class).list().getItems().isEmpty());
                assertThat(left).doesNotExist();
                assertThat(moved).doesNotExist();
                assertThat(daemons.history()).contains("stop k8s-pool-storage-manager on k8s-2", "start vm-pool-storage-manager on k8s-2");
            } finally {
                volumesInformer.close();
            }
        }
    }
}
