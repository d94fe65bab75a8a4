package dsp.core.model;

/**
 * Where an allocation is in its life. Capacity counts in every phase: a pending volume is
 * promised, a released one still holds its data.
 */
public enum VolumePhase {
    /** Admitted and recorded; its data is being made. A crash here is rolled back at start-up. */
    PENDING,
    /** Its data exists on the server. */
    READY,
    /** Its owner is gone and the pool retains data: kept until purged. */
    RELEASED,
    /**
     * Being deleted: written before the data is touched, so a crash or an error mid-way leaves a
     * record that says so (never a record whose data is gone); start-up and a retried delete finish it.
     */
    DELETING;

    public String display() {
        return name().charAt(0) + name().substring(1).toLowerCase();
    }
}
