package dsp.kubernetes.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
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
}
