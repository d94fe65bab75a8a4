package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.core.model.PoolCatalog;
import dsp.core.ledger.CapacityLedger;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A burst of claims on a mixed fleet, placed by {@link FakeScheduler} and provisioned by the real
 * controller (provisioner and scaling roles): how often did the provisioner have to send a claim
 * back to the scheduler? Run twice on the same fleet and claims: as the cluster was before #8 (a
 * class without allowedTopologies, no CSIDriver, so the scheduler knows nothing of the pools), and
 * with deploy/'s CSIDriver and classes plus the published CSIStorageCapacities.
 */
final class SchedulingScenario {

    static final long GB = 1_000_000_000L;
    static final long SHARE = 1500 * GB;

    /**
     * @param full      k8s nodes with 5 GB left (smaller than any claim)
     * @param tight     k8s nodes with {@code tightFreeGb} left: they fill up during the burst
     * @param ample     k8s nodes with their whole share free
     * @param vm        vm-pool nodes
     * @param outside   nodes in no pool (control plane, spare)
     */
    record Fleet(int full, int tight, int tightFreeGb, int ample, int vm, int outside) {
        int nodes() {
            return full + tight + ample + vm + outside;
        }
    }

    record Result(boolean published, int claims, int selections, int reschedules, int unschedulable, double seconds) {
        double reschedulePercent() {
            return 100.0 * reschedules / claims;
        }

        String line() {
            return String.format("%s: %d claims, %d node selections, %d reschedules (%.2f %%), %d unschedulable passes, %.1f s",
                    published ? "published capacity" : "before (no topology, no capacity)", claims, selections, reschedules,
                    reschedulePercent(), unschedulable, seconds);
        }
    }

    private SchedulingScenario() {
    }

    /** Claims of 5 to 15 GB (seeded), created 8 at a time, like a deployment scaling out. */
    static Result run(Fleet fleet, int claims, boolean published, long seed) throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            if (published) {
                try (InputStream in = new FileInputStream(Path.of("..", "deploy", "30-storageclasses.yaml").toFile())) {
                    for (HasMetadata o : cluster.client.load(in).items()) {
                        cluster.client.resource(o).create();
                    }
                }
            } else {
                cluster.client.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata()
                        .withName("k8s-pool-storage").endMetadata().withProvisioner(Names.PROVISIONER).addToParameters("pool", "k8s")
                        .withReclaimPolicy("Delete").withVolumeBindingMode("WaitForFirstConsumer").build()).create();
            }
            int prefilled = 0;
            for (int i = 0; i < fleet.full(); i++) {
                cluster.addNode("k8s-full-" + i, "k8s");
                allocate(cluster, "k8s-full-" + i, SHARE - 5 * GB);
                prefilled++;
            }
            for (int i = 0; i < fleet.tight(); i++) {
                cluster.addNode("k8s-tight-" + i, "k8s");
                allocate(cluster, "k8s-tight-" + i, SHARE - fleet.tightFreeGb() * GB);
                prefilled++;
            }
            for (int i = 0; i < fleet.ample(); i++) {
                cluster.addNode("k8s-" + i, "k8s");
            }
            for (int i = 0; i < fleet.vm(); i++) {
                cluster.addNode("vm-" + i, "vm");
            }
            for (int i = 0; i < fleet.outside(); i++) {
                cluster.addNode("other-" + i, null);
            }
            try (RunningRoles controller = RunningRoles.start(cluster, PoolCatalog.guideDefaults(), "bench",
                    Set.of(ControllerRuntime.Role.SCALING, ControllerRuntime.Role.PROVISIONER), FAST)) {
                int poolNodes = fleet.full() + fleet.tight() + fleet.ample() + fleet.vm();
                await().atMost(Duration.ofSeconds(30)).until(controller::isAdmissionLeader);
                if (published) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client.storage().v1().csiStorageCapacities()
                            .inNamespace(Names.NAMESPACE).list().getItems().size() == poolNodes);
                }
                int expected = prefilled + claims;
                try (FakeScheduler scheduler = new FakeScheduler(cluster.client, "default", seed)) {
                    Random sizes = new Random(seed);
                    long start = System.nanoTime();
                    ExecutorService clients = Executors.newFixedThreadPool(8);
                    for (int i = 0; i < claims; i++) {
                        String name = "claim-" + i;
                        String size = (5 + sizes.nextInt(11)) + "G";
                        clients.submit(() -> cluster.client.persistentVolumeClaims().inNamespace("default").resource(
                                new PersistentVolumeClaimBuilder().withNewMetadata().withName(name).withNamespace("default")
                                        .addToAnnotations(Names.STORAGE_PROVISIONER_ANN, Names.PROVISIONER).endMetadata()
                                        .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName("k8s-pool-storage")
                                        .withNewResources().addToRequests("storage", new Quantity(size)).endResources().endSpec()
                                        .build()).create());
                    }
                    clients.shutdown();
                    assertThat(clients.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
                    await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(100))
                            .until(() -> controller.queries().ledger().allocations().size() == expected);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    CapacityLedger ledger = controller.queries().ledger();
                    ledger.servers().forEach(s -> assertThat(ledger.allocatedOn(s.name())).as(s.name() + " oversold")
                            .isLessThanOrEqualTo(SHARE));
                    assertThat(ledger.allocations().stream().filter(a -> !a.server().startsWith("k8s-")).toList())
                            .as("only k8s nodes hold k8s claims").isEmpty();
                    return new Result(published, claims, scheduler.selections.get(), scheduler.reschedules.get(),
                            scheduler.unschedulable.get(), seconds);
                }
            }
        }
    }

    /** A PoolVolume as the provisioner records one (what fills a node before the burst). */
    private static void allocate(TestCluster cluster, String node, long bytes) {
        PoolVolume v = new PoolVolume();
        v.setMetadata(new ObjectMetaBuilder().withName("prefill-" + node).addToLabels(Names.NODE_LABEL, node).build());
        PoolVolume.Spec spec = new PoolVolume.Spec();
        spec.name = "prefill-" + node;
        spec.pool = "k8s";
        spec.node = node;
        spec.sizeBytes = bytes;
        spec.format = "directory";
        spec.createdAt = "2026-11-25T00:00:00Z";
        v.setSpec(spec);
        cluster.client.resources(PoolVolume.class).resource(v).create();
    }
}
