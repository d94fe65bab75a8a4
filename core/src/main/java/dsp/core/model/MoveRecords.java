package dsp.core.model;

import java.time.Instant;
import java.util.Optional;

/**
 * The records of a volume being moved to another server of its pool (a drain), so that the
 * ledger counts both copies while both exist and a crash at any step can be finished or undone
 * from the records alone. Both carry the moved volume's name, format and template (their data
 * sits at the volume's place in the pool directory of their own server) and the moved
 * allocation's id as owner.
 *
 * <ol>
 *   <li>{@link #COPY} on the target, admitted against its budget before anything is copied:
 *       Pending while the copy is built and verified under a temporary name (nothing at the
 *       volume's place there is ours), Ready once it is verified (then it is put in place, never
 *       over anything);</li>
 *   <li>{@link #ORIGINAL} on the source, written once the copy is Ready: the move is decided;
 *       then the volume's record switches to the target and the copy record goes;</li>
 *   <li>the original's data is deleted and its record goes last.</li>
 * </ol>
 * No original record: the move did not happen (a Ready copy is ours to delete; a Pending one
 * left at most a temporary, which the start-up sweep removes). An original record: the move
 * happened (finish it).
 */
public final class MoveRecords {

    /** The copy on the target server. */
    public static final String COPY = "move-copy";
    /** The original on the source server, to be deleted once the volume's record points at the copy. */
    public static final String ORIGINAL = "move-original";

    private MoveRecords() {
    }

    public static boolean isMoveRecord(Allocation a) {
        return COPY.equals(a.kind()) || ORIGINAL.equals(a.kind());
    }

    /** Whether {@code record} belongs to the move of {@code volume}. */
    public static boolean isMoveOf(Allocation record, String volumeId) {
        return isMoveRecord(record) && record.owner().map(volumeId::equals).orElse(false);
    }

    /** The Pending copy record of {@code volume} on {@code target}. */
    public static Allocation copy(Allocation volume, String id, String target, Instant at) {
        return new Allocation(id, volume.name(), volume.pool(), target, volume.sizeBytes(), COPY, at, volume.format(),
                volume.template(), Optional.of(volume.id()), VolumePhase.PENDING);
    }

    /** The record of the original left on {@code volume}'s server, to be deleted. */
    public static Allocation original(Allocation volume, String id, Instant at) {
        return new Allocation(id, volume.name(), volume.pool(), volume.server(), volume.sizeBytes(), ORIGINAL, at, volume.format(),
                volume.template(), Optional.of(volume.id()), VolumePhase.DELETING);
    }
}
