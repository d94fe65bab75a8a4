package dsp.core.vm;

/** A VM's state as this system knows it. */
public enum VmStatus {
    /** Recorded; its disk is being made. A crash here is rolled back at start-up. */
    CREATING,
    /** Defined with its disk; not running (standalone mode has no hypervisor of its own). */
    STOPPED;

    public String display() {
        return name().toLowerCase();
    }
}
