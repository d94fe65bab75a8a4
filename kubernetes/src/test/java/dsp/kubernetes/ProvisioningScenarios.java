package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.controller.Events;
import dsp.kubernetes.controller.Leadership;
import dsp.kubernetes.controller.Provisioner;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The provisioning scenarios that {@code make bench} measures at full size (ProvisioningBenchmark)
 * and {@code make test} runs at a tiny size so they cannot rot (ProvisioningScenariosTest). Each
 * checks its own outcome (every claim provisioned once, no node oversold); none asserts on time.
 */
final class ProvisioningScenarios {

    /** Lease timing for a controller under load: renewals must not be lost to a busy test API server. */
    static final Leadership.Timing CALM = new Leadership.Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofMillis(500));
    private static final long SHARE = 1_500_000_000_000L;

    private ProvisioningScenarios() {
    }

    /** One burst: when it started and ended, and each claim's create-to-PV latency. */
    record Burst(int claims, long totalNanos, long[] latencyNanos) {
        long percentile(double p) {
            long[] s = latencyNanos.clone();
            Arrays.sort(s);
            return s[Math.max(0, (int) Math.ceil(s.length * p) - 1)];
        }
    }

    static TestCluster clusterWith(int nodes) {
        TestCluster cluster = new TestCluster();
        for (int i = 0; i < nodes; i++) {
            cluster.addNode("node-" + i, "k8s");
        }
        cluster.client.storage().v1().storageClasses().resource(storageClass()).create();
        return cluster;
    }

    private static StorageClass storageClass() {
        return new StorageClassBuilder().withNewMetadata().withName("k8s-pool-storage").endMetadata()
                .withProvisioner(Names.PROVISIONER).addToParameters("pool", "k8s").withReclaimPolicy("Delete")
                .withVolumeBindingMode("WaitForFirstConsumer").build();
    }

    private static PersistentVolumeClaim claim(int i, int nodes) {
        return new PersistentVolumeClaimBuilder().withNewMetadata().withName("claim-" + i).withNamespace("default")
                .addToAnnotations(Names.STORAGE_PROVISIONER_ANN, Names.PROVISIONER)
                .addToAnnotations(Names.SELECTED_NODE_ANN, "node-" + (i % nodes)).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName("k8s-pool-storage")
                .withNewResources().addToRequests("storage", new Quantity("10Gi")).endResources().endSpec().build();
    }

    /**
     * {@code claims} claims created at once by 16 clients, spread over {@code nodes} nodes, each
     * with the scheduler's node chosen, against the provisioner and a real node agent per node;
     * ends when the last PV is there. Checks: one PoolVolume and one PV per claim, no node oversold.
     */
    static Burst burst(Path disks, int nodes, int claims) throws Exception {
        try (TestCluster cluster = clusterWith(nodes)) {
            List<AutoCloseable> running = new ArrayList<>();
            try {
                RunningRoles controller = RunningRoles.start(cluster, PoolCatalog.guideDefaults(), "bench",
                        Set.of(ControllerRuntime.Role.PROVISIONER), CALM);
                running.add(controller);
                for (int i = 0; i < nodes; i++) {
                    running.add(NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), "node-" + i, disks.resolve("node-" + i), PoolCatalog.guideDefaults(), "vm",
                            QemuImg.onPath(), Clock.systemUTC(), Duration.ofSeconds(30)));
                }
                await().atMost(Duration.ofSeconds(30)).until(controller::isAdmissionLeader);
                Map<String, Long> created = new ConcurrentHashMap<>();
                Map<String, Long> provisioned = new ConcurrentHashMap<>();
                SharedIndexInformer<PersistentVolume> pvs = cluster.client.persistentVolumes().inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(PersistentVolume pv) {
                        provisioned.putIfAbsent(pv.getSpec().getClaimRef().getName(), System.nanoTime());
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
                    PersistentVolumeClaim c = claim(i, nodes);
                    clients.submit(() -> {
                        created.put(c.getMetadata().getName(), System.nanoTime());
                        cluster.client.persistentVolumeClaims().inNamespace("default").resource(c).create();
                    });
                }
                clients.shutdown();
                assertThat(clients.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
                await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20)).until(() -> provisioned.size() == claims);
                long end = provisioned.values().stream().mapToLong(Long::longValue).max().orElseThrow();
                long[] latency = created.keySet().stream().mapToLong(k -> provisioned.get(k) - created.get(k)).toArray();
                for (int i = 0; i < nodes; i++) {
                    assertThat(controller.queries().ledger().allocatedOn("node-" + i)).as("node-" + i + " oversold").isLessThanOrEqualTo(SHARE);
                }
                assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).hasSize(claims);
                assertThat(cluster.client.persistentVolumes().list().getItems()).hasSize(claims);
                return new Burst(claims, end - start, latency);
            } finally {
                for (int i = running.size() - 1; i >= 0; i--) {
                    running.get(i).close();
                }
            }
        }
    }

    /**
     * The floor for a burst: the same writes the system makes per claim (the claim, its
     * PoolVolume, the agent's Ready status, the PV, the ProvisioningSucceeded Event), one after
     * the other from one plain client loop, on a fresh cluster of the same shape, nothing watching.
     */
    static long floor(int nodes, int claims) {
        try (TestCluster cluster = clusterWith(nodes)) {
            KubernetesClient client = cluster.client;
            StorageClass sc = storageClass();
            var pool = PoolCatalog.guideDefaults().require("k8s");
            Events events = new Events(client, "bench", Clock.systemUTC());
            long start = System.nanoTime();
            for (int i = 0; i < claims; i++) {
                String node = "node-" + (i % nodes);
                PersistentVolumeClaim c = client.persistentVolumeClaims().inNamespace("default").resource(claim(i, nodes)).create();
                String name = "pvc-" + c.getMetadata().getUid();
                client.resources(PoolVolume.class).resource(PoolVolumeStore.toObject(new Allocation(name, name, "k8s", node, 10_737_418_240L,
                        PoolVolumeStore.CLAIM_KIND, Instant.now(), VolumeFormat.DIRECTORY, Optional.empty(),
                        Optional.of(new PoolVolumeStore.ClaimOwner("default", c.getMetadata().getName()).owner()), VolumePhase.PENDING))).create();
                PoolVolume ready = new PoolVolume();
                ready.setMetadata(new ObjectMetaBuilder().withName(name).build());
                ready.setStatus(new PoolVolume.Status());
                ready.getStatus().phase = "Ready";
                ready.getStatus().path = pool.path() + "/" + name;
                ready.getStatus().message = "";
                ready.getStatus().presentedBytes = 10_737_418_240L;
                client.resources(PoolVolume.class).resource(ready).patchStatus();
                client.persistentVolumes().resource(Provisioner.localVolume(c, sc, pool, node, name)).create();
                events.normal(c, "ProvisioningSucceeded", "volume " + name + " on node " + node + " in pool k8s");
            }
            return System.nanoTime() - start;
        }
    }

    static String machine() {
        String cpu = "unknown cpu";
        try {
            cpu = java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (Exception ignored) {
            // not Linux
        }
        String load = "";
        try {
            load = ", load average " + java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0] + " when measured (shared machine)";
        } catch (Exception ignored) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " cores, " + cpu + load;
    }
}
