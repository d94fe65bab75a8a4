package dsp.kubernetes.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.kubernetes.RequestLog;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The PoolVolume view on the test API server: promises written afterwards, and what a write that
 * finds its object already there does.
 */
class PoolVolumeStoreTest {

    private final TestCluster cluster = new TestCluster();

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static Allocation claimVolume(String uid, long bytes) {
        String name = PoolVolumeStore.CLAIM_VOLUME_PREFIX + uid;
        return new Allocation(name, name, "k8s", "k8s-1", bytes, PoolVolumeStore.CLAIM_KIND, Instant.now(), VolumeFormat.DIRECTORY,
                Optional.empty(), Optional.of(new PoolVolumeStore.ClaimOwner("default", "app").owner()), VolumePhase.PENDING);
    }

    /**
     * A create whose answer was lost was applied; its retry (named after the claim, so the same
     * object) finds it there before the watch has brought it: the object is adopted and counted
     * once, and the promise goes, instead of the retry failing until the watch catches up.
     */
    @Test
    void aCreateThatFindsItsObjectAlreadyThereAdoptsIt() {
        Allocation a = claimVolume("6d0f3c52-1f7e-4a53-9a49-0f7b1c2f0c11", 10_737_418_240L);
        cluster.client.resources(PoolVolume.class).resource(PoolVolumeStore.toObject(a)).create(); // the first attempt, applied
        SharedIndexInformer<PoolVolume> notWatching = cluster.clientAs(TestCluster.Workload.PROVISIONER).resources(PoolVolume.class).runnableInformer(0);
        PoolVolumeStore store = new PoolVolumeStore(cluster.clientAs(TestCluster.Workload.PROVISIONER), notWatching, new dsp.core.ledger.CapacityLedger(dsp.core.model.PoolCatalog.guideDefaults()));
        store.promising().addAllocation(a);
        assertThat(store.isPromised(a.id())).isTrue();

        PoolVolume written = store.create(a);

        assertThat(written.getMetadata().getName()).isEqualTo(a.id());
        assertThat(store.isPromised(a.id())).isFalse();
        assertThat(store.object(a.id())).isPresent();
        assertThat(store.forClaim("6d0f3c52-1f7e-4a53-9a49-0f7b1c2f0c11")).isPresent();
        assertThat(store.listAllocations()).extracting(Allocation::id).containsExactly(a.id());
        assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).hasSize(1);
    }

    /** Writes go through the one write primitive: what the object already says is not written, a change is one patch. */
    @Test
    void anUnchangedAllocationOrASmallerSizeIsNotWrittenAndAChangeIsOnePatch() {
        Allocation a = claimVolume("0b7e4c1d-5a2f-4f7e-9c3a-2d1e0f9a8b7c", 10_737_418_240L);
        cluster.client.resources(PoolVolume.class).resource(PoolVolumeStore.toObject(a)).create();
        try (RequestLog log = new RequestLog(cluster.clientAs(TestCluster.Workload.PROVISIONER))) {
            PoolVolumeStore store = new PoolVolumeStore(log.client, log.client.resources(PoolVolume.class).runnableInformer(0),
                    new dsp.core.ledger.CapacityLedger(dsp.core.model.PoolCatalog.guideDefaults()));
            store.updateAllocation(a);
            assertThat(store.resize(a.id(), 1_073_741_824L).getSpec().sizeBytes).as("grow only").isEqualTo(10_737_418_240L);
            assertThat(log.writes()).as("nothing changed: nothing written").isEmpty();

            assertThat(store.resize(a.id(), 21_474_836_480L).getSpec().sizeBytes).isEqualTo(21_474_836_480L);
            assertThat(log.writes()).containsExactly("PATCH /apis/dynamicpools.io/v1alpha1/poolvolumes/" + a.id());
            assertThat(store.object(a.id())).as("the store sees its own write").hasValueSatisfying(v ->
                    assertThat(v.getSpec().sizeBytes).isEqualTo(21_474_836_480L));

            log.clear();
            store.updateAllocation(a.withSize(21_474_836_480L).withPhase(VolumePhase.RELEASED));
            assertThat(log.writes()).hasSize(1);
            assertThat(cluster.client.resources(PoolVolume.class).withName(a.id()).get().getSpec().released).isTrue();
            log.clear();
            store.release(a.id(), a.owner());
            assertThat(log.writes()).as("released already, by that owner").isEmpty();

            assertThatThrownBy(() -> store.updateAllocation(claimVolume("gone", 1L)))
                    .isInstanceOf(dsp.core.DomainException.class).hasMessageContaining("cannot update PoolVolume");
        }
    }

    private static PoolVolume ready(String name, String node, long bytes) {
        PoolVolume v = PoolVolumeStore.toObject(new Allocation(name, name, "k8s", node, bytes, "volume", Instant.now(), VolumeFormat.DIRECTORY,
                Optional.empty(), Optional.empty(), VolumePhase.READY));
        v.setStatus(new PoolVolume.Status());
        v.getStatus().phase = "Ready";
        v.getStatus().path = "/k8s-storage-pool/" + name;
        v.getStatus().measuredBytes = 4096L;
        return v;
    }

    /**
     * A controller's store at fleet scale: the informer keeps names and resourceVersions only, the
     * view the one copy of each object, whole (spec, status, finalizers), with the strings that
     * repeat shared; lists come in pages; updates and deletions still reach the view and the ledger.
     */
    @Test
    void informingKeepsKeysInTheInformerAndOneWholeCopyInTheView() {
        var api = cluster.client.resources(PoolVolume.class);
        for (int i = 0; i < 5; i++) {
            PoolVolume v = ready("volume-" + i, "k8s-" + (i % 2), 1_000_000_000L);
            PoolVolume.Status status = v.getStatus();
            PoolVolume created = api.resource(v).create();
            created.setStatus(status); // the agent's part, through the status subresource
            api.resource(created).updateStatus();
        }
        var ledger = new dsp.core.ledger.CapacityLedger(dsp.core.model.PoolCatalog.guideDefaults());
        SharedIndexInformer<PoolVolume> informer = cluster.clientAs(TestCluster.Workload.PROVISIONER).resources(PoolVolume.class)
                .withLimit(2L).runnableInformer(0);
        try {
            PoolVolumeStore store = PoolVolumeStore.informing(cluster.clientAs(TestCluster.Workload.PROVISIONER), informer, ledger);

            assertThat(informer.getStore().listKeys()).hasSize(5);
            assertThat(informer.getStore().getByKey("volume-0").getSpec()).as("the informer keeps keys only").isNull();
            PoolVolume zero = store.object("volume-0").orElseThrow();
            assertThat(zero.getSpec().node).isEqualTo("k8s-0");
            assertThat(zero.getSpec().sizeBytes).isEqualTo(1_000_000_000L);
            assertThat(zero.getStatus().phase).isEqualTo("Ready");
            assertThat(zero.getMetadata().getFinalizers()).containsExactly(dsp.kubernetes.Names.DATA_FINALIZER);
            assertThat(zero.getMetadata().getResourceVersion()).isNotEmpty();
            assertThat(store.object("volume-2").orElseThrow().getSpec().node).as("shared, not one string per object").isSameAs(zero.getSpec().node);
            assertThat(store.listAllocations()).hasSize(5).allSatisfy(a -> assertThat(a.phase()).isEqualTo(VolumePhase.READY));
            assertThat(ledger.allocatedOn("k8s-0")).isEqualTo(3_000_000_000L);

            api.withName("volume-1").edit(v -> {
                v.getSpec().sizeBytes = 2_000_000_000L;
                return v;
            });
            api.withName("volume-3").delete();
            api.withName("volume-3").edit(v -> {
                v.getMetadata().setFinalizers(java.util.List.of()); // as its agent does once the data is gone
                return v;
            });
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(store.object("volume-1").orElseThrow().getSpec().sizeBytes).isEqualTo(2_000_000_000L);
                assertThat(store.object("volume-3")).isEmpty();
                assertThat(ledger.allocatedOn("k8s-1")).isEqualTo(2_000_000_000L);
            });
            assertThat(informer.getStore().listKeys()).containsExactlyInAnyOrder("volume-0", "volume-1", "volume-2", "volume-4");
        } finally {
            informer.close();
        }
    }

    /**
     * The informer tells its handlers on its own thread after it has listed: when informing returns,
     * the view and the ledger already count every object (a controller admits right after; counting
     * too little it would promise space that is taken). A slow handler registered first holds the
     * view's events back (they are told one after another).
     */
    @Test
    void informingReturnsOnceTheLedgerCountsEveryListedObject() {
        var api = cluster.client.resources(PoolVolume.class);
        for (int i = 0; i < 5; i++) {
            api.resource(ready("volume-" + i, "k8s-0", 1_000_000_000L)).create();
        }
        var ledger = new dsp.core.ledger.CapacityLedger(dsp.core.model.PoolCatalog.guideDefaults());
        SharedIndexInformer<PoolVolume> informer = cluster.clientAs(TestCluster.Workload.PROVISIONER).resources(PoolVolume.class).runnableInformer(0);
        informer.addEventHandler(new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
            @Override
            public void onAdd(PoolVolume v) {
                try {
                    Thread.sleep(100); // a slow listener: the events after it wait
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onUpdate(PoolVolume a, PoolVolume b) {
            }

            @Override
            public void onDelete(PoolVolume v, boolean unknown) {
            }
        });
        try {
            PoolVolumeStore store = PoolVolumeStore.informing(cluster.clientAs(TestCluster.Workload.PROVISIONER), informer, ledger);
            assertThat(store.listAllocations()).hasSize(5);
            assertThat(ledger.allocatedOn("k8s-0")).isEqualTo(5_000_000_000L);
        } finally {
            informer.close();
        }
    }

    /** The same object again (a relist, a handler added late) keeps the copy the view has: one copy per object, not two. */
    @Test
    void theSameVersionAgainKeepsTheCopyTheViewHas() {
        PoolVolume created = cluster.client.resources(PoolVolume.class).resource(ready("volume-0", "k8s-0", 1_000_000_000L)).create();
        SharedIndexInformer<PoolVolume> notWatching = cluster.client.resources(PoolVolume.class).runnableInformer(0);
        PoolVolumeStore store = new PoolVolumeStore(cluster.client, notWatching,
                new dsp.core.ledger.CapacityLedger(dsp.core.model.PoolCatalog.guideDefaults()));
        store.remember(created);
        PoolVolume kept = store.object("volume-0").orElseThrow();

        store.remember(cluster.client.resources(PoolVolume.class).withName("volume-0").get());

        assertThat(store.object("volume-0").orElseThrow()).isSameAs(kept);
    }
}
