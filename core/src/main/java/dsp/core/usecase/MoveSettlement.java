package dsp.core.usecase;

import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.model.VolumePhase;
import dsp.core.port.AllocationStore;
import dsp.core.port.VolumeMaker;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Brings a move that stopped half-way (a crash, an error) to one of its two ends, reading only
 * the records ({@link MoveRecords}): without an original record the move did not happen and is
 * undone; with one it happened and is finished. Never deletes data that may be the volume's
 * only copy: the original goes only once the volume's record points elsewhere, a copy only
 * while it does not point at it. Idempotent.
 */
public final class MoveSettlement {

    /** What settling did, one line per volume, and what it could not do (left for the next pass). */
    public record Outcome(List<String> undone, List<String> finished, List<String> problems) {
        public boolean changedAnything() {
            return !undone.isEmpty() || !finished.isEmpty();
        }
    }

    private final AllocationStore allocations;
    private final CapacityAdmission admission;
    private final VolumeMaker maker;
    private final OperationOrder order;

    /** For a process where nothing else changes volumes meanwhile (start-up). */
    public MoveSettlement(AllocationStore allocations, CapacityAdmission admission, VolumeMaker maker) {
        this(allocations, admission, maker, new OperationOrder());
    }

    /** @param order the turns the VM, volume and drain use cases take: each move is settled in its VM's and volume's turn */
    public MoveSettlement(AllocationStore allocations, CapacityAdmission admission, VolumeMaker maker, OperationOrder order) {
        this.allocations = allocations;
        this.admission = admission;
        this.maker = maker;
        this.order = order;
    }

    /** Settles every move the records show (start-up). */
    public Outcome settleAll() {
        Set<String> moved = new LinkedHashSet<>();
        for (Allocation a : allocations.listAllocations()) {
            if (MoveRecords.isMoveRecord(a)) {
                a.owner().ifPresent(moved::add);
            }
        }
        List<String> undone = new ArrayList<>();
        List<String> finished = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String id : moved) {
            try {
                Optional<String> owner = allocations.findAllocation(id).flatMap(Allocation::owner);
                if (order.onVolume(owner, id, () -> settle(id))) {
                    finished.add(id);
                } else {
                    undone.add(id);
                }
            } catch (RuntimeException e) {
                problems.add("move of " + id + ": " + e.getMessage());
            }
        }
        return new Outcome(undone, finished, problems);
    }

    /**
     * Settles the move of one volume: true when it ended moved (finished), false when it ended
     * where it was (undone, or there was nothing to settle). Throws when a step fails; the
     * records then still say where it stands.
     */
    public boolean settle(String volumeId) {
        List<Allocation> records = allocations.listAllocations().stream().filter(r -> MoveRecords.isMoveOf(r, volumeId)).toList();
        List<Allocation> copies = records.stream().filter(r -> MoveRecords.COPY.equals(r.kind())).toList();
        List<Allocation> originals = records.stream().filter(r -> MoveRecords.ORIGINAL.equals(r.kind())).toList();
        Optional<Allocation> volume = allocations.findAllocation(volumeId);
        if (originals.isEmpty()) {
            for (Allocation copy : copies) {
                // a Ready copy is ours and verified; a Pending one left at most its temporary, which the copier
                // or the start-up sweep removes: whatever sits at the copy's place was not made by us
                boolean pointsAtCopy = volume.map(v -> v.server().equals(copy.server())).orElse(false);
                if (copy.phase() == VolumePhase.READY && !pointsAtCopy) {
                    maker.delete(copy);
                }
                admission.release(copy.id());
            }
            return false;
        }
        if (copies.stream().anyMatch(c -> c.phase() != VolumePhase.READY)) {
            // never switch to a copy nobody verified; the records are left as they are for an operator
            throw dsp.core.DomainException.conflict("the move of " + volumeId + " has an original record but its copy was never"
                    + " verified; nothing was changed");
        }
        for (Allocation copy : copies) {
            if (volume.isPresent() && !volume.get().server().equals(copy.server())) {
                volume = Optional.of(admission.moveTo(volumeId, copy.server()));
            }
            admission.release(copy.id());
        }
        for (Allocation original : originals) {
            boolean pointsAtOriginal = volume.map(v -> v.server().equals(original.server())).orElse(false);
            if (!pointsAtOriginal) {
                maker.delete(original);
            }
            admission.release(original.id());
        }
        return true;
    }
}
