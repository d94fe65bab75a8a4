package dsp.core.usecase;

import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.model.VolumePhase;
import dsp.core.DomainException;
import dsp.core.port.AllocationStore;
import dsp.core.port.VolumeCopier;
import dsp.core.port.VolumeMaker;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Brings a move that stopped half-way (a crash, an error) to one of its two ends, reading the
 * records ({@link MoveRecords}) and where what runs the volume is bound ({@link VolumeCopier#boundTo}):
 * without an original record the move was not decided and is undone; with one it was, and is
 * finished once what runs the volume is bound to the copy's server. Never deletes data that
 * may be the volume's only copy or that a VM may be running on: the original goes only once the
 * volume's record points elsewhere and nothing is bound to it, a copy only while the record does
 * not point at it and nothing is bound to it (bound to a copy and running there, the move is
 * finished even without an original record; the original record written but the VM running
 * where it was, the move is undone). Idempotent.
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
    private final Optional<VolumeCopier> binding;

    /** For a process where nothing else changes volumes meanwhile (start-up) and nothing binds a VM to a server. */
    public MoveSettlement(AllocationStore allocations, CapacityAdmission admission, VolumeMaker maker) {
        this(allocations, admission, maker, new OperationOrder(), Optional.empty());
    }

    /**
     * @param order   the turns the VM, volume and drain use cases take: each move is settled in its VM's and volume's turn
     * @param binding where what runs a volume is bound (Kubernetes: KubeVirt's pin); empty where the records alone decide
     */
    public MoveSettlement(AllocationStore allocations, CapacityAdmission admission, VolumeMaker maker, OperationOrder order,
                          Optional<VolumeCopier> binding) {
        this.allocations = allocations;
        this.admission = admission;
        this.maker = maker;
        this.order = order;
        this.binding = binding;
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
            Optional<Allocation> runsOnCopy = volume.flatMap(v -> copyItRunsOn(v, copies));
            if (runsOnCopy.isEmpty()) {
                undo(volume, copies, List.of());
                return false;
            }
            // not decided, yet its VM was bound to the copy and runs there: the copy is its disk now, the move goes on
            originals = List.of(admission.recordOriginal(volume.get(), "moved-" + runsOnCopy.get().id()));
        }
        if (copies.stream().anyMatch(c -> c.phase() != VolumePhase.READY)) {
            // never switch to a copy nobody verified; the records are left as they are for an operator
            throw DomainException.conflict("the move of " + volumeId + " has an original record but its copy was never"
                    + " verified; nothing was changed");
        }
        Optional<Allocation> target = volume.flatMap(v -> copies.stream().filter(c -> !c.server().equals(v.server())).findFirst());
        if (target.isPresent() && binding.isPresent()) {
            try {
                // decided, not yet switched: what runs the volume goes to the copy first (a no-op when it is bound there already)
                binding.get().bindTo(volume.get(), target.get());
            } catch (DomainException e) {
                if (e.code() != DomainException.Code.CONFLICT) {
                    throw e;
                }
                // it was started where it was before it could be bound to the copy: it uses the original, the move is undone
                undo(volume, copies, originals);
                return false;
            }
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

    /**
     * The move's copy that what runs the volume is bound to (its VM may be running on it), when that
     * is not where the volume's record points; empty when there is none, or when it was bound back
     * to the volume's server here because it does not run.
     */
    private Optional<Allocation> copyItRunsOn(Allocation volume, List<Allocation> copies) {
        Optional<String> bound = binding.flatMap(b -> b.boundTo(volume));
        Optional<Allocation> copy = bound.filter(server -> !server.equals(volume.server()))
                .flatMap(server -> copies.stream().filter(c -> c.server().equals(server) && c.phase() == VolumePhase.READY).findFirst());
        if (copy.isEmpty()) {
            return Optional.empty();
        }
        try {
            binding.get().bindTo(volume, volume);
            return Optional.empty();
        } catch (DomainException e) {
            if (e.code() != DomainException.Code.CONFLICT) {
                throw e;
            }
            return copy;
        }
    }

    /**
     * The move did not happen: the copies go (their data only where nothing points at it), then the
     * original records (never their data: the volume's record points at it).
     */
    private void undo(Optional<Allocation> volume, List<Allocation> copies, List<Allocation> originals) {
        for (Allocation copy : copies) {
            // a Ready copy is ours and verified; a Pending one left at most its temporary, which the copier
            // or the start-up sweep removes: whatever sits at the copy's place was not made by us
            boolean pointsAtCopy = volume.map(v -> v.server().equals(copy.server())).orElse(false);
            if (copy.phase() == VolumePhase.READY && !pointsAtCopy) {
                maker.delete(copy);
            }
            admission.release(copy.id());
        }
        for (Allocation original : originals) {
            admission.release(original.id());
        }
    }
}
