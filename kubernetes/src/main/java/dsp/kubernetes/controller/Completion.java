package dsp.kubernetes.controller;

import dsp.core.model.PoolCatalog;
import dsp.core.model.ReclaimPolicy;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import java.time.Instant;

/**
 * When a claim's PoolVolume becomes a PV, and what becomes of volumes nobody wants (no I/O):
 * {@link Provisioner}'s completion queue and sweep ask these.
 */
final class Completion {

    private Completion() {
    }

    /** Where a claim's PoolVolume without a PV stands. */
    enum State {
        /** Its claim is gone, being deleted, or bound to another volume: nothing can have mounted it. */
        ORPHANED,
        /** Its node could not make it: the claim is told. */
        FAILED,
        /** Its node agent is making it. */
        MAKING,
        /** Made: its PV is due. */
        READY
    }

    /** A live, unreleased claim volume that knows its PV's name and its claim's uid: it may need a PV. */
    static boolean mayNeedPv(PoolVolume v) {
        if (v == null || v.getSpec() == null || !PoolVolumeStore.CLAIM_KIND.equals(v.getSpec().kind)
                || v.getMetadata().getDeletionTimestamp() != null || Boolean.TRUE.equals(v.getSpec().released)) {
            return false;
        }
        return v.getSpec().name != null && v.getSpec().claimUid != null;
    }

    /** The cache key of the claim this volume was made for, or null when it does not say. */
    static String claimKey(PoolVolume.Spec s) {
        return s.claimNamespace == null ? null : s.claimNamespace + "/" + s.claimName;
    }

    /** Where volume {@code v} (one that {@link #mayNeedPv may need a PV}) stands, given its claim as cached (null: none). */
    static State state(PoolVolume v, PersistentVolumeClaim claim) {
        if (!wantedBy(v.getSpec(), claim)) {
            return State.ORPHANED;
        }
        String phase = v.getStatus() == null ? null : v.getStatus().phase;
        if ("Failed".equals(phase)) {
            return State.FAILED;
        }
        return "Ready".equals(phase) ? State.READY : State.MAKING;
    }

    /** The claim is the one this volume was made for (same uid), not being deleted, and unbound or bound to this volume. */
    static boolean wantedBy(PoolVolume.Spec s, PersistentVolumeClaim claim) {
        if (claim == null || !s.claimUid.equals(claim.getMetadata().getUid()) || claim.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        String bound = claim.getSpec().getVolumeName();
        return bound == null || bound.isEmpty() || s.name.equals(bound);
    }

    /**
     * An orphaned volume named unlike its PV was made before names derived from the claim (and
     * before the PV finalizer): a PV it had may have gone unseen, so its data is kept as released
     * rather than deleted.
     */
    static boolean keepsDataWhenOrphaned(PoolVolume v) {
        return !v.getMetadata().getName().equals(v.getSpec().name);
    }

    /** A VM disk the sweep checks for its VM: owned, not released, and older than {@code cutoff}. */
    static boolean vmDiskToCheck(PoolVolume.Spec s, Instant cutoff) {
        return Provisioner.VM_DISK_KIND.equals(s.kind) && s.owner != null && !Boolean.TRUE.equals(s.released)
                && s.createdAt != null && Instant.parse(s.createdAt).isBefore(cutoff);
    }

    /** A VM disk whose VM is gone is kept (released) unless its pool's reclaim policy is Delete; an unknown pool keeps it. */
    static boolean retainsDiskOfGoneVm(PoolCatalog catalog, String pool) {
        return catalog.find(pool).map(p -> p.reclaimPolicy() == ReclaimPolicy.RETAIN).orElse(true);
    }
}
