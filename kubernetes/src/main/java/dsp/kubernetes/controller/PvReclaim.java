package dsp.kubernetes.controller;

import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What becomes of a PV of ours and its volume (no I/O), as the external-provisioner library
 * reclaims: the provisioner's finalizer is added while the PV lives; Released with policy Delete,
 * the data goes first and then the PV; Retain keeps the data as a released volume, owned by the PV
 * while it exists and by nobody after; the finalizer goes last, once the volume is dealt with.
 */
final class PvReclaim {

    private PvReclaim() {
    }

    /** The writes {@link Provisioner} makes. */
    enum Action {
        ADD_FINALIZER,
        /** The node agent deletes the data; the PV goes when the PoolVolume is gone (its deletion brings the PV back). */
        DELETE_DATA,
        DELETE_PV,
        /** The volume is kept as released, owned by the PV while it exists. */
        RELEASE_TO_PV,
        /** The PV is deleted: the volume is kept as released, owned by nobody (deletable through the API), and an Event says so. */
        RELEASE_TO_NOBODY,
        REMOVE_FINALIZER
    }

    /** One write, on this volume (null for the PV's own). */
    record Step(Action action, PoolVolume volume) {
    }

    /** The writes, in order, for this PV of ours, whose volume is {@code volume}. */
    static List<Step> plan(PersistentVolume pv, Optional<PoolVolume> volume) {
        List<Step> steps = new ArrayList<>();
        boolean deleting = pv.getMetadata().getDeletionTimestamp() != null;
        boolean hasFinalizer = hasFinalizer(pv);
        String phase = pv.getStatus() == null ? null : pv.getStatus().getPhase();
        if (!deleting && !hasFinalizer) {
            steps.add(new Step(Action.ADD_FINALIZER, null));
        }
        if ("Bound".equals(phase) || (!deleting && !"Released".equals(phase))) {
            return steps; // in use, or not released: nothing to reclaim
        }
        if ("Delete".equals(pv.getSpec().getPersistentVolumeReclaimPolicy())) {
            if (volume.isPresent()) {
                if (volume.get().getMetadata().getDeletionTimestamp() == null) {
                    steps.add(new Step(Action.DELETE_DATA, volume.get()));
                }
                return steps; // the PV goes once the node agent has removed the data
            }
            if (!deleting) {
                steps.add(new Step(Action.DELETE_PV, null));
                return steps; // its deletion brings us back to remove the finalizer
            }
        } else if (volume.isPresent()) {
            steps.add(new Step(deleting ? Action.RELEASE_TO_NOBODY : Action.RELEASE_TO_PV, volume.get()));
        }
        if (deleting && hasFinalizer) {
            steps.add(new Step(Action.REMOVE_FINALIZER, null));
        }
        return steps;
    }

    /** A PV that {@link #plan} may have work for: not bound, being deleted, or without the finalizer. */
    static boolean unsettled(PersistentVolume pv) {
        return !"Bound".equals(pv.getStatus() == null ? null : pv.getStatus().getPhase()) || pv.getMetadata().getDeletionTimestamp() != null
                || !hasFinalizer(pv);
    }

    private static boolean hasFinalizer(PersistentVolume pv) {
        return pv.getMetadata().getFinalizers() != null && pv.getMetadata().getFinalizers().contains(Provisioner.PV_FINALIZER);
    }
}
