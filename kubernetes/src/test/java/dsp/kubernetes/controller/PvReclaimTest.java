package dsp.kubernetes.controller;

import static dsp.kubernetes.controller.PvReclaim.Action.ADD_FINALIZER;
import static dsp.kubernetes.controller.PvReclaim.Action.DELETE_DATA;
import static dsp.kubernetes.controller.PvReclaim.Action.DELETE_PV;
import static dsp.kubernetes.controller.PvReclaim.Action.RELEASE_TO_NOBODY;
import static dsp.kubernetes.controller.PvReclaim.Action.RELEASE_TO_PV;
import static dsp.kubernetes.controller.PvReclaim.Action.REMOVE_FINALIZER;
import static org.assertj.core.api.Assertions.assertThat;

import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What becomes of a PV of ours and its data, step by step: no API server. */
class PvReclaimTest {

    private static final String DELETED_AT = "2026-11-26T15:00:00Z";

    private static PersistentVolume pv(String phase, String policy, boolean deleting, boolean finalizer) {
        return new PersistentVolumeBuilder().withNewMetadata().withName("pvc-u-1")
                .withDeletionTimestamp(deleting ? DELETED_AT : null)
                .withFinalizers(finalizer ? List.of("kubernetes.io/pv-protection", Provisioner.PV_FINALIZER) : List.of("kubernetes.io/pv-protection"))
                .endMetadata()
                .withNewSpec().withPersistentVolumeReclaimPolicy(policy).endSpec()
                .withNewStatus().withPhase(phase).endStatus().build();
    }

    private static PoolVolume volume(boolean deleting) {
        PoolVolume v = new PoolVolume();
        v.setMetadata(new ObjectMetaBuilder().withName("pvc-u-1").withDeletionTimestamp(deleting ? DELETED_AT : null).build());
        return v;
    }

    private static final Optional<PoolVolume> VOLUME = Optional.of(volume(false));

    private static List<PvReclaim.Action> plan(PersistentVolume pv, Optional<PoolVolume> volume) {
        return PvReclaim.plan(pv, volume).stream().map(PvReclaim.Step::action).toList();
    }

    @Test
    void aPvInUseGetsOnlyTheFinalizerItLacks() {
        assertThat(plan(pv("Bound", "Delete", false, true), VOLUME)).isEmpty();
        assertThat(plan(pv("Bound", "Delete", false, false), VOLUME)).containsExactly(ADD_FINALIZER);
        assertThat(plan(pv("Available", "Delete", false, false), VOLUME)).containsExactly(ADD_FINALIZER);
        assertThat(plan(pv("Pending", "Retain", false, true), VOLUME)).isEmpty();
        PersistentVolume noStatus = pv("Bound", "Delete", false, true);
        noStatus.setStatus(null);
        assertThat(plan(noStatus, VOLUME)).isEmpty();
    }

    @Test
    void aPvWithoutFinalizersGetsOne() {
        PersistentVolume none = pv("Bound", "Delete", false, false);
        none.getMetadata().setFinalizers(null);
        assertThat(plan(none, VOLUME)).containsExactly(ADD_FINALIZER);
    }

    @Test
    void aBoundPvBeingDeletedKeepsItsFinalizerAndItsData() {
        assertThat(plan(pv("Bound", "Delete", true, true), VOLUME)).isEmpty();
        assertThat(plan(pv("Bound", "Retain", true, true), VOLUME)).isEmpty();
    }

    @Test
    void releasedWithDeleteTheDataGoesFirst() {
        List<PvReclaim.Step> steps = PvReclaim.plan(pv("Released", "Delete", false, true), VOLUME);
        assertThat(steps).containsExactly(new PvReclaim.Step(DELETE_DATA, VOLUME.get()));
        assertThat(plan(pv("Released", "Delete", false, false), VOLUME)).containsExactly(ADD_FINALIZER, DELETE_DATA);
    }

    @Test
    void whileItsDataIsBeingDeletedThePvWaits() {
        assertThat(plan(pv("Released", "Delete", false, true), Optional.of(volume(true)))).isEmpty();
        assertThat(plan(pv("Released", "Delete", true, true), Optional.of(volume(true)))).isEmpty();
        assertThat(plan(pv("Released", "Delete", true, true), VOLUME)).containsExactly(DELETE_DATA);
    }

    @Test
    void onceTheDataIsGoneThePvGoesThenItsFinalizer() {
        assertThat(plan(pv("Released", "Delete", false, true), Optional.empty())).containsExactly(DELETE_PV);
        assertThat(plan(pv("Released", "Delete", true, true), Optional.empty())).containsExactly(REMOVE_FINALIZER);
        assertThat(plan(pv("Released", "Delete", true, false), Optional.empty())).isEmpty();
        assertThat(plan(pv("Failed", "Delete", true, true), Optional.empty())).containsExactly(REMOVE_FINALIZER);
    }

    @Test
    void retainKeepsTheDataOwnedByThePvThenByNobody() {
        assertThat(PvReclaim.plan(pv("Released", "Retain", false, true), VOLUME)).containsExactly(new PvReclaim.Step(RELEASE_TO_PV, VOLUME.get()));
        assertThat(PvReclaim.plan(pv("Released", "Retain", true, true), VOLUME))
                .containsExactly(new PvReclaim.Step(RELEASE_TO_NOBODY, VOLUME.get()), new PvReclaim.Step(REMOVE_FINALIZER, null));
        assertThat(plan(pv("Released", "Retain", true, false), VOLUME)).containsExactly(RELEASE_TO_NOBODY);
        assertThat(plan(pv("Released", "Retain", true, true), Optional.empty())).containsExactly(REMOVE_FINALIZER);
        assertThat(plan(pv("Released", "Retain", false, true), Optional.empty())).isEmpty();
    }

    @Test
    void aBoundPvWithItsFinalizerIsSettled() {
        assertThat(PvReclaim.unsettled(pv("Bound", "Delete", false, true))).isFalse();
        assertThat(PvReclaim.unsettled(pv("Released", "Delete", false, true))).isTrue();
        assertThat(PvReclaim.unsettled(pv("Bound", "Delete", true, true))).isTrue();
        assertThat(PvReclaim.unsettled(pv("Bound", "Delete", false, false))).isTrue();
        PersistentVolume none = pv("Bound", "Delete", false, true);
        none.getMetadata().setFinalizers(null);
        assertThat(PvReclaim.unsettled(none)).isTrue();
        PersistentVolume noStatus = pv("Bound", "Delete", false, true);
        noStatus.setStatus(null);
        assertThat(PvReclaim.unsettled(noStatus)).isTrue();
    }
}
