package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.controller.Leadership;
import dsp.kubernetes.crd.StoragePool;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guide's examples 1–3 by labelling Nodes, observed in the ConfigMap, StoragePools and Events. */
class ScalingControllerTest {

    static final Leadership.Timing FAST = RunningRoles.FAST;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestCluster cluster;
    private RunningRoles controller;

    @BeforeEach
    void start() {
        cluster = new TestCluster();
        cluster.addNode("k8s-1", "k8s");
        cluster.addNode("k8s-2", "k8s");
        cluster.addNode("vm-1", "vm");
        cluster.addNode("vm-2", "vm");
        controller = RunningRoles.start(cluster, Set.of(ControllerRuntime.Role.SCALING), FAST);
    }

    @AfterEach
    void stop() {
        controller.close();
        cluster.close();
    }

    @Test
    void examples1To3ByLabellingNodes() throws Exception {
        awaitPools(2, 3000, 2, 3000);
        cluster.addNode("new-k8s-server", "k8s"); // example 1
        awaitPools(3, 4500, 2, 3000);
        JsonNode status = poolStatus();
        assertThat(status.at("/system_reserve/total_servers").asInt()).isEqualTo(5);
        assertThat(status.at("/system_reserve/total_capacity_gb").asInt()).isEqualTo(1500);
        cluster.label("new-k8s-server", null); // example 2
        awaitPools(2, 3000, 2, 3000);
        cluster.label("k8s-1", "vm"); // example 3
        awaitPools(1, 1500, 3, 4500);

        StoragePool vm = cluster.client.resources(StoragePool.class).withName("vm").get();
        assertThat(vm.getStatus().servers).isEqualTo(3);
        assertThat(vm.getStatus().capacityGb).isEqualTo(4500.0);
        assertThat(vm.getStatus().health).isEqualTo("healthy");
        assertThat(vm.getSpec().storageClass).isEqualTo("vm-pool-storage");

        await(() -> reasons().containsAll(List.of("ServerJoinedPool", "ServerLeftPool", "ServerMovedPool")));
        Event moved = events().stream().filter(e -> e.getReason().equals("ServerMovedPool")).findFirst().orElseThrow();
        assertThat(moved.getInvolvedObject().getName()).isEqualTo("k8s-1");
        assertThat(moved.getMessage()).contains("from pool k8s to pool vm");
    }

    @Test
    void crossingTheThresholdsRecordsEventsNamingThePool() throws Exception {
        awaitPools(2, 3000, 2, 3000);
        allocate("a1", "k8s-1", 1_400_000_000_000L);
        allocate("a2", "k8s-2", 1_000_000_000_000L); // 2400 of 3000 GB: 80 %
        await(() -> reasons().contains("PoolWarning"));
        allocate("a3", "k8s-2", 400_000_000_000L); // 2800 of 3000 GB: 93.33 %
        await(() -> reasons().contains("PoolCritical"));
        Event critical = events().stream().filter(e -> e.getReason().equals("PoolCritical")).findFirst().orElseThrow();
        assertThat(critical.getType()).isEqualTo("Warning");
        assertThat(critical.getInvolvedObject().getKind()).isEqualTo("StoragePool");
        assertThat(critical.getInvolvedObject().getName()).isEqualTo("k8s");
        assertThat(critical.getMessage()).contains("pool k8s is critical").contains("93.33");
        await(() -> "critical".equals(cluster.client.resources(StoragePool.class).withName("k8s").get().getStatus().health));
        // the ConfigMap key is written after the StoragePools in the same pass: wait for it, don't race it
        await(() -> poolStatus().at("/k8s_pool/usage_percentage").asDouble() == 93.33);
    }

    /** Figures change without the health changing: the Healthy condition keeps the time it became so. */
    @Test
    void theHealthyConditionChangesItsTransitionTimeOnlyWhenHealthChanges() throws Exception {
        awaitPools(2, 3000, 2, 3000);
        var pool = cluster.client.resources(StoragePool.class).withName("k8s");
        await(() -> pool.get().getStatus() != null && !pool.get().getStatus().conditions.isEmpty());
        String healthySince = pool.get().getStatus().conditions.get(0).getLastTransitionTime();
        allocate("small", "k8s-1", 100_000_000_000L); // 100 of 3000 GB: still healthy
        await(() -> Double.valueOf(100.0).equals(pool.get().getStatus().allocatedGb));
        assertThat(pool.get().getStatus().conditions).singleElement().satisfies(c -> {
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getMessage()).contains("3.33% allocated");
            assertThat(c.getLastTransitionTime()).isEqualTo(healthySince);
        });
        allocate("big", "k8s-2", 2_400_000_000_000L); // 2500 of 3000 GB: warning
        await(() -> "False".equals(pool.get().getStatus().conditions.get(0).getStatus()));
        assertThat(pool.get().getStatus().conditions.get(0).getLastTransitionTime()).isNotEqualTo(healthySince);
    }

    /** A PoolVolume as the provisioner records one. */
    private void allocate(String name, String node, long bytes) {
        dsp.kubernetes.crd.PoolVolume v = new dsp.kubernetes.crd.PoolVolume();
        v.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).addToLabels(Names.NODE_LABEL, node).build());
        dsp.kubernetes.crd.PoolVolume.Spec spec = new dsp.kubernetes.crd.PoolVolume.Spec();
        spec.name = name;
        spec.pool = "k8s";
        spec.node = node;
        spec.sizeBytes = bytes;
        spec.format = "directory";
        spec.createdAt = "2026-11-25T00:00:00Z";
        v.setSpec(spec);
        cluster.client.resources(dsp.kubernetes.crd.PoolVolume.class).resource(v).create();
    }

    @Test
    void aNodeDeletedLeavesItsPool() throws Exception {
        awaitPools(2, 3000, 2, 3000);
        cluster.client.nodes().withName("vm-2").delete();
        awaitPools(2, 3000, 1, 1500);
    }

    private void awaitPools(int k8s, int k8sGb, int vm, int vmGb) throws Exception {
        await(() -> {
            JsonNode s = poolStatus();
            return s != null && s.at("/k8s_pool/servers").asInt() == k8s && s.at("/k8s_pool/total_capacity_gb").asInt() == k8sGb
                    && s.at("/vm_pool/servers").asInt() == vm && s.at("/vm_pool/total_capacity_gb").asInt() == vmGb;
        });
    }

    private JsonNode poolStatus() {
        ConfigMap cm = cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
        if (cm == null || cm.getData() == null || cm.getData().get(Names.POOL_STATUS_KEY) == null) {
            return null;
        }
        try {
            return JSON.readTree(cm.getData().get(Names.POOL_STATUS_KEY));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Events about Nodes and StoragePools: cluster-scoped objects, so in namespace default. */
    private List<Event> events() {
        return cluster.client.v1().events().inNamespace("default").list().getItems();
    }

    private List<String> reasons() {
        return events().stream().map(Event::getReason).toList();
    }

    /** Waits (Awaitility, up to 20 s) until the condition holds; shared by the Kubernetes tests. */
    static void await(BooleanSupplier condition) {
        Waiting.await(condition);
    }

    /** "Nothing happens": the condition holds throughout the period (Awaitility's {@code during}), checked every 50 ms. */
    static void holdsFor(Duration period, BooleanSupplier condition) {
        Waiting.holdsFor(period, condition);
    }
}
