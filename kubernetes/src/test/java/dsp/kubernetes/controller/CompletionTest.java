package dsp.kubernetes.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.PoolCatalog;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import java.time.Instant;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** When a claim's volume becomes a PV, and what becomes of volumes nobody wants: no API server. */
class CompletionTest {

    private static final Instant CUTOFF = Instant.parse("2026-11-26T15:00:00Z");

    /** The PoolVolume of ClaimModelTest's claim apps/data (uid u-1), in the given phase. */
    private static PoolVolume volume(String phase, Consumer<PoolVolume.Spec> edit) {
        PoolVolume v = new PoolVolume();
        v.setMetadata(new ObjectMetaBuilder().withName("pvc-u-1").build());
        PoolVolume.Spec s = new PoolVolume.Spec();
        s.kind = PoolVolumeStore.CLAIM_KIND;
        s.name = "pvc-u-1";
        s.pool = "k8s";
        s.node = "k8s-1";
        s.claimNamespace = "apps";
        s.claimName = "data";
        s.claimUid = "u-1";
        edit.accept(s);
        v.setSpec(s);
        if (phase != null) {
            PoolVolume.Status status = new PoolVolume.Status();
            status.phase = phase;
            v.setStatus(status);
        }
        return v;
    }

    private static PoolVolume volume(String phase) {
        return volume(phase, s -> { });
    }

    @Test
    void aLiveClaimVolumeThatKnowsItsPvAndClaimMayNeedAPv() {
        assertThat(Completion.mayNeedPv(volume("Ready"))).isTrue();
        assertThat(Completion.mayNeedPv(null)).isFalse();
        PoolVolume noSpec = volume("Ready");
        noSpec.setSpec(null);
        assertThat(Completion.mayNeedPv(noSpec)).isFalse();
        assertThat(Completion.mayNeedPv(volume("Ready", s -> s.kind = Provisioner.VM_DISK_KIND))).isFalse();
        assertThat(Completion.mayNeedPv(volume("Ready", s -> s.released = true))).isFalse();
        assertThat(Completion.mayNeedPv(volume("Ready", s -> s.released = false))).isTrue();
        assertThat(Completion.mayNeedPv(volume("Ready", s -> s.name = null))).isFalse();
        assertThat(Completion.mayNeedPv(volume("Ready", s -> s.claimUid = null))).isFalse();
        PoolVolume deleting = volume("Ready");
        deleting.getMetadata().setDeletionTimestamp("2026-11-26T15:00:00Z");
        assertThat(Completion.mayNeedPv(deleting)).isFalse();
    }

    @Test
    void theClaimIsLookedUpByNamespaceAndName() {
        assertThat(Completion.claimKey(volume("Ready").getSpec())).isEqualTo("apps/data");
        assertThat(Completion.claimKey(volume("Ready", s -> s.claimNamespace = null).getSpec())).isNull();
    }

    @Test
    void aReadyVolumeOfItsClaimIsDueItsPv() {
        PersistentVolumeClaim claim = ClaimModelTest.claim().build();
        assertThat(Completion.state(volume("Ready"), claim)).isEqualTo(Completion.State.READY);
        PersistentVolumeClaim boundHere = ClaimModelTest.claim(c -> c.editSpec().withVolumeName("pvc-u-1").endSpec());
        assertThat(Completion.state(volume("Ready"), boundHere)).isEqualTo(Completion.State.READY);
        PersistentVolumeClaim blank = ClaimModelTest.claim(c -> c.editSpec().withVolumeName("").endSpec());
        assertThat(Completion.state(volume("Ready"), blank)).isEqualTo(Completion.State.READY);
    }

    @Test
    void aVolumeNotMadeYetWaitsAndAFailedOneIsTold() {
        PersistentVolumeClaim claim = ClaimModelTest.claim().build();
        assertThat(Completion.state(volume(null), claim)).isEqualTo(Completion.State.MAKING);
        assertThat(Completion.state(volume("Pending"), claim)).isEqualTo(Completion.State.MAKING);
        assertThat(Completion.state(volume("Failed"), claim)).isEqualTo(Completion.State.FAILED);
    }

    @Test
    void aVolumeWhoseClaimIsGoneReplacedDeletingOrBoundElsewhereIsOrphaned() {
        assertThat(Completion.state(volume("Ready"), null)).isEqualTo(Completion.State.ORPHANED);
        assertThat(Completion.state(volume("Ready"), ClaimModelTest.claim(c -> c.editMetadata().withUid("u-2").endMetadata())))
                .isEqualTo(Completion.State.ORPHANED);
        assertThat(Completion.state(volume("Failed"), ClaimModelTest.claim(c -> c.editMetadata().withDeletionTimestamp("2026-11-26T15:00:00Z")
                .endMetadata()))).isEqualTo(Completion.State.ORPHANED);
        assertThat(Completion.state(volume(null), ClaimModelTest.claim(c -> c.editSpec().withVolumeName("pvc-other").endSpec())))
                .isEqualTo(Completion.State.ORPHANED);
    }

    @Test
    void anOrphanNamedLikeItsPvIsDeletedAnOlderOneKept() {
        assertThat(Completion.keepsDataWhenOrphaned(volume("Ready"))).isFalse();
        PoolVolume older = volume("Ready");
        older.getMetadata().setName("k8s-1-3f2a");
        assertThat(Completion.keepsDataWhenOrphaned(older)).isTrue();
    }

    private static PoolVolume.Spec vmDisk(String createdAt) {
        return volume("Ready", s -> {
            s.kind = Provisioner.VM_DISK_KIND;
            s.owner = "vm-7";
            s.createdAt = createdAt;
        }).getSpec();
    }

    @Test
    void anOwnedVmDiskOlderThanTheGraceIsCheckedForItsVm() {
        assertThat(Completion.vmDiskToCheck(vmDisk("2026-11-26T14:59:59Z"), CUTOFF)).isTrue();
        assertThat(Completion.vmDiskToCheck(vmDisk("2026-11-26T15:00:00Z"), CUTOFF)).isFalse();
        assertThat(Completion.vmDiskToCheck(vmDisk(null), CUTOFF)).isFalse();
        PoolVolume.Spec released = vmDisk("2026-11-26T14:00:00Z");
        released.released = true;
        assertThat(Completion.vmDiskToCheck(released, CUTOFF)).isFalse();
        PoolVolume.Spec unowned = vmDisk("2026-11-26T14:00:00Z");
        unowned.owner = null;
        assertThat(Completion.vmDiskToCheck(unowned, CUTOFF)).isFalse();
        PoolVolume.Spec claimVolume = vmDisk("2026-11-26T14:00:00Z");
        claimVolume.kind = PoolVolumeStore.CLAIM_KIND;
        assertThat(Completion.vmDiskToCheck(claimVolume, CUTOFF)).isFalse();
        PoolVolume.Spec notReleased = vmDisk("2026-11-26T14:00:00Z");
        notReleased.released = false;
        assertThat(Completion.vmDiskToCheck(notReleased, CUTOFF)).isTrue();
    }

    @Test
    void theDiskOfAGoneVmIsKeptUnlessItsPoolDeletes() {
        PoolCatalog pools = PoolCatalog.guideDefaults(); // k8s deletes, vm retains
        assertThat(Completion.retainsDiskOfGoneVm(pools, "vm")).isTrue();
        assertThat(Completion.retainsDiskOfGoneVm(pools, "k8s")).isFalse();
        assertThat(Completion.retainsDiskOfGoneVm(pools, "gone")).isTrue();
    }
}
