package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.config.PoolConfig;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.node.QemuImg;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmarks against the mock API server (`make bench`; excluded from `make test`). They check
 * correctness (all provisioned, none oversold) and print figures; targets are read, not asserted
 * on time.
 */
@Tag("bench")
class ProvisioningBenchmark {

    @TempDir
    Path disks;

    static String machine() {
        String cpu = "unknown cpu";
        try {
            cpu = java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (Exception ignored) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " cores, " + cpu;
    }

    static String percentiles(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms", s[s.length / 2] / 1e6,
                s[Math.max(0, (int) Math.ceil(s.length * 0.99) - 1)] / 1e6, s[s.length - 1] / 1e6);
    }

    @Test
    void thousandClaimsOverTenNodes() throws Exception {
        int nodes = 10;
        int claims = 1000;
        try (TestCluster cluster = new TestCluster()) {
            List<AutoCloseable> running = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                cluster.addNode("node-" + i, "k8s");
            }
            cluster.client.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata().withName("k8s-pool-storage")
                    .endMetadata().withProvisioner(Names.PROVISIONER).addToParameters("pool", "k8s").withReclaimPolicy("Delete")
                    .withVolumeBindingMode("WaitForFirstConsumer").build()).create();
            RunningRoles controller = RunningRoles.start(cluster, PoolConfig.Configuration.guideDefaults(), "bench",
                    Set.of(ControllerRuntime.Role.PROVISIONER), FAST, false);
            running.add(controller);
            for (int i = 0; i < nodes; i++) {
                running.add(NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), "node-" + i, disks.resolve("node-" + i), PoolCatalog.guideDefaults(), "vm",
                        QemuImg.onPath(), Clock.systemUTC(), Duration.ofSeconds(30)));
            }
            ScalingControllerTest.await(controller::isAdmissionLeader);

            Map<String, Long> created = new ConcurrentHashMap<>();
            Map<String, Long> bound = new ConcurrentHashMap<>();
            SharedIndexInformer<PersistentVolume> pvs = cluster.client.persistentVolumes().inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(PersistentVolume pv) {
                    bound.putIfAbsent(pv.getSpec().getClaimRef().getName(), System.nanoTime());
                }

                @Override
                public void onUpdate(PersistentVolume a, PersistentVolume b) {
                }

                @Override
                public void onDelete(PersistentVolume pv, boolean unknown) {
                }
            });
            running.add(pvs::close);
            ExecutorService clients = Executors.newFixedThreadPool(16);
            long start = System.nanoTime();
            for (int i = 0; i < claims; i++) {
                String name = "claim-" + i;
                String node = "node-" + (i % nodes);
                clients.submit(() -> {
                    created.put(name, System.nanoTime());
                    cluster.client.persistentVolumeClaims().inNamespace("default").resource(new PersistentVolumeClaimBuilder()
                            .withNewMetadata().withName(name).withNamespace("default")
                            .addToAnnotations(Names.STORAGE_PROVISIONER_ANN, Names.PROVISIONER)
                            .addToAnnotations(Names.SELECTED_NODE_ANN, node).endMetadata()
                            .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName("k8s-pool-storage")
                            .withNewResources().addToRequests("storage", new Quantity("10Gi")).endResources().endSpec().build()).create();
                });
            }
            clients.shutdown();
            clients.awaitTermination(5, TimeUnit.MINUTES);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (bound.size() < claims && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            long total = System.nanoTime() - start;
            assertThat(bound).as("every claim provisioned").hasSize(claims);
            long[] latency = created.keySet().stream().mapToLong(k -> bound.get(k) - created.get(k)).toArray();
            for (int i = 0; i < nodes; i++) {
                assertThat(controller.queries().ledger().allocatedOn("node-" + i)).as("node-" + i + " oversold")
                        .isLessThanOrEqualTo(1_500_000_000_000L);
            }
            System.out.printf("%n[bench] %d PVCs over %d nodes, all created at once (%s)%n", claims, nodes, machine());
            System.out.printf("[bench]   PVC -> PV latency: %s%n", percentiles(latency));
            System.out.printf("[bench]   all %d provisioned in %.2f s (target: under 20 s)%n", claims, total / 1e9);
            for (int i = running.size() - 1; i >= 0; i--) {
                running.get(i).close();
            }
        }
    }

    @Test
    void labelChangeToPoolStatus() throws Exception {
        ObjectMapper json = new ObjectMapper();
        try (TestCluster cluster = new TestCluster()) {
            for (int i = 0; i < 10; i++) {
                cluster.addNode("node-" + i, i < 5 ? "k8s" : "vm");
            }
            try (RunningRoles controller = RunningRoles.start(cluster, PoolConfig.Configuration.guideDefaults(), "bench",
                    Set.of(ControllerRuntime.Role.SCALING), FAST, false)) {
                Map<Integer, Long> seen = new ConcurrentHashMap<>();
                SharedIndexInformer<ConfigMap> cms = cluster.client.configMaps().inNamespace(Names.NAMESPACE).inform(new ResourceEventHandler<ConfigMap>() {
                    private void on(ConfigMap cm) {
                        try {
                            String s = cm.getData() == null ? null : cm.getData().get(Names.POOL_STATUS_KEY);
                            if (s != null) {
                                seen.putIfAbsent(json.readTree(s).at("/k8s_pool/servers").asInt(), System.nanoTime());
                            }
                        } catch (Exception ignored) {
                            // not ours
                        }
                    }

                    @Override
                    public void onAdd(ConfigMap cm) {
                        on(cm);
                    }

                    @Override
                    public void onUpdate(ConfigMap a, ConfigMap b) {
                        on(b);
                    }

                    @Override
                    public void onDelete(ConfigMap cm, boolean unknown) {
                    }
                });
                ScalingControllerTest.await(() -> seen.containsKey(5));
                int rounds = 100;
                long[] latency = new long[rounds];
                for (int r = 0; r < rounds; r++) {
                    boolean out = r % 2 == 0;
                    int expect = out ? 4 : 5;
                    seen.remove(expect);
                    long t0 = System.nanoTime();
                    cluster.label("node-0", out ? null : "k8s");
                    long deadline = t0 + TimeUnit.SECONDS.toNanos(10);
                    while (!seen.containsKey(expect) && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    assertThat(seen).containsKey(expect);
                    latency[r] = seen.get(expect) - t0;
                }
                cms.close();
                System.out.printf("%n[bench] label change -> pool-status updated, %d changes (%s)%n", rounds, machine());
                System.out.printf("[bench]   %s (target: p99 under 1 s)%n", percentiles(latency));
            }
        }
    }
}
