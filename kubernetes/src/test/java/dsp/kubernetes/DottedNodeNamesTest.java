package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import dsp.testing.RequiredTool;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.storage.CSIStorageCapacity;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node names are DNS subdomains, and FQDNs ({@code ip-10-0-0-1.ec2.internal}) are what EKS and
 * many others give their nodes. Such nodes join pools through their label like any other, get
 * their published capacity, and their agent makes the volumes placed on them, even when the
 * name is longer than a label value may be.
 */
class DottedNodeNamesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String EC2 = "ip-10-0-0-1.ec2.internal";
    /** 86 characters: longer than a label value (63), so it is selected by its hash. */
    private static final String LONG = "ip-10-0-0-2.eu-central-1.compute.internal.a-cluster-with-a-rather-long-domain.example";

    @TempDir
    Path dir;

    @Test
    void fqdnNodesJoinPoolsByLabelAndTheirAgentsMakeTheirVolumes() throws Exception {
        Path kubectl = RequiredTool.KUBECTL.require();
        assertThat(LONG.length()).isGreaterThan(63);
        try (TestCluster cluster = new TestCluster()) {
            Path kubeconfig = cluster.kubeconfig(dir);
            cluster.addNode(EC2, null);
            // the hostname label of a node with a long FQDN is its short host name (label values stop at 63)
            cluster.client.nodes().resource(new NodeBuilder().withNewMetadata().withName(LONG)
                    .addToLabels(Names.HOSTNAME_LABEL, "ip-10-0-0-2").endMetadata().build()).create();
            try (RunningRoles controller = RunningRoles.start(cluster, Set.of(ControllerRuntime.Role.SCALING), FAST);
                 SharedIndexInformer<PoolVolume> volumes = cluster.client.resources(PoolVolume.class).inform()) {
                kubectl(kubectl, kubeconfig, "label", "node", EC2, "pool=k8s");
                kubectl(kubectl, kubeconfig, "label", "node", LONG, "pool=k8s");
                Awaitility.await("pool-status counts both FQDN nodes").atMost(WAIT).untilAsserted(() ->
                        assertThat(kubectl(kubectl, kubeconfig, "get", "configmap", Names.CONFIG_MAP, "-n", Names.NAMESPACE,
                                "-o", "jsonpath={.data.pool-status}"))
                                .contains("\"k8s_pool\":{\"servers\":2,\"total_capacity_gb\":3000"));

                // the scheduler sees both: one CSIStorageCapacity each, topology on the node's hostname label
                Awaitility.await("capacity published for both").atMost(WAIT).untilAsserted(() -> {
                    List<CSIStorageCapacity> published = cluster.client.storage().v1().csiStorageCapacities()
                            .inNamespace(Names.NAMESPACE).list().getItems();
                    assertThat(published).extracting(c -> c.getNodeTopology().getMatchLabels().get(Names.HOSTNAME_LABEL))
                            .containsExactlyInAnyOrder(EC2, "ip-10-0-0-2");
                    assertThat(published).allSatisfy(c ->
                            assertThat(c.getMetadata().getLabels().get(Names.NODE_LABEL)).hasSizeLessThanOrEqualTo(63));
                });

                // each node's agent makes the volume placed on it
                PoolVolumeStore store = new PoolVolumeStore(cluster.client, volumes, new dsp.core.ledger.CapacityLedger(dsp.core.model.PoolCatalog.guideDefaults()));
                List<NodeAgent> agents = new ArrayList<>();
                try {
                    for (String node : List.of(EC2, LONG)) {
                        Files.createDirectories(dir.resolve(node));
                        NodeAgent agent = NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), node, dir.resolve(node), PoolCatalog.guideDefaults(), "vm",
                                QemuImg.onPath(), Clock.systemUTC(), Duration.ofMillis(200));
                        agents.add(agent);
                        Awaitility.await("agent on " + node).atMost(WAIT).until(agent::isReady);
                        store.addAllocation(new Allocation("pvc-" + agents.size(), "pvc-" + agents.size(), "k8s", node, 1L << 30,
                                PoolVolumeStore.CLAIM_KIND, Instant.now(), VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(),
                                VolumePhase.PENDING));
                    }
                    Awaitility.await("both volumes Ready").atMost(WAIT).untilAsserted(() -> {
                        assertThat(phase(cluster, "pvc-1")).isEqualTo("Ready");
                        assertThat(phase(cluster, "pvc-2")).isEqualTo("Ready");
                    });
                    assertThat(dir.resolve(EC2).resolve("k8s-storage-pool/pvc-1")).isDirectory();
                    assertThat(dir.resolve(LONG).resolve("k8s-storage-pool/pvc-2")).isDirectory();
                } finally {
                    for (NodeAgent a : agents) {
                        a.close();
                    }
                }
            }
        }
    }

    private static String phase(TestCluster cluster, String name) {
        PoolVolume v = cluster.client.resources(PoolVolume.class).withName(name).get();
        return v == null || v.getStatus() == null ? null : v.getStatus().phase;
    }

    private static String kubectl(Path kubectl, Path kubeconfig, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl " + String.join(" ", args) + "\n" + out).isZero();
        return out;
    }
}
