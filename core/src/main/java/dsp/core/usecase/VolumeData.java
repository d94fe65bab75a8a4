package dsp.core.usecase;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeLayout;
import dsp.core.model.VolumePhase;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import java.util.Optional;

/**
 * An allocation's data, made and removed in the order that keeps records and data in step: data
 * is made only for a recorded (Pending) allocation and never over data it did not make; data is
 * removed only after the record says Deleting, and the record goes last. So no crash or error
 * leaves a record whose data is gone, and an undo never deletes what it did not create.
 */
final class VolumeData {

    private final CapacityAdmission admission;
    private final VolumeMaker maker;

    VolumeData(CapacityAdmission admission, VolumeMaker maker) {
        this.admission = admission;
        this.maker = maker;
    }

    /**
     * Makes the data of an allocation just admitted as Pending. When its place is taken by data no
     * record owns, or making fails, the record is released and nothing on disk is touched.
     */
    String make(Allocation pending, Optional<Template> template) {
        return make(pending, template, dsp.core.operation.Operations.Progress.NONE);
    }

    /** The same, with the maker's progress (the first copy of a template to a server). */
    String make(Allocation pending, Optional<Template> template, dsp.core.operation.Operations.Progress progress) {
        String path;
        try {
            if (maker.placeTaken(pending)) {
                throw DomainException.conflict("server " + pending.server() + " already has '" + VolumeLayout.entry(pending)
                        + "' in pool " + pending.pool() + ", which no volume owns; it is left alone: choose another name,"
                        + " or run cleanup to move it to the pool's trash");
            }
            path = maker.make(pending, template, progress);
        } catch (RuntimeException e) {
            releaseQuietly(pending, e); // the maker removed its own half-made temporary
            throw e;
        }
        return path;
    }

    /** Undoes {@link #make} after it succeeded (a later step failed): this data is ours to delete. */
    void undo(Allocation made, RuntimeException cause) {
        try {
            maker.delete(made);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            pendingQuietly(made, cause); // start-up rolls a Pending record back, whatever step failed after the data was made
            return;
        }
        releaseQuietly(made, cause);
    }

    /** Two-phase: Deleting recorded, data removed, record removed; a retry or start-up finishes a delete that stopped. */
    void delete(Allocation a) {
        Allocation marked = a.phase() == VolumePhase.DELETING ? a : admission.update(a.withPhase(VolumePhase.DELETING));
        maker.delete(marked);
        admission.release(marked.id());
    }

    private void pendingQuietly(Allocation a, RuntimeException cause) {
        try {
            admission.update(a.withPhase(VolumePhase.PENDING));
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private void releaseQuietly(Allocation a, RuntimeException cause) {
        try {
            admission.release(a.id());
        } catch (RuntimeException e) {
            cause.addSuppressed(e); // left Pending without data: start-up rolls it back
        }
    }
}
