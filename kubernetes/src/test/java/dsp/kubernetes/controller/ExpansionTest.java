package dsp.kubernetes.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.kubernetes.Names;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When a bound claim grows and which steps are left (volume, PV, status): no API server. */
class ExpansionTest {

    private static final long GI = 1024L * 1024 * 1024;

    /** A claim bound with {@code bound} in its status that requests {@code requested}. */
    private static PersistentVolumeClaim bound(String requested, String bound) {
        return new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder(ClaimModelTest.claim()
                .editSpec().withVolumeName("pvc-u-1").editResources().withRequests(Map.of("storage", new Quantity(requested))).endResources().endSpec()
                .withNewStatus().withPhase("Bound").addToCapacity("storage", new Quantity(bound)).endStatus().build()).build();
    }

    private static PersistentVolume pv(String capacity) {
        return new PersistentVolumeBuilder().withNewMetadata().withName("pvc-u-1")
                .addToAnnotations(Names.PROVISIONED_BY_ANN, Names.PROVISIONER).endMetadata()
                .withNewSpec().withStorageClassName("k8s-pool-storage").addToCapacity("storage", new Quantity(capacity)).endSpec().build();
    }

    private static StorageClass expandable(Boolean allow) {
        return new StorageClassBuilder().withNewMetadata().withName("k8s-pool-storage").endMetadata()
                .withProvisioner(Names.PROVISIONER).withAllowVolumeExpansion(allow).build();
    }

    @Test
    void aBoundClaimAskingForMoreThanItsStatusIsAnExpansion() {
        assertThat(Expansion.asked(bound("20Gi", "10Gi"), pv("10Gi")))
                .contains(new Expansion(new Quantity("20Gi"), BigInteger.valueOf(20 * GI)));
    }

    @Test
    void nothingIsAskedWhenTheStatusAlreadyHasIt() {
        assertThat(Expansion.asked(bound("10Gi", "10Gi"), pv("10Gi"))).isEmpty();
        assertThat(Expansion.asked(bound("5Gi", "10Gi"), pv("10Gi"))).isEmpty(); // grow only
        assertThat(Expansion.asked(bound("10Gi", "10Gi"), pv("20Gi"))).isEmpty();
    }

    @Test
    void aClaimNotBoundYetIsNotExpanded() {
        PersistentVolumeClaim pending = bound("20Gi", "10Gi");
        pending.getStatus().setPhase("Pending");
        assertThat(Expansion.asked(pending, pv("10Gi"))).isEmpty();
        PersistentVolumeClaim noCapacity = bound("20Gi", "10Gi");
        noCapacity.getStatus().setCapacity(null);
        assertThat(Expansion.asked(noCapacity, pv("10Gi"))).isEmpty();
        PersistentVolumeClaim noStorage = bound("20Gi", "10Gi");
        noStorage.getStatus().setCapacity(Map.of("cpu", new Quantity("1")));
        assertThat(Expansion.asked(noStorage, pv("10Gi"))).isEmpty();
        PersistentVolumeClaim noStatus = bound("20Gi", "10Gi");
        noStatus.setStatus(null);
        assertThat(Expansion.asked(noStatus, pv("10Gi"))).isEmpty();
    }

    @Test
    void onlyOurPvsAndClaimsThatRequestStorageAreExpanded() {
        assertThat(Expansion.asked(bound("20Gi", "10Gi"), null)).isEmpty();
        PersistentVolume foreign = pv("10Gi");
        foreign.getMetadata().setAnnotations(Map.of(Names.PROVISIONED_BY_ANN, "other"));
        assertThat(Expansion.asked(bound("20Gi", "10Gi"), foreign)).isEmpty();
        PersistentVolumeClaim noResources = bound("20Gi", "10Gi");
        noResources.getSpec().setResources(null);
        assertThat(Expansion.asked(noResources, pv("10Gi"))).isEmpty();
        PersistentVolumeClaim noRequests = bound("20Gi", "10Gi");
        noRequests.getSpec().getResources().setRequests(null);
        assertThat(Expansion.asked(noRequests, pv("10Gi"))).isEmpty();
        PersistentVolumeClaim noStorage = bound("20Gi", "10Gi");
        noStorage.getSpec().getResources().setRequests(Map.of("cpu", new Quantity("1")));
        assertThat(Expansion.asked(noStorage, pv("10Gi"))).isEmpty();
    }

    private static Expansion twentyGi() {
        return Expansion.asked(bound("20Gi", "10Gi"), pv("10Gi")).orElseThrow();
    }

    @Test
    void aClassThatDoesNotAllowExpansionRefusesIt() {
        Expansion.Steps refused = new Expansion.Steps(Optional.of("storage class k8s-pool-storage does not allow expansion"), false, false);
        assertThat(twentyGi().steps(pv("10Gi"), 10 * GI, expandable(false))).isEqualTo(refused);
        assertThat(twentyGi().steps(pv("10Gi"), 10 * GI, expandable(null))).isEqualTo(refused);
        assertThat(twentyGi().steps(pv("10Gi"), 10 * GI, null)).isEqualTo(refused);
        assertThat(twentyGi().steps(pv("20Gi"), 10 * GI, expandable(false))).isEqualTo(refused); // the volume alone is short
        assertThat(twentyGi().steps(pv("10Gi"), 20 * GI, expandable(false))).isEqualTo(refused); // the PV alone is short
    }

    @Test
    void theVolumeThenThePvGrowWhereTheyAreShort() {
        assertThat(twentyGi().steps(pv("10Gi"), 10 * GI, expandable(true))).isEqualTo(new Expansion.Steps(Optional.empty(), true, true));
        assertThat(twentyGi().steps(pv("10Gi"), 20 * GI, expandable(true))).isEqualTo(new Expansion.Steps(Optional.empty(), false, true));
        assertThat(twentyGi().steps(pv("20Gi"), 20 * GI - 1, expandable(true))).isEqualTo(new Expansion.Steps(Optional.empty(), true, false));
    }

    @Test
    void whenVolumeAndPvAreGrownOnlyTheClaimsStatusIsLeftEvenIfTheClassNoLongerAllowsIt() {
        assertThat(twentyGi().steps(pv("20Gi"), 20 * GI, expandable(false))).isEqualTo(new Expansion.Steps(Optional.empty(), false, false));
        assertThat(twentyGi().steps(pv("30Gi"), 30 * GI, null)).isEqualTo(new Expansion.Steps(Optional.empty(), false, false));
    }

    @Test
    void aPvWithoutCapacityIsShort() {
        PersistentVolume noCapacity = pv("10Gi");
        noCapacity.getSpec().setCapacity(null);
        assertThat(twentyGi().steps(noCapacity, 20 * GI, expandable(true)).growPv()).isTrue();
        PersistentVolume noStorage = pv("10Gi");
        noStorage.getSpec().setCapacity(Map.of("cpu", new Quantity("1")));
        assertThat(twentyGi().steps(noStorage, 20 * GI, expandable(true)).growPv()).isTrue();
    }
}
