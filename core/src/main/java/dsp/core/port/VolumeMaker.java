package dsp.core.port;

import dsp.core.model.Allocation;
import dsp.core.vm.Template;
import java.util.Optional;

/**
 * Makes allocations real on their server's disk: directories and VM disk images. Every
 * operation is idempotent and crash-safe: data is built under a temporary name and renamed, so
 * it is either complete and visible or not there at all.
 */
public interface VolumeMaker {

    /** Makes the data (from the template for VM disks); returns its path. Done already is fine. */
    String make(Allocation allocation, Optional<Template> template);

    /**
     * The same, saying how far it got: the first disk from a template on a server copies the
     * template there first (a multi-GB copy), and that copy reports its bytes.
     */
    default String make(Allocation allocation, Optional<Template> template, dsp.core.operation.Operations.Progress progress) {
        return make(allocation, template);
    }

    /** Grows an image to the allocation's size; refuses (CONFLICT) while the image is in use. */
    void grow(Allocation allocation, long newSizeBytes);

    /** Deletes the data; refuses (CONFLICT) while an image is in use. Gone already is fine. */
    void delete(Allocation allocation);

    /** Whether the allocation's data is there (made, or lying at its place). */
    boolean exists(Allocation allocation);

    /**
     * Whether the place of an allocation just admitted is taken by data no record owns, which making
     * it would adopt. Where data is made only when asked, that is data being there already.
     */
    default boolean placeTaken(Allocation pending) {
        return exists(pending);
    }

    /** The size the data presents (an image's virtual size; a directory's allocation size). */
    long presentedBytes(Allocation allocation);

    /** Bytes really used on disk by this allocation's data. */
    long measuredBytes(Allocation allocation);

    /** Where the data lives on its server (as the server sees it). */
    String pathOf(Allocation allocation);

    /** Removes half-made leftovers of interrupted operations on every server; returns how many. */
    int sweepTemporaries();
}
