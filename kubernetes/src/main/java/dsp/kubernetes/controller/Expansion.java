package dsp.kubernetes.controller;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.math.BigInteger;
import java.util.Optional;

/**
 * A bound claim that asks for more than its status says it has (no I/O): which of the steps
 * {@link Provisioner} takes in order (volume, PV, then the claim's status) are still to do, or
 * why it is refused. Grow only; a directory needs no file-system resize.
 *
 * @param requested the claim's storage request
 * @param want      the request in bytes
 */
record Expansion(Quantity requested, BigInteger want) {

    /** What is left to do: a refusal (nothing is done), or the volume and/or the PV to grow before the claim's status. */
    record Steps(Optional<String> refusal, boolean growVolume, boolean growPv) {
    }

    /**
     * The expansion this claim asks of its PV (ours): empty unless the claim is Bound with a
     * capacity in its status (the PV controller writes the first) and requests more than that.
     */
    static Optional<Expansion> asked(PersistentVolumeClaim claim, PersistentVolume pv) {
        if (pv == null || !ClaimModel.ours(pv) || claim.getSpec().getResources() == null || claim.getSpec().getResources().getRequests() == null) {
            return Optional.empty();
        }
        Quantity requested = claim.getSpec().getResources().getRequests().get("storage");
        if (requested == null || claim.getStatus() == null || !"Bound".equals(claim.getStatus().getPhase())
                || claim.getStatus().getCapacity() == null || claim.getStatus().getCapacity().get("storage") == null) {
            return Optional.empty();
        }
        BigInteger want = Quantity.getAmountInBytes(requested).toBigInteger();
        if (want.compareTo(bytes(claim.getStatus().getCapacity().get("storage"))) <= 0) {
            return Optional.empty(); // nothing asked, or done
        }
        return Optional.of(new Expansion(requested, want));
    }

    /**
     * The steps left for the volume (of {@code volumeBytes}) behind {@code pv}, whose class is
     * {@code sc} (null when gone): growing anything needs a class that allows expansion; when both
     * are already as large, only the claim's status is left.
     */
    Steps steps(PersistentVolume pv, long volumeBytes, StorageClass sc) {
        boolean growVolume = want.compareTo(BigInteger.valueOf(volumeBytes)) > 0;
        boolean growPv = want.compareTo(bytes(pv.getSpec().getCapacity() == null ? null : pv.getSpec().getCapacity().get("storage"))) > 0;
        if ((growVolume || growPv) && (sc == null || !Boolean.TRUE.equals(sc.getAllowVolumeExpansion()))) {
            return new Steps(Optional.of("storage class " + pv.getSpec().getStorageClassName() + " does not allow expansion"), false, false);
        }
        return new Steps(Optional.empty(), growVolume, growPv);
    }

    private static BigInteger bytes(Quantity q) {
        return q == null ? BigInteger.ZERO : Quantity.getAmountInBytes(q).toBigInteger();
    }
}
